/**
 * The survey and the writes of a convergence, pipelined: the scope and the whole table are walked at the same time,
 * and each page of the scope is planned, covered by the write-ahead journal and sent in batch calls while the next
 * pages are still being read. The instance's threads then write while the table is being read instead of after it
 * (at 10,000 users the read alone holds a thread for ten seconds).
 *
 * Why two walks: only the instance evaluates the scope (an encoded query), so the scope walk says which rows the
 * policy covers; the whole table is the universe the record of changes is encoded against, so the record stays
 * compact and exact (a run of changed rows never swallows a row outside the scope). A table whose scope is all of it
 * is walked once.
 *
 * Crash safety: no batch call goes out before the journal on disk names every row it may change. While the walks are
 * under way the journal holds several records: ranges over the part of the table both walks have passed, the rows the
 * scope walk reached first one by one, and the records of earlier runs (still honoured until this run's own record
 * replaces them); once both walks are done, the one exact record over the whole table that a survey gives.
 */
import type { ServiceNowClient, SnRecord } from "../client/client";
import { inLane, laneOf } from "../client/fair-limit";
import { keysetQuery } from "../client/query";
import { encodeRanges, exactRanges } from "./ranges";
import {
    type ApplyResult,
    applyWrites,
    type ChangeRecord,
    type CoveredChanges,
    changeRecords,
    emptyPlan,
    type FlagField,
    oursPredicate,
    type Plan,
    type PlannedWrite,
    type PreviousChanges,
    planRow,
    recordOf,
    SURVEY_PAGE_SIZE,
    type Survey,
    type SurveyRow,
    serverNow,
    surveyFields,
    toRow,
} from "./reconcile";

/**
 * Rows of the first pages of the walk that drives the writes, before the Table API's largest page: the first batch
 * calls go out after about a second of reading, and the second page is in before they are done. From then on a walk
 * (about 1,000 rows a second on one thread) finds work faster than the other threads can write it (about 50 rows a
 * second each), so bigger pages starve no one and cost fewer requests.
 */
export const FIRST_PAGES: readonly number[] = [1000, 2000];

/** A walk that has returned its last page: every id sorts before it. */
const DONE = "\uffff";

/** What the pipelined convergence surveyed, planned and wrote. */
export interface Pipelined {
    survey: Survey;
    plan: Plan;
    result: ApplyResult;
}

/**
 * Walks the scope and the table, plans every row as the walks pass it, and sends the writes in batch calls as soon as
 * a batch is full, each covered by the journal first (`beforeWrites`).
 *
 * A row the scope returns that the table walk had already passed without seeing, or that was created after the walk
 * began, is left alone: the record of changes could not name it (the next run covers it). Writes that fail for good
 * are reported in the result, as {@link applyWrites} does; a refusal before sending (the production fence) or a
 * failed walk stops the pipeline, waits for the batch calls under way, and throws.
 */
export async function surveyAndWrite(
    client: ServiceNowClient,
    flag: FlagField,
    scope: string,
    exempt: ReadonlySet<string>,
    previous: PreviousChanges,
    beforeWrites?: (covering: CoveredChanges) => void,
): Promise<Pipelined> {
    const wasOurs = oursPredicate(previous);
    const earlier = changeRecords(previous).filter((r) => r.changes);
    const fields = surveyFields(flag);
    const oneWalk = keysetQuery(scope, undefined) === keysetQuery("", undefined);
    const lane = laneOf();

    const rows: SurveyRow[] = [];
    const known = new Set<string>();
    const inScope = new Set<string>();
    const p = emptyPlan();
    const reverting = new Set<string>();
    let asOf: string | undefined;
    /** The last id each walk has returned ("" before its first page, DONE after its last). */
    let tableAt = "";
    let scopeAt = oneWalk ? DONE : "";
    /** rows[0, decided) are planned: both walks have passed them. */
    let decided = 0;
    const pending: PlannedWrite[] = [];
    const sent: Promise<ApplyResult>[] = [];
    let stopped: unknown;

    const inScopeRow = (row: SurveyRow) => {
        inScope.add(row.sysId);
        const behindTheTable = row.sysId <= tableAt && !known.has(row.sysId);
        const createdLater = asOf !== undefined && row.createdOn !== "" && row.createdOn > asOf;
        if (behindTheTable || createdLater) return;
        const write = planRow(flag, row, true, exempt, wasOurs, p);
        if (write) pending.push(write);
    };

    /** Plans the rows outside the scope that both walks have now passed (their reverts). */
    const decide = () => {
        const upTo = tableAt < scopeAt ? tableAt : scopeAt;
        while (decided < rows.length && rows[decided]!.sysId <= upTo) {
            const row = rows[decided++]!;
            if (inScope.has(row.sysId)) continue;
            const write = planRow(flag, row, false, exempt, wasOurs, p);
            if (write) {
                pending.push(write);
                reverting.add(write.sysId);
            }
        }
    };

    /** What the journal must name before the next batch call: see the module comment. */
    const covering = (): ChangeRecord[] => {
        const at = asOf ?? serverNow(client);
        const mine = (id: string) => p.ours.has(id) || reverting.has(id);
        const passed = rows.slice(0, decided).map((r) => r.sysId);
        let count = 0;
        for (const id of passed) if (mine(id)) count++;
        const walked: ChangeRecord = {
            changes: encodeRanges(passed, (i) => mine(passed[i]!), { id: rows[decided]?.sysId }),
            changesAsOf: at,
            changesCount: count,
        };
        const lastPassed = passed.at(-1) ?? "";
        const ahead = p.enforce.map((w) => w.sysId).filter((id) => id > lastPassed);
        const single: ChangeRecord = { changes: exactRanges(ahead), changesAsOf: at, changesCount: ahead.length };
        return [walked, single, ...earlier].filter((r) => r.changes);
    };

    const survey = (): Survey => ({ rows, inScope, asOf: asOf ?? serverNow(client) });

    /** Sends the full batches planned so far (everything, at the end), after the journal covers them. */
    const flush = (done: boolean) => {
        const n = done ? pending.length : pending.length - (pending.length % client.batchSize);
        if (n === 0 && !done) return;
        beforeWrites?.(done ? recordOf(survey(), new Set([...p.ours, ...reverting])) : covering());
        if (n === 0) return;
        const writes = pending.splice(0, n);
        const call = inLane(lane, () => applyWrites(client, flag, writes));
        call.catch((e: unknown) => {
            stopped ??= e;
        });
        sent.push(call);
    };

    // The walks run in a lane of their own, so this resource's queued batch calls never hold up its next page.
    const walk = (query: string | undefined, firstPages: readonly number[], onPage: (page: SnRecord[]) => void) =>
        inLane(`${lane}/read`, async () => {
            const pages = client.pages(flag.table, { query, fields, pageSize: SURVEY_PAGE_SIZE, firstPages });
            for await (const page of pages) {
                // The clock at the first answer: any row created after it is not in this survey's universe.
                asOf ??= client.lastServerTime;
                onPage(page);
                decide();
                flush(false);
                if (stopped !== undefined) return;
            }
        });
    const tableWalk = async () => {
        await walk(undefined, oneWalk ? FIRST_PAGES : [], (page) => {
            for (const r of page) {
                const row = toRow(r, flag);
                rows.push(row);
                known.add(row.sysId);
            }
            tableAt = page.at(-1)?.sys_id ?? tableAt;
            if (oneWalk) for (const row of rows.slice(rows.length - page.length)) inScopeRow(row);
        });
        tableAt = DONE;
    };
    const scopeWalk = async () => {
        if (oneWalk) return;
        await walk(scope, FIRST_PAGES, (page) => {
            for (const r of page) inScopeRow(toRow(r, flag));
            scopeAt = page.at(-1)?.sys_id ?? scopeAt;
        });
        scopeAt = DONE;
    };

    const walks = await Promise.allSettled([tableWalk(), scopeWalk()]);
    const walkFailure = walks.find((w): w is PromiseRejectedResult => w.status === "rejected");
    if (walkFailure || stopped !== undefined) {
        await Promise.allSettled(sent);
        throw walkFailure ? walkFailure.reason : stopped;
    }
    decide();
    flush(true);
    const result: ApplyResult = { written: new Set(), missing: new Set() };
    for (const settled of await Promise.allSettled(sent)) {
        if (settled.status === "rejected") throw settled.reason;
        for (const id of settled.value.written) result.written.add(id);
        for (const id of settled.value.missing) result.missing.add(id);
        result.error ??= settled.value.error;
    }
    return { survey: survey(), plan: p, result };
}
