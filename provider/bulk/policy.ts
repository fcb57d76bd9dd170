/**
 * The provider half shared by the query-scoped bulk resources: converge, read, revert, and the diff rule.
 */
import type { ServiceNowClient } from "../client/client";
import { surveyAndWrite } from "./pipeline";
import {
    type ApplyResult,
    applyWrites,
    type ChangeRecord,
    type CoveredChanges,
    changeRecords,
    type FlagField,
    oursPredicate,
    type Plan,
    type PreviousChanges,
    plan,
    recordOf,
    surveyEnforced,
    surveyForRead,
} from "./reconcile";

/** An allow-list entry that matched nothing on the instance. */
export interface MissingEntry {
    /** The input property, e.g. `allowUsers`. */
    property: string;
    /** What the user wrote. */
    value: string;
    /** The sentence explaining it, naming the instance and the fix. */
    reason: string;
}

/** The counts a bulk resource reports (its outputs besides its inputs and change record). */
export interface PolicyCounts {
    /** Records this resource changed that hold the enforced value now. */
    changedCount: number;
    /** Records in scope left alone because the allow-list names them. */
    exemptCount: number;
    /** Records the policy covers that do not hold the enforced value (0 when converged; drift otherwise). */
    driftCount: number;
    /** Records this resource changed that the policy no longer covers and that still hold the enforced value. */
    pendingRevertCount: number;
}

/** Outcome of a convergence: the new change record and counts, or the partial record and an error. */
export interface Converged {
    record: ChangeRecord;
    counts: PolicyCounts;
    error?: Error;
    /** Whether any write reached the instance (a failed create that wrote nothing records nothing). */
    wroteAny: boolean;
    requests: number;
}

/**
 * Surveys the table, writes only the difference, and returns the record of what this resource has changed in total.
 * The writes start while the table is still being read (see provider/bulk/pipeline.ts).
 *
 * When some writes fail the record still lists exactly those that succeeded (plus what was changed before), so state
 * stays true and a re-run converges.
 */
export async function converge(
    client: ServiceNowClient,
    flag: FlagField,
    scope: string,
    exempt: ReadonlySet<string>,
    previous: PreviousChanges,
    beforeWrites?: (covering: CoveredChanges) => void,
): Promise<Converged> {
    const start = client.requestCount;
    // Write-ahead: every row a batch call may change (or still has to put back) is on disk before the call goes out.
    const { survey: s, plan: p, result } = await surveyAndWrite(client, flag, scope, exempt, previous, beforeWrites);
    const ours = new Set(p.ours);
    let failedEnforce = 0;
    for (const w of p.enforce) {
        if (!result.written.has(w.sysId)) {
            ours.delete(w.sysId);
            if (!result.missing.has(w.sysId)) failedEnforce++;
        }
    }
    let failedRevert = 0;
    for (const w of p.revert) {
        // A revert that failed keeps the row ours, so a later run or destroy tries again.
        if (!result.written.has(w.sysId) && !result.missing.has(w.sysId)) {
            ours.add(w.sysId);
            failedRevert++;
        }
    }
    const counts: PolicyCounts = {
        changedCount: p.oursEnforcedNow + (p.enforce.length - failedEnforce - countMissing(p.enforce, result)),
        exemptCount: p.exemptInScope,
        driftCount: failedEnforce,
        pendingRevertCount: failedRevert,
    };
    return {
        record: recordOf(s, ours),
        counts,
        error: result.error,
        wroteAny: result.written.size > 0,
        requests: client.requestCount - start,
    };
}

/**
 * Reads live state: how many records drifted from the policy, without writing (one pass over the scope when it can).
 *
 * @param exempt the allow-list's answer, or its promise: the scope is read while it is still being resolved.
 */
export async function inspect(
    client: ServiceNowClient,
    flag: FlagField,
    scope: string,
    exempt: ReadonlySet<string> | Promise<ReadonlySet<string>>,
    previous: ChangeRecord | undefined,
): Promise<{ counts: PolicyCounts; plan: Plan }> {
    const [s, allowed] = await Promise.all([surveyForRead(client, flag, scope, previous), exempt]);
    const p = plan(flag, s, allowed, previous);
    return {
        plan: p,
        counts: {
            changedCount: p.oursEnforcedNow,
            exemptCount: p.exemptInScope,
            driftCount: p.enforce.length,
            pendingRevertCount: p.revert.length,
        },
    };
}

/**
 * Puts back the original value on every record this resource changed that still holds the enforced value, and
 * touches nothing else. Records already gone count as reverted.
 *
 * @throws the first write failure, after writing everything else it could.
 */
export async function revertAll(client: ServiceNowClient, flag: FlagField, previous: PreviousChanges): Promise<number> {
    if (!changeRecords(previous).some((r) => r.changes)) return 0;
    const ours = oursPredicate(previous);
    const rows = (await surveyEnforced(client, flag)).filter(ours);
    const result = await applyWrites(
        client,
        flag,
        rows.map((r) => ({ sysId: r.sysId, cls: r.cls, value: flag.original })),
    );
    if (result.error) throw result.error;
    return result.written.size;
}

function countMissing(writes: readonly { sysId: string }[], result: ApplyResult): number {
    let n = 0;
    for (const w of writes) if (result.missing.has(w.sysId)) n++;
    return n;
}
