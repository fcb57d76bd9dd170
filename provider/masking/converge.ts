/**
 * DataMasking against an instance: one keyset pass over each rule's scope, the planner's writes through the Batch API,
 * and the read-only variants (inspect for refresh, the Data Privacy job check for verify mode).
 *
 * Only counts leave this module: no original value is returned, logged or put in an error.
 */
import type { ServiceNowClient } from "../client/client";
import { inQuery } from "../client/query";
import { BatchWriteError } from "../errors";
import { type MaskPlan, type MaskSettings, planMasking, type ScopedRecord } from "./plan";
import type { Technique } from "./techniques";

/** A rule as the resource takes it. */
export interface MaskingRule {
    table: string;
    query: string;
    fields: Record<string, Technique>;
    exceptQuery: string;
}

/** Totals over all rules; what the resource publishes. */
export interface MaskingCounts {
    /** Records in scope whose every masked field holds its masked value. */
    maskedCount: number;
    /** Records in scope, not excepted, with a field that is not masked (never masked, or restored by hand). */
    unmaskedCount: number;
    /** Records in scope left alone because an exception names them. */
    exceptedCount: number;
    /** Records written by this run. */
    writtenCount: number;
}

/** Rows per page of the scope pass: few, large pages keep the request count near its lower bound. */
export const MASK_PAGE_SIZE = 5000;

/** Tables whose records are users: `exceptUsers` applies to rules on these. */
const USER_TABLES = new Set(["sys_user", "customer_contact"]);

/** The records of a rule's scope, with the masked fields' live values. */
export async function scopeOf(c: ServiceNowClient, rule: MaskingRule): Promise<ScopedRecord[]> {
    const out: ScopedRecord[] = [];
    const fields = [...Object.keys(rule.fields), "sys_class_name"];
    for await (const page of c.pages(rule.table, { query: rule.query, fields, pageSize: MASK_PAGE_SIZE })) {
        for (const r of page) {
            const values: Record<string, string> = {};
            for (const f of Object.keys(rule.fields)) values[f] = r[f] ?? "";
            out.push({ sysId: r.sys_id!, cls: r.sys_class_name || rule.table, values });
        }
    }
    return out;
}

/** The sys_ids a rule must leave alone: its exception query, and the excepted users on user tables. */
export async function exceptionsOf(
    c: ServiceNowClient,
    rule: MaskingRule,
    exceptUserIds: ReadonlySet<string>,
): Promise<Set<string>> {
    const out = new Set<string>(USER_TABLES.has(rule.table) ? exceptUserIds : []);
    if (rule.exceptQuery) {
        for await (const page of c.pages(rule.table, { query: rule.exceptQuery, fields: [], pageSize: MASK_PAGE_SIZE }))
            for (const r of page) out.add(r.sys_id!);
    }
    return out;
}

/**
 * The sys_ids of the named users plus the connection's own user (masking its user_name would lock the stack out).
 *
 * @returns the ids, and the names that matched no user.
 */
export async function exceptedUsers(
    c: ServiceNowClient,
    names: readonly string[],
): Promise<{ ids: Set<string>; missing: string[] }> {
    const wanted = [...new Set([...names, ...(c.username ? [c.username] : [])])];
    const found = new Map<string, string>();
    for (let i = 0; i < wanted.length; i += 100) {
        const chunk = wanted.slice(i, i + 100);
        const rows = await c.query("sys_user", {
            query: inQuery("user_name", chunk),
            fields: ["sys_id", "user_name"],
            limit: chunk.length * 2,
        });
        for (const r of rows) found.set(r.user_name!, r.sys_id!);
    }
    return { ids: new Set(found.values()), missing: names.filter((n) => !found.has(n)) };
}

/** Plans every rule against the live instance, writing nothing. */
export async function planAll(
    c: ServiceNowClient,
    rules: readonly MaskingRule[],
    exceptUserIds: ReadonlySet<string>,
    settings: MaskSettings,
): Promise<{ rule: MaskingRule; plan: MaskPlan }[]> {
    const out: { rule: MaskingRule; plan: MaskPlan }[] = [];
    for (const rule of rules) {
        const exempt = await exceptionsOf(c, rule, exceptUserIds);
        out.push({ rule, plan: planMasking(rule, await scopeOf(c, rule), exempt, settings) });
    }
    return out;
}

/** Counts of a set of plans, before any write. */
export function countsOf(plans: readonly { plan: MaskPlan }[], writtenCount = 0): MaskingCounts {
    const counts: MaskingCounts = { maskedCount: 0, unmaskedCount: 0, exceptedCount: 0, writtenCount };
    for (const { plan } of plans) {
        counts.maskedCount += plan.masked;
        counts.unmaskedCount += plan.writes.length;
        counts.exceptedCount += plan.exempt;
    }
    return counts;
}

/** What a masking run did. */
export interface MaskingRun {
    counts: MaskingCounts;
    /** The first write failure, after everything else was written. */
    error?: Error;
    requests: number;
}

/**
 * Masks every rule's scope: one read pass per rule, then only the records that differ, in Batch API calls.
 *
 * Records whose write failed stay counted as unmasked, so state tells the truth and the next `up` retries them.
 */
export async function maskAll(
    c: ServiceNowClient,
    rules: readonly MaskingRule[],
    exceptUserIds: ReadonlySet<string>,
    settings: MaskSettings,
): Promise<MaskingRun> {
    const start = c.requestCount;
    const plans = await planAll(c, rules, exceptUserIds, settings);
    const counts = countsOf(plans);
    let error: Error | undefined;
    for (const { rule, plan } of plans) {
        if (plan.writes.length === 0) continue;
        let written = 0;
        try {
            const r = await c.batchUpdate(
                rule.table,
                plan.writes.map((w) => ({
                    sysId: w.sysId,
                    values: w.values,
                    ...(w.cls !== rule.table ? { table: w.cls } : {}),
                })),
            );
            // A record deleted meanwhile needs no masking.
            written = r.updated.length + r.missing.length;
            counts.writtenCount += r.updated.length;
        } catch (e) {
            if (!(e instanceof BatchWriteError)) throw e;
            written = e.succeeded.length;
            counts.writtenCount += written;
            error ??= e;
        }
        counts.unmaskedCount -= written;
        counts.maskedCount += written;
    }
    return { counts, error, requests: c.requestCount - start };
}

/** A Data Privacy job as the verify mode reports it. */
export interface DataPrivacyFinding {
    table: string;
    sysId: string;
    state: string;
    error: string;
}

/** What verify mode found: jobs since the clone, and the ones that are not Completed. */
export interface DataPrivacyReport {
    federatedJobs: number;
    jobs: number;
    problems: string[];
}

const FINISHED_OK = "Completed";

/**
 * Reads the Data Privacy clone jobs created on the target since `since` (the clone's completion, a glide date-time):
 * a federated job must exist, and every job under it must be Completed.
 */
export async function verifyDataPrivacy(c: ServiceNowClient, since: string): Promise<DataPrivacyReport> {
    const query = since ? `sys_created_on>=${since}` : "";
    const federated = await c.query("dp_federated_job", { query, fields: ["sys_id", "state", "error_message"] });
    const problems: string[] = [];
    if (federated.length === 0) {
        problems.push(
            `no Data Privacy clone job on ${c.url}${since ? ` since ${since}` : ""}: the clone ran no "apply when cloning" policy; check the policies' Apply when Cloning flag on the source`,
        );
        return { federatedJobs: 0, jobs: 0, problems };
    }
    const jobs = await c.query("dp_job", {
        query: inQuery(
            "federated_job",
            federated.map((f) => f.sys_id!),
        ),
        fields: ["sys_id", "table", "state", "error_message"],
    });
    for (const f of federated) {
        if (f.state !== FINISHED_OK && jobs.length === 0)
            problems.push(`dp_federated_job ${f.sys_id}: ${f.state}${f.error_message ? ` (${f.error_message})` : ""}`);
    }
    for (const j of jobs) {
        if (j.state === FINISHED_OK) continue;
        const kind = j.state === "Failed" ? "failed" : "unfinished";
        problems.push(
            `dp_job on ${j.table} (${j.sys_id}) ${kind}: ${j.state}${j.error_message ? ` (${j.error_message})` : ""}`,
        );
    }
    return { federatedJobs: federated.length, jobs: jobs.length, problems };
}
