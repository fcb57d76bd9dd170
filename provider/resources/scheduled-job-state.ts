/**
 * ScheduledJobState: every active scheduled job in scope (the whole sysauto family) set inactive except an allow-list;
 * destroy reactivates exactly the jobs it deactivated.
 */
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import type { MissingEntry } from "../bulk/policy";
import type { ChangeRecord, FlagField } from "../bulk/reconcile";
import type { ServiceNowClient } from "../client/client";
import { inQuery, queryFields } from "../client/query";
import { ConnectionInput } from "../connection";
import { type AllowedRecords, bulkPolicyProvider } from "../skeletons/bulk";

// ---- schema ----

const SYS_ID = /^[0-9a-f]{32}$/;

/** Inputs of a ScheduledJobState. */
export const ScheduledJobStateInputs = z.object({
    connection: ConnectionInput,
    scope: z
        .string()
        .default("")
        .refine((q) => !queryFields(q).includes("active"), {
            message:
                "scope must not filter on active: the resource manages that field (it deactivates the active jobs in scope); filter on other fields such as name or sys_class_name",
        }),
    allowNames: z.array(z.string().min(1, "a job name cannot be empty")).default([]),
    allowSysIds: z
        .array(
            z.string().regex(SYS_ID, "a sys_id is 32 lower-case hex characters, e.g. 0123456789abcdef0123456789abcdef"),
        )
        .default([]),
    allowQuery: z.string().default(""),
    allowOverlap: z.boolean().default(false),
});

// ---- types ----

/** Normalized inputs. */
export type ScheduledJobStateInputs = z.infer<typeof ScheduledJobStateInputs>;

/** Outputs: the inputs, counts, and the compact record of which jobs this resource deactivated. */
export interface ScheduledJobStateOutputs extends ScheduledJobStateInputs, ChangeRecord {
    /** Jobs this resource deactivated that are inactive now. */
    deactivatedCount: number;
    /** Jobs in scope left as they are because the allow-list names them. */
    allowedCount: number;
    /** Jobs the policy covers that are active (0 when converged; drift otherwise, e.g. someone re-activated them). */
    activeCount: number;
    /** Jobs this resource deactivated that the policy no longer covers and that are still inactive. */
    pendingReactivationCount: number;
    /** The names of up to five jobs the last read found active against the policy. */
    activeJobs: string[];
}

// ---- constants ----

// Querying sysauto covers sysauto_script, sysauto_report, sysauto_template and any other extension; each write goes
// to the row's own class.
const FLAG: FlagField = { table: "sysauto", field: "active", enforced: "false", original: "true", writeToClass: true };
const INPUT_KEYS = ["connection", "scope", "allowNames", "allowSysIds", "allowQuery", "allowOverlap"] as const;

// ---- provider ----

/** The ScheduledJobState dynamic provider (loaded through the shim; holds no client or credential). */
export const scheduledJobStateProvider: pulumi.dynamic.ResourceProvider<
    ScheduledJobStateInputs,
    ScheduledJobStateOutputs
> = bulkPolicyProvider<ScheduledJobStateInputs, ScheduledJobStateOutputs>({
    schema: ScheduledJobStateInputs,
    inputKeys: INPUT_KEYS,
    idPrefix: "scheduledjobstate",
    flag: FLAG,
    queries: ["scope", "allowQuery"],
    allowed: allowedJobs,
    countNames: {
        changedCount: "deactivatedCount",
        exemptCount: "allowedCount",
        driftCount: "activeCount",
        pendingRevertCount: "pendingReactivationCount",
    },
    driftSample: { field: "name", output: "activeJobs" },
});

// ---- helpers ----

/** The sys_ids of every allowed job (by name, sys_id or query); each entry that matches nothing is reported. */
export async function allowedJobs(c: ServiceNowClient, inputs: ScheduledJobStateInputs): Promise<AllowedRecords> {
    const exempt = new Set<string>();
    const missing: MissingEntry[] = [];
    const lookup = async (field: string, values: readonly string[], property: string, fix: string) => {
        const found = new Set<string>();
        const unique = [...new Set(values)];
        for (let i = 0; i < unique.length; i += 100) {
            const chunk = unique.slice(i, i + 100);
            for await (const page of c.pages("sysauto", {
                query: inQuery(field, chunk),
                fields: [field],
                coalesce: true,
            })) {
                for (const r of page) {
                    exempt.add(r.sys_id!);
                    found.add(r[field]!);
                }
            }
        }
        for (const v of unique) {
            if (!found.has(v)) {
                missing.push({
                    property,
                    value: v,
                    reason: `job "${v}" in ${property} does not exist on ${c.url} (no sysauto record has that ${field}); ${fix}`,
                });
            }
        }
    };
    // A job name may be shared by several jobs: every job with an allowed name is allowed.
    await lookup("name", inputs.allowNames, "allowNames", "remove it or check its exact name");
    await lookup("sys_id", inputs.allowSysIds, "allowSysIds", "remove it or copy the sys_id from the job record");
    if (inputs.allowQuery) {
        let matched = 0;
        for await (const page of c.pages("sysauto", { query: inputs.allowQuery, fields: [], coalesce: true })) {
            matched += page.length;
            for (const r of page) exempt.add(r.sys_id!);
        }
        if (matched === 0) {
            missing.push({
                property: "allowQuery",
                value: inputs.allowQuery,
                reason: `allowQuery "${inputs.allowQuery}" matches no scheduled job on ${c.url}; fix the query or remove it`,
            });
        }
    }
    return { exempt, missing };
}
