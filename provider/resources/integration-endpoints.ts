/**
 * IntegrationEndpoints: outbound REST/SOAP endpoints rewritten from production hosts to sandboxes, with a tripwire
 * that refuses to write while any active endpoint would still point at production; a spec of the settings skeleton.
 */
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import {
    applyRecordChanges,
    type RecordClient,
    type RecordMemory,
    type RecordTarget,
    type Row,
    restoreRecordChanges,
    UndoJournal,
} from "../adopt";
import { ConnectionInput } from "../connection";
import { ProductionEndpointError } from "../errors";
import { settingsProvider, singletonId } from "../skeletons/settings";

export { ProductionEndpointError };

const HOST = /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:\d{1,5})?$/;
const URL_PREFIX = /^[a-z][a-z0-9+.-]*:\/\/[^/\s?#]+/i;

/**
 * One rewrite rule. A `from` with a scheme (`https://api.acme.com/v2`) is a URL prefix replaced by `to`; a bare host
 * (`api.acme.com`) replaces the host of any endpoint on it, keeping scheme, port-less path and query.
 */
export const EndpointRule = z
    .object({
        from: z
            .string()
            .min(1, { error: "rules[].from must be a host (api.acme.com) or a URL prefix (https://api.acme.com/v2)" }),
        to: z.string().min(1, { error: "rules[].to must be the sandbox host or URL prefix to rewrite to" }),
    })
    .superRefine((r, ctx) => {
        const prefix = r.from.includes("://");
        if (prefix && !URL_PREFIX.test(r.from)) {
            ctx.addIssue({
                code: "custom",
                path: ["from"],
                message: "rules[].from looks like a URL but has no host; write https://host/path",
            });
        } else if (!prefix && !HOST.test(r.from)) {
            ctx.addIssue({
                code: "custom",
                path: ["from"],
                message:
                    "rules[].from must be a host such as api.acme.com (no path), or a full URL prefix with its scheme",
            });
        }
        if (prefix && !URL_PREFIX.test(r.to)) {
            ctx.addIssue({
                code: "custom",
                path: ["to"],
                message: "a URL-prefix rule must rewrite to a URL prefix such as https://sandbox.acme.com/v2",
            });
        } else if (!prefix && !HOST.test(r.to)) {
            ctx.addIssue({
                code: "custom",
                path: ["to"],
                message: "a host rule must rewrite to a host such as api-sandbox.acme.com (no scheme or path)",
            });
        }
    });
/** A rewrite rule. */
export type EndpointRule = z.infer<typeof EndpointRule>;

/** Inputs of {@link integrationEndpointsProvider}. */
export const IntegrationEndpointsInputs = z.object({
    connection: ConnectionInput,
    rules: z.array(EndpointRule).default([]),
    productionHosts: z
        .array(z.string().regex(HOST, { error: "productionHosts entries must be host names such as api.acme.com" }))
        .default([]),
});
/** Normalized inputs. */
export type IntegrationEndpointsInputs = z.infer<typeof IntegrationEndpointsInputs>;

/** Outputs: inputs as live, what changed, and the tripwire's view. */
export interface IntegrationEndpointsOutputs extends IntegrationEndpointsInputs {
    /** Previous endpoint values of every record rewritten. */
    previous: RecordMemory[];
    /** Hosts the tripwire refuses (declared, plus the source and production instances of the stack). */
    tripwireHosts: string[];
    /** Active endpoints on a production host, as `table "name": url` (empty when converged). */
    productionEndpoints: string[];
    /** How many endpoints the rules have rewritten. */
    rewrittenCount: number;
}

/** Where outbound endpoints live: table, endpoint column, and the column naming the record. */
export const ENDPOINT_FIELDS: readonly { table: string; field: string; label: string }[] = [
    { table: "sys_rest_message", field: "rest_endpoint", label: "name" },
    { table: "sys_rest_message_fn", field: "rest_endpoint", label: "function_name" },
    { table: "sys_soap_message_function", field: "soap_endpoint", label: "function_name" },
];

const INPUT_KEYS = ["connection", "rules", "productionHosts"] as const;

/** An endpoint as found on the instance. */
export interface EndpointRecord {
    table: string;
    field: string;
    sysId: string;
    name: string;
    value: string;
    /** False only when the record has an `active` column set to false; these tables mostly have none. */
    active: boolean;
}

/** The host of an endpoint URL, lower-cased, or undefined when it has none (a relative or variable endpoint). */
export function hostOf(url: string): string | undefined {
    const m = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/\s]*@)?([^/:?#\s]+)/i.exec(url.trim());
    return m ? m[1]!.toLowerCase() : undefined;
}

/** Applies the first matching rule; returns the value unchanged when none matches. */
export function rewriteEndpoint(value: string, rules: readonly EndpointRule[]): string {
    for (const rule of rules) {
        if (rule.from.includes("://")) {
            if (value.toLowerCase().startsWith(rule.from.toLowerCase())) return rule.to + value.slice(rule.from.length);
        } else {
            const m = /^([a-z][a-z0-9+.-]*:\/\/(?:[^@/\s]*@)?)([^/?#\s]+)(.*)$/i.exec(value.trim());
            if (!m) continue;
            const [, scheme, hostPort, rest] = m as unknown as [string, string, string, string];
            const fromHasPort = rule.from.includes(":");
            const host = fromHasPort ? hostPort : hostPort.replace(/:\d+$/, "");
            if (host.toLowerCase() === rule.from.toLowerCase()) {
                const port = fromHasPort ? "" : hostPort.slice(host.length);
                return `${scheme}${rule.to}${port}${rest}`;
            }
        }
    }
    return value;
}

/** The tripwire's host set: declared hosts plus the hosts of the given instance names or URLs. */
export function tripwireHosts(declared: readonly string[], instances: readonly string[]): string[] {
    const out = new Set(declared.map((h) => h.toLowerCase().replace(/:\d+$/, "")));
    for (const i of instances) {
        const host = i.includes("://") ? hostOf(i) : `${i.toLowerCase()}.service-now.com`;
        if (host) out.add(host);
    }
    return [...out].sort();
}

/** Reads every outbound endpoint (these tables hold hundreds of rows at most). */
export async function readEndpoints(client: RecordClient): Promise<EndpointRecord[]> {
    const out: EndpointRecord[] = [];
    for (const t of ENDPOINT_FIELDS) {
        // An unknown column in sysparm_fields is ignored, so asking for `active` is safe on tables without one.
        const rows: Row[] = await client.query(t.table, {
            query: "ORDERBYsys_id",
            fields: ["sys_id", t.field, t.label, "active"],
            limit: 10000,
        });
        for (const r of rows) {
            out.push({
                table: t.table,
                field: t.field,
                sysId: r.sys_id ?? "",
                name: r[t.label] ?? "",
                value: r[t.field] ?? "",
                active: r.active !== "false",
            });
        }
    }
    return out;
}

/** The rewrites and the tripwire's findings for a set of endpoints. */
export interface EndpointPlan {
    targets: RecordTarget[];
    /** Active endpoints that would still point at a production host after the rules. */
    violations: EndpointRecord[];
}

/** Plans rewrites and checks the result against the tripwire; pure. */
export function planEndpoints(
    endpoints: readonly EndpointRecord[],
    rules: readonly EndpointRule[],
    hosts: readonly string[],
): EndpointPlan {
    const targets: RecordTarget[] = [];
    const violations: EndpointRecord[] = [];
    for (const e of endpoints) {
        const next = rewriteEndpoint(e.value, rules);
        if (next !== e.value) {
            targets.push({
                table: e.table,
                sysId: e.sysId,
                label: e.name,
                live: { [e.field]: e.value },
                desired: { [e.field]: next },
            });
        }
        const host = hostOf(next);
        if (e.active && host && hosts.includes(host)) violations.push({ ...e, value: next });
    }
    return { targets, violations };
}

/** One line per endpoint on a production host, for outputs and errors. */
export function describeEndpoint(e: EndpointRecord): string {
    return `${e.table} "${e.name}" (${e.sysId}): ${e.value}`;
}

/** Converges endpoints; the tripwire runs on the plan, before any write. */
export async function applyIntegrationEndpoints(
    client: RecordClient,
    inputs: IntegrationEndpointsInputs,
    extraInstances: readonly string[],
    prior?: IntegrationEndpointsOutputs,
    journal = new UndoJournal(),
): Promise<IntegrationEndpointsOutputs> {
    const hosts = tripwireHosts(inputs.productionHosts, extraInstances);
    const endpoints = await readEndpoints(client);
    const plan = planEndpoints(endpoints, inputs.rules, hosts);
    if (plan.violations.length > 0) throw new ProductionEndpointError(plan.violations.map(describeEndpoint));
    // Records rewritten by a rule since removed keep their sandbox endpoint: going back would point them at production.
    // Destroy restores them all.
    let memory = prior?.previous ?? [];
    memory = await applyRecordChanges(client, plan.targets, memory, journal);
    return {
        ...inputs,
        previous: memory,
        tripwireHosts: hosts,
        productionEndpoints: [],
        rewrittenCount: memory.length,
    };
}

/** Live state shaped like the outputs, and the inputs that would produce it. */
export async function readIntegrationEndpoints(
    client: RecordClient,
    props: IntegrationEndpointsOutputs,
): Promise<{ props: IntegrationEndpointsOutputs; inputs: IntegrationEndpointsInputs }> {
    const endpoints = await readEndpoints(client);
    // A rule is in effect when no endpoint still matches it; a drifted endpoint shows as its rule missing from `rules`.
    const rules = props.rules.filter((rule) => endpoints.every((e) => rewriteEndpoint(e.value, [rule]) === e.value));
    const hosts = props.tripwireHosts ?? tripwireHosts(props.productionHosts, []);
    const productionEndpoints = endpoints
        .filter((e) => e.active && hosts.includes(hostOf(e.value) ?? ""))
        .map(describeEndpoint);
    const inputs: IntegrationEndpointsInputs = {
        connection: props.connection,
        rules,
        productionHosts: props.productionHosts,
    };
    return { props: { ...props, ...inputs, productionEndpoints }, inputs };
}

/** Instance names/URLs of the stack's source and production instances, for the tripwire; none when unconfigured. */
export function stackProductionInstances(): string[] {
    const connection: typeof import("../connection") = require("../connection");
    const out: string[] = [];
    try {
        out.push(...(connection.connectionOptions("target").productionInstances ?? []));
    } catch {
        // No target settings: the client call that follows reports that clearly.
    }
    try {
        out.push(connection.connectionOptions("source").url);
    } catch {
        // A stack without a source connection: only declared hosts count.
    }
    return out;
}

/** Dynamic provider for `IntegrationEndpoints`. */
export const integrationEndpointsProvider: pulumi.dynamic.ResourceProvider<
    IntegrationEndpointsInputs,
    IntegrationEndpointsOutputs
> = settingsProvider<IntegrationEndpointsInputs, IntegrationEndpointsOutputs>({
    id: (inputs) => singletonId("integration-endpoints", inputs.connection),
    schema: IntegrationEndpointsInputs,
    inputKeys: INPUT_KEYS,
    apply: (client, inputs, olds, journal) =>
        applyIntegrationEndpoints(client, inputs, stackProductionInstances(), olds, journal),
    read: readIntegrationEndpoints,
    async restore(client, props) {
        await restoreRecordChanges(client, props.previous ?? []);
    },
    // An endpoint found on a production host by refresh is drift even when no rule changed: the next up must run the
    // tripwire again.
    mustUpdate: (olds) => (olds.productionEndpoints ?? []).length > 0,
});
