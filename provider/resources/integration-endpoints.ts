/**
 * IntegrationEndpoints: outbound endpoints (REST/SOAP messages, IntegrationHub connections, JDBC and file data
 * sources, OAuth provider token URLs) rewritten from production hosts to sandboxes, with a tripwire
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
import { BadRequestError, ProductionEndpointError } from "../errors";
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
    /**
     * Connections and data sources on a production host (active or not) that carry a credential, one line each:
     * whoever activates them signs in to production with it.
     */
    productionCredentials: string[];
    /** How many endpoints the rules have rewritten. */
    rewrittenCount: number;
}

/** Where one kind of outbound endpoint lives. */
export interface EndpointField {
    table: string;
    /** The column holding the endpoint. */
    field: string;
    /** The column naming the record. */
    label: string;
    /** `url`: a URL (`https://host/path`); `host`: a bare host name (rewritten by host rules only). */
    kind: "url" | "host";
    /** Column whose non-empty value means a credential is attached (a reference or a user name). */
    credential?: string;
    /** Dot-walked column naming the connection's alias (IntegrationHub resolves connections through it). */
    alias?: string;
    /** The table may not exist (no IntegrationHub, an older release): a 400 "invalid table" means none to check. */
    optional?: boolean;
}

/** Where outbound endpoints live. */
export const ENDPOINT_FIELDS: readonly EndpointField[] = [
    { table: "sys_rest_message", field: "rest_endpoint", label: "name", kind: "url" },
    { table: "sys_rest_message_fn", field: "rest_endpoint", label: "function_name", kind: "url" },
    { table: "sys_soap_message_function", field: "soap_endpoint", label: "function_name", kind: "url" },
    ...(["connection_url", "host"] as const).map(
        (field): EndpointField => ({
            table: "http_connection",
            field,
            label: "name",
            kind: field === "host" ? "host" : "url",
            credential: "credential",
            alias: "connection_alias.id",
            optional: true,
        }),
    ),
    {
        table: "jdbc_connection",
        field: "host",
        label: "name",
        kind: "host",
        credential: "credential",
        alias: "connection_alias.id",
        optional: true,
    },
    // File sources name a URL (HTTP/HTTPS retrieval) or a server (FTP/SFTP/SCP); JDBC sources a database server.
    { table: "sys_data_source", field: "file_path", label: "name", kind: "url", credential: "username" },
    { table: "sys_data_source", field: "server", label: "name", kind: "host", credential: "username" },
    { table: "sys_data_source", field: "jdbc_server", label: "name", kind: "host", credential: "username" },
    // OAuth providers: where the instance fetches tokens, with the client secret it holds for production.
    { table: "oauth_entity", field: "token_url", label: "name", kind: "url", credential: "client_id", optional: true },
    { table: "oauth_entity", field: "auth_url", label: "name", kind: "url", credential: "client_id", optional: true },
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
    /** A URL, or a bare host. @default "url" */
    kind?: "url" | "host";
    /** A credential is attached to the record. */
    credential?: boolean;
    /** The connection alias's id, for connections. */
    alias?: string;
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

/** A bare host value lower-cased without its port, or undefined when empty. */
export function bareHost(value: string): string | undefined {
    const v = value.trim().toLowerCase().replace(/:\d+$/, "");
    return v === "" ? undefined : v;
}

/** Applies the first matching host rule to a bare host value (URL-prefix rules do not apply to a host). */
export function rewriteHost(value: string, rules: readonly EndpointRule[]): string {
    for (const rule of rules) {
        if (rule.from.includes("://")) continue;
        const from = rule.from.toLowerCase();
        const v = value.trim().toLowerCase();
        if (v === from || v.replace(/:\d+$/, "") === from) return rule.to;
    }
    return value;
}

/** The host an endpoint value points at, by its kind. */
export function endpointHost(e: Pick<EndpointRecord, "value" | "kind">): string | undefined {
    return e.kind === "host" ? bareHost(e.value) : hostOf(e.value);
}

/** An endpoint value after the rules, by its kind. */
export function rewriteValue(e: Pick<EndpointRecord, "value" | "kind">, rules: readonly EndpointRule[]): string {
    return e.kind === "host" ? rewriteHost(e.value, rules) : rewriteEndpoint(e.value, rules);
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

/** Reads every outbound endpoint, one query per table (these tables hold hundreds of rows at most). */
export async function readEndpoints(client: RecordClient): Promise<EndpointRecord[]> {
    const out: EndpointRecord[] = [];
    const tables = [...new Set(ENDPOINT_FIELDS.map((f) => f.table))];
    for (const table of tables) {
        const specs = ENDPOINT_FIELDS.filter((f) => f.table === table);
        const columns = new Set(["sys_id", "active"]);
        for (const f of specs) for (const c of [f.field, f.label, f.credential, f.alias]) if (c) columns.add(c);
        let rows: Row[];
        try {
            // An unknown column in sysparm_fields is ignored, so asking for `active` is safe on tables without one.
            rows = await client.query(table, { query: "ORDERBYsys_id", fields: [...columns], limit: 10000 });
        } catch (e) {
            if (specs.every((f) => f.optional) && e instanceof BadRequestError) continue;
            throw e;
        }
        for (const r of rows) {
            for (const t of specs) {
                out.push({
                    table,
                    field: t.field,
                    sysId: r.sys_id ?? "",
                    name: r[t.label] ?? "",
                    value: r[t.field] ?? "",
                    active: r.active !== "false",
                    kind: t.kind,
                    credential: t.credential ? (r[t.credential] ?? "") !== "" : false,
                    ...(t.alias && r[t.alias] ? { alias: r[t.alias] } : {}),
                });
            }
        }
    }
    return out;
}

/** The rewrites and the tripwire's findings for a set of endpoints. */
export interface EndpointPlan {
    targets: RecordTarget[];
    /** Active endpoints that would still point at a production host after the rules. */
    violations: EndpointRecord[];
    /** Endpoints on a production host after the rules, active or not, that carry a credential. */
    credentials: EndpointRecord[];
}

/** Plans rewrites and checks the result against the tripwire; pure. */
export function planEndpoints(
    endpoints: readonly EndpointRecord[],
    rules: readonly EndpointRule[],
    hosts: readonly string[],
): EndpointPlan {
    // One target per record: a connection's URL and host column are rewritten together.
    const byRecord = new Map<string, { table: string; sysId: string; label: string; live: Row; desired: Row }>();
    const violations: EndpointRecord[] = [];
    const credentials: EndpointRecord[] = [];
    for (const e of endpoints) {
        const next = rewriteValue(e, rules);
        if (next !== e.value) {
            const key = `${e.table}\u0000${e.sysId}`;
            const t = byRecord.get(key) ?? { table: e.table, sysId: e.sysId, label: e.name, live: {}, desired: {} };
            t.live[e.field] = e.value;
            t.desired[e.field] = next;
            byRecord.set(key, t);
        }
        const host = endpointHost({ value: next, kind: e.kind });
        if (host && hosts.includes(host)) {
            if (e.active) violations.push({ ...e, value: next });
            if (e.credential) credentials.push({ ...e, value: next });
        }
    }
    return { targets: [...byRecord.values()], violations, credentials };
}

/** One line per endpoint on a production host, for outputs and errors. */
export function describeEndpoint(e: EndpointRecord): string {
    const notes = [e.alias ? `alias ${e.alias}` : "", e.credential ? "credential attached" : ""].filter(Boolean);
    return `${e.table} "${e.name}" (${e.sysId}${notes.length ? `; ${notes.join(", ")}` : ""}): ${e.value}`;
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
        // Inactive records may stay on production; those holding a credential are worth knowing about.
        productionCredentials: plan.credentials.map(describeEndpoint),
        rewrittenCount: memory.length,
    };
}

/** A rule as refresh finds it: the endpoints it should have rewritten but that are still on its `from`. */
export interface LiveEndpointRule extends EndpointRule {
    /** `table "name": value` of each endpoint the rule still matches; absent while the rule is in effect. */
    notRewritten?: string[];
}

/**
 * The rules as live, each in its place: a rule is in effect when no endpoint still matches it; one that some endpoint
 * still matches (someone put a production URL back) carries those endpoints in `notRewritten`.
 *
 * Positions and unchanged rules stay exactly as declared, so the diff a refreshed preview prints (the engine compares
 * these with the program's rules element by element) names the one rule and its endpoints, not every rule after it.
 */
export function rulesAsLive(rules: readonly EndpointRule[], endpoints: readonly EndpointRecord[]): LiveEndpointRule[] {
    return rules.map((rule) => {
        const stale = endpoints.filter((e) => rewriteValue(e, [rule]) !== e.value);
        if (stale.length === 0) return rule;
        return { ...rule, notRewritten: stale.map((e) => `${e.table} "${e.name}": ${e.value}`).sort() };
    });
}

/** Live state shaped like the outputs, and the inputs that would produce it. */
export async function readIntegrationEndpoints(
    client: RecordClient,
    props: IntegrationEndpointsOutputs,
): Promise<{ props: IntegrationEndpointsOutputs; inputs: IntegrationEndpointsInputs }> {
    const endpoints = await readEndpoints(client);
    const rules = rulesAsLive(props.rules, endpoints);
    const hosts = props.tripwireHosts ?? tripwireHosts(props.productionHosts, []);
    const onProduction = endpoints.filter((e) => hosts.includes(endpointHost(e) ?? ""));
    const productionEndpoints = onProduction.filter((e) => e.active).map(describeEndpoint);
    const productionCredentials = onProduction.filter((e) => e.credential).map(describeEndpoint);
    const inputs: IntegrationEndpointsInputs = {
        connection: props.connection,
        rules,
        productionHosts: props.productionHosts,
    };
    return { props: { ...props, ...inputs, productionEndpoints, productionCredentials }, inputs };
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
