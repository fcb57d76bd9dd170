/**
 * DataMasking: personal data in scope masked deterministically from a secret salt; a re-run writes nothing, a value
 * restored by hand is drift (`unmaskedCount`), and destroy cannot unmask (originals are never kept) so it writes
 * nothing. In verify mode it writes nothing either and checks the platform's Data Privacy clone jobs instead.
 */
import { randomUUID } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import type { ServiceNowClient } from "../client/client";
import { ConnectionInput } from "../connection";
import {
    countsOf,
    exceptedUsers,
    type MaskingCounts,
    type MaskingRule,
    maskAll,
    planAll,
    verifyDataPrivacy,
} from "../masking/converge";
import { maskingSalt } from "../masking/salt";
import { DEFAULT_EMAIL_DOMAIN, isUndeliverableDomain, Technique } from "../masking/techniques";
import { checkQuery, closest } from "../query/check";
import { tableColumns } from "../query/dictionary";
import { checkTable } from "../query/names";
import { type CheckFailure, settingsProvider } from "../skeletons/settings";

// ---- schema ----

const TABLE = /^[a-z][a-z0-9_]*$/;

/** One masking rule: a table, the records in scope, and a technique per field. */
export const MaskingRuleInput = z.object({
    table: z.string().regex(TABLE, { error: "rules[].table must be a table name such as sys_user" }),
    query: z.string().default(""),
    fields: z
        .record(z.string().regex(TABLE, { error: "field names are column names such as email" }), Technique)
        .refine((f) => Object.keys(f).length > 0, {
            error: 'rules[].fields cannot be empty: name at least one field, e.g. { email: { technique: "fake", fake: "email" } }',
        }),
    exceptQuery: z.string().default(""),
});

/** Inputs of a DataMasking. */
export const DataMaskingInputs = z
    .object({
        connection: ConnectionInput,
        mode: z
            .enum(["mask", "verifyDataPrivacy"], {
                error: 'mode must be "mask" (mask the rules\' fields) or "verifyDataPrivacy" (check the platform\'s Data Privacy jobs)',
            })
            .default("mask"),
        rules: z.array(MaskingRuleInput).default([]),
        exceptUsers: z.array(z.string().min(1, "a user name cannot be empty")).default([]),
        emailDomain: z.string().default(DEFAULT_EMAIL_DOMAIN).refine(isUndeliverableDomain, {
            error: "emailDomain must be unable to receive mail: use a .invalid domain (RFC 2606), e.g. example.invalid",
        }),
        allowUnknownCloneEpoch: z.boolean().default(false),
        /** The clone epoch as the SDK saw it (the engine strips `cloneEpoch` before check; this copy lets check see it). */
        knownCloneEpoch: z.string().default(""),
    })
    .superRefine((v, ctx) => {
        if (v.connection === "source")
            ctx.addIssue({
                code: "custom",
                path: ["connection"],
                message: "DataMasking never writes the source (production) instance; use the target connection",
            });
        if (v.mode === "mask" && v.rules.length === 0)
            ctx.addIssue({
                code: "custom",
                path: ["rules"],
                message: 'rules cannot be empty in mask mode: add one, or use mode "verifyDataPrivacy"',
            });
        if (v.knownCloneEpoch === "" && !v.allowUnknownCloneEpoch)
            ctx.addIssue({
                code: "custom",
                path: ["cloneEpoch"],
                message:
                    "the target's clone epoch is unknown, so nothing says its data came from the clone this policy masks; pass cloneEpoch (cloneRun.epoch) or set allowUnknownCloneEpoch: true",
            });
    });

// ---- types ----

/** Normalized inputs. */
export type DataMaskingInputs = z.infer<typeof DataMaskingInputs>;

/** Outputs: the inputs and counts; never a record id or an original value. */
export interface DataMaskingOutputs extends DataMaskingInputs, MaskingCounts {
    /** Verify mode: Data Privacy jobs not Completed, one line each (empty when converged). */
    dataPrivacyProblems: string[];
    /** What destroy does: nothing, and why. */
    destroyBehaviour: string;
}

// ---- constants ----

const INPUT_KEYS = [
    "connection",
    "mode",
    "rules",
    "exceptUsers",
    "emailDomain",
    "allowUnknownCloneEpoch",
    "knownCloneEpoch",
] as const;

/** What destroy says, in state and in the docs. */
export const DESTROY_BEHAVIOUR =
    "destroy writes nothing: masking cannot be undone because the original values were never kept; re-clone to get them back";

/** Thrown by verify mode when a Data Privacy job failed, is unfinished or is missing. Nothing was written. */
export class DataPrivacyJobError extends Error {
    constructor(readonly problems: readonly string[]) {
        super(`Data Privacy clone jobs are not all Completed:\n  ${problems.join("\n  ")}`);
        this.name = new.target.name;
    }
}

// ---- provider ----

/**
 * The DataMasking dynamic provider, on the settings skeleton (loaded through the shim; holds no client, credential or
 * salt). Create is convergent rather than undoable: a failed create leaves records masked that a re-run finds masked,
 * and nothing is kept that could unmask them.
 */
export const dataMaskingProvider: pulumi.dynamic.ResourceProvider<DataMaskingInputs, DataMaskingOutputs> =
    settingsProvider<DataMaskingInputs, DataMaskingOutputs>({
        schema: DataMaskingInputs,
        inputKeys: INPUT_KEYS,
        id: (inputs) => `${inputs.connection}:data-masking:${randomUUID()}`,
        refuse(inputs) {
            if (inputs.mode !== "mask") return undefined;
            const s = maskingSalt();
            return "problem" in s ? { property: "maskingSalt", reason: s.problem } : undefined;
        },
        async lookup(connect, inputs) {
            if (inputs.mode !== "mask") return [];
            const c = await connect();
            const { missing } = await exceptedUsers(c, inputs.exceptUsers);
            const failures: CheckFailure[] = missing.map((name) => ({
                property: "exceptUsers",
                reason: `user "${name}" in exceptUsers does not exist on ${c.url}; remove it or create the user first`,
            }));
            return [...failures, ...(await checkRules(c, inputs.rules))];
        },
        // Drift (a value restored by hand, a job not Completed) makes the next up run although no input changed.
        mustUpdate: (olds) => (olds.unmaskedCount ?? 0) > 0 || (olds.dataPrivacyProblems ?? []).length > 0,
        apply: (c, inputs) => converge(c, inputs),
        async read(c, props) {
            const inputs = inputsOf(props);
            if (inputs.mode === "verifyDataPrivacy") {
                const report = await verifyDataPrivacy(c, sinceOf(inputs.knownCloneEpoch));
                return { props: { ...props, dataPrivacyProblems: report.problems }, inputs };
            }
            const s = maskingSalt();
            // Without the salt nothing can be compared; keep what state says rather than report false drift.
            if ("problem" in s) return { props, inputs };
            const users = await exceptedUsers(c, inputs.exceptUsers);
            const plans = await planAll(c, inputs.rules, users.ids, { salt: s.salt, emailDomain: inputs.emailDomain });
            // writtenCount is what the last apply wrote; a read writes nothing and keeps it.
            return { props: outputs(inputs, countsOf(plans, props.writtenCount ?? 0), []), inputs };
        },
        async restore() {
            // Nothing to put back: the originals were never kept (DESTROY_BEHAVIOUR says so in state and the docs).
        },
    });

// ---- helpers ----

function inputsOf(props: DataMaskingInputs): DataMaskingInputs {
    return DataMaskingInputs.parse(Object.fromEntries(INPUT_KEYS.map((k) => [k, props[k]])));
}

function outputs(inputs: DataMaskingInputs, counts: MaskingCounts, problems: string[]): DataMaskingOutputs {
    return { ...inputsOf(inputs), ...counts, dataPrivacyProblems: problems, destroyBehaviour: DESTROY_BEHAVIOUR };
}

/**
 * The earliest creation time of a Data Privacy job of the clone an epoch (`<clone sys_id>@<ISO completed>`) names, as
 * a glide date-time; "" when the epoch has no time.
 *
 * The jobs start in the clone's last phase, just before it records its completion, so the window opens a day earlier:
 * clones into one target are at least five days apart, so no older clone's jobs fall in it.
 */
export function sinceOf(epoch: string): string {
    const at = epoch.indexOf("@");
    if (at < 0) return "";
    const completed = Date.parse(epoch.slice(at + 1).replace(/\+rolled-back$/, ""));
    if (Number.isNaN(completed)) return "";
    return new Date(completed - DAY_MS).toISOString().slice(0, 19).replace("T", " ");
}

const DAY_MS = 86_400_000;

async function converge(c: ServiceNowClient, inputs: DataMaskingInputs): Promise<DataMaskingOutputs> {
    if (inputs.mode === "verifyDataPrivacy") {
        const report = await verifyDataPrivacy(c, sinceOf(inputs.knownCloneEpoch));
        if (report.problems.length > 0) throw new DataPrivacyJobError(report.problems);
        return outputs(inputs, { maskedCount: 0, unmaskedCount: 0, exceptedCount: 0, writtenCount: 0 }, []);
    }
    const s = maskingSalt();
    if ("problem" in s) throw new Error(s.problem);
    const users = await exceptedUsers(c, inputs.exceptUsers);
    const run = await maskAll(c, inputs.rules, users.ids, { salt: s.salt, emailDomain: inputs.emailDomain });
    // Records of a failed batch stay unmasked: a refresh counts them in unmaskedCount, so `up --refresh` retries them.
    if (run.error) throw run.error;
    return outputs(inputs, run.counts, []);
}

/**
 * Checks each rule against the instance's data dictionary: the table exists, each masked field is a column of it
 * (or of a table it extends), and its query and exception query pass the query check (an unknown field in a query or
 * a field list is silently ignored by the platform: the query would match every record, the field mask nothing).
 */
async function checkRules(c: ServiceNowClient, rules: readonly MaskingRule[]): Promise<CheckFailure[]> {
    const failures: CheckFailure[] = [];
    for (const [i, rule] of rules.entries()) {
        const columns = await tableColumns(c, rule.table);
        if (columns === undefined) {
            failures.push(...(await checkTable(c, rule.table, `rules[${i}].table`)));
            continue;
        }
        // An empty dictionary: the integration user cannot read it, so the fields cannot be checked here.
        if (columns.size > 0) {
            for (const field of Object.keys(rule.fields)) {
                if (columns.has(field)) continue;
                const near = closest(field, [...columns.keys()]);
                const hint = near.length > 0 ? `; did you mean ${near.map((n) => `"${n}"`).join(", ")}?` : "";
                failures.push({
                    property: `rules[${i}].fields.${field}`,
                    reason: `field "${field}" is not a column of ${rule.table} on ${c.url}${hint}; fix its name`,
                });
            }
        }
        for (const key of ["query", "exceptQuery"] as const) {
            failures.push(...(await checkQuery(c, rule.table, rule[key], `rules[${i}].${key}`)));
        }
    }
    return failures;
}
