/**
 * The engine of the query-scoped bulk resources: survey a table, plan the writes that make one field match a policy,
 * apply them through the Batch API, and keep a compact record of what was changed so it can be reverted exactly.
 *
 * UserLockout (`locked_out` forced to "true") and ScheduledJobState (`active` forced to "false") are both this: a
 * boolean field forced to one value on every record in scope except an exempt set.
 */
import type { ServiceNowClient, SnRecord } from "../client/client";
import { BatchWriteError } from "../errors";
import { decodeRanges, encodeRanges, type IdRange, inRanges } from "./ranges";

/** Which field a bulk policy forces, and to what. */
export interface FlagField {
    /** Table walked; for a parent table (sysauto) the whole family is covered. */
    table: string;
    /** The field forced, e.g. `locked_out`. */
    field: string;
    /** The value the policy enforces, e.g. "true". */
    enforced: string;
    /** The value a revert writes back, e.g. "false". */
    original: string;
    /** Writes go to each row's own class (its `sys_class_name`) rather than to `table`. */
    writeToClass?: boolean;
}

/** The compact record of what a bulk resource changed, kept in its outputs. */
export interface ChangeRecord {
    /** The changed rows as {@link encodeRanges} runs over the table at `asOf`. */
    changes: string;
    /** The instance's clock when the table was surveyed; rows created later were never changed by us. */
    changesAsOf: string;
    /**
     * How many rows `changes` covers, so a read can tell from one pass over the scope that none of them left it.
     * Absent in records written before it was kept (those reads survey the whole table).
     */
    changesCount?: number;
}

/** One row as surveyed. */
export interface SurveyRow {
    sysId: string;
    value: string;
    createdOn: string;
    cls: string;
}

/** The table at one moment: every row (sorted by sys_id) and which of them are in scope. */
export interface Survey {
    rows: SurveyRow[];
    inScope: ReadonlySet<string>;
    asOf: string;
}

/** A planned write. */
export interface PlannedWrite {
    sysId: string;
    cls: string;
    value: string;
}

/** What it takes to converge, and what the record of changes will be afterwards. */
export interface Plan {
    /** Rows in scope, not exempt, not yet at the enforced value. */
    enforce: PlannedWrite[];
    /** Rows we changed earlier that the policy no longer covers and that still hold the enforced value. */
    revert: PlannedWrite[];
    /** Rows in scope that are exempt. */
    exemptInScope: number;
    /** sys_ids we will have changed once the plan is applied. */
    ours: Set<string>;
    /** Of `ours`, those holding the enforced value right now (before the plan is applied). */
    oursEnforcedNow: number;
}

/** Rows per page when surveying: the Table API's largest page, so a pass takes as few requests as it can. */
export const SURVEY_PAGE_SIZE = 10_000;

/** The columns a survey reads. */
export function surveyFields(flag: FlagField): string[] {
    return [flag.field, "sys_created_on", ...(flag.writeToClass ? ["sys_class_name"] : [])];
}

/** The instance's clock now, as well as the client knows it (its latest `Date` header, else the local clock). */
export function serverNow(client: ServiceNowClient): string {
    return client.lastServerTime ?? new Date().toISOString().slice(0, 19).replace("T", " ");
}

/**
 * Reads every row of the table (sys_id, the field, creation time, class) and the sys_ids in scope, the two passes at
 * the same time: what a read of a record without a count needs (a convergence walks them in provider/bulk/pipeline.ts).
 */
export async function survey(client: ServiceNowClient, flag: FlagField, scope: string): Promise<Survey> {
    const rows: SurveyRow[] = [];
    let asOf: string | undefined;
    const inScope = new Set<string>();
    const whole = async () => {
        for await (const page of client.pages(flag.table, { fields: surveyFields(flag), pageSize: SURVEY_PAGE_SIZE })) {
            // The clock at the first answer: any row created after it is not in this survey's universe.
            asOf ??= client.lastServerTime;
            for (const r of page) rows.push(toRow(r, flag));
        }
    };
    const scoped = async () => {
        for await (const page of client.pages(flag.table, { query: scope, fields: [], pageSize: SURVEY_PAGE_SIZE })) {
            for (const r of page) inScope.add(r.sys_id!);
        }
    };
    await Promise.all([whole(), scoped()]);
    // No Date header at all: the local clock is the best estimate of the instance's.
    return { rows, inScope, asOf: asOf ?? serverNow(client) };
}

/**
 * What a read needs, in one pass over the scope when it can: the rows in scope with their values; and, only when
 * fewer of the rows we changed are in scope than the record covers (some left the scope, or were deleted), the rows
 * holding the enforced value outside it, which are the pending reverts. Without a count in the record (older state)
 * it surveys the whole table.
 */
export async function surveyForRead(
    client: ServiceNowClient,
    flag: FlagField,
    scope: string,
    previous: ChangeRecord | undefined,
): Promise<Survey> {
    const recorded = previous?.changes ? previous.changesCount : 0;
    if (recorded === undefined) return survey(client, flag, scope);
    const rows: SurveyRow[] = [];
    const inScope = new Set<string>();
    let asOf: string | undefined;
    const fields = surveyFields(flag);
    for await (const page of client.pages(flag.table, { query: scope, fields, pageSize: SURVEY_PAGE_SIZE })) {
        asOf ??= client.lastServerTime;
        for (const r of page) {
            rows.push(toRow(r, flag));
            inScope.add(r.sys_id!);
        }
    }
    const wasOurs = oursPredicate(previous);
    let oursInScope = 0;
    for (const row of rows) if (wasOurs(row)) oursInScope++;
    if (oursInScope < recorded) {
        const query = `${flag.field}=${flag.enforced}`;
        for await (const page of client.pages(flag.table, { query, fields, pageSize: SURVEY_PAGE_SIZE })) {
            for (const r of page) if (!inScope.has(r.sys_id!)) rows.push(toRow(r, flag));
        }
    }
    return { rows, inScope, asOf: asOf ?? serverNow(client) };
}

/** Reads the rows currently holding the enforced value (what a revert needs to look at). */
export async function surveyEnforced(client: ServiceNowClient, flag: FlagField): Promise<SurveyRow[]> {
    const rows: SurveyRow[] = [];
    const fields = surveyFields(flag);
    const query = `${flag.field}=${flag.enforced}`;
    for await (const page of client.pages(flag.table, { query, fields, pageSize: SURVEY_PAGE_SIZE })) {
        for (const r of page) rows.push(toRow(r, flag));
    }
    return rows;
}

/**
 * What a resource remembers having changed: its change record, or several when an interrupted run's write-ahead
 * journal must be counted too (a row is ours when any of them lists it).
 */
export type PreviousChanges = ChangeRecord | undefined | readonly PreviousChanges[];

/**
 * What a write-ahead journal entry holds: one record over the whole table, or, while a convergence is still walking
 * it, several (the part walked, rows named one by one, and the records of earlier runs still to be honoured).
 */
export type CoveredChanges = ChangeRecord | ChangeRecord[];

/** The change records in `previous`, nested lists flattened, absent ones dropped. */
export function changeRecords(previous: PreviousChanges): ChangeRecord[] {
    if (previous === undefined) return [];
    if (isRecordList(previous)) return previous.flatMap(changeRecords);
    return [previous];
}

function isRecordList(p: PreviousChanges): p is readonly PreviousChanges[] {
    return Array.isArray(p);
}

/** A predicate "did we change this row", from change records (rows created after a record never were). */
export function oursPredicate(previous: PreviousChanges): (row: SurveyRow) => boolean {
    const records = changeRecords(previous).filter((r) => r.changes);
    if (records.length !== 1) {
        const each = records.map((r) => oursPredicate(r));
        return (row) => each.some((p) => p(row));
    }
    const record = records[0]!;
    const ranges: IdRange[] = decodeRanges(record.changes);
    // The creation-time filter needs both times; without them (a hidden sys_created_on) the ranges alone decide.
    const asOf = record.changesAsOf;
    return (row) => (asOf === "" || row.createdOn === "" || row.createdOn <= asOf) && inRanges(ranges, row.sysId);
}

/**
 * Plans convergence: every row in scope and not exempt gets the enforced value; rows we changed that left the policy
 * get their original value back. A row already at the enforced value that we did not change stays someone else's:
 * a user locked before the policy is never unlocked by it.
 */
export function plan(flag: FlagField, s: Survey, exempt: ReadonlySet<string>, previous: PreviousChanges): Plan {
    const wasOurs = oursPredicate(previous);
    const out = emptyPlan();
    for (const row of s.rows) planRow(flag, row, s.inScope.has(row.sysId), exempt, wasOurs, out);
    return out;
}

/** A plan with nothing in it yet. */
export function emptyPlan(): Plan {
    return { enforce: [], revert: [], exemptInScope: 0, ours: new Set(), oursEnforcedNow: 0 };
}

/**
 * Plans one row into `out` (see {@link plan}) and returns the write it needs, if any.
 *
 * @param wasOurs the predicate of the previous change records ({@link oursPredicate}).
 */
export function planRow(
    flag: FlagField,
    row: SurveyRow,
    inScope: boolean,
    exempt: ReadonlySet<string>,
    wasOurs: (row: SurveyRow) => boolean,
    out: Plan,
): PlannedWrite | undefined {
    const ours = wasOurs(row);
    const enforcedNow = row.value === flag.enforced;
    if (inScope && exempt.has(row.sysId)) out.exemptInScope++;
    const wanted = inScope && !exempt.has(row.sysId);
    if (wanted) {
        if (!enforcedNow) {
            const write = { sysId: row.sysId, cls: row.cls, value: flag.enforced };
            out.enforce.push(write);
            out.ours.add(row.sysId);
            return write;
        }
        if (ours) {
            out.ours.add(row.sysId);
            out.oursEnforcedNow++;
        }
    } else if (ours && enforcedNow) {
        const write = { sysId: row.sysId, cls: row.cls, value: flag.original };
        out.revert.push(write);
        return write;
    }
    return undefined;
}

/** Encodes a set of changed sys_ids against the surveyed table. */
export function recordOf(s: Survey, ours: ReadonlySet<string>): ChangeRecord {
    return {
        changes: encodeRanges(
            s.rows.map((r) => r.sysId),
            (i) => ours.has(s.rows[i]!.sysId),
        ),
        changesAsOf: s.asOf,
        changesCount: ours.size,
    };
}

/** What applying writes achieved. */
export interface ApplyResult {
    written: Set<string>;
    missing: Set<string>;
    /** The first failure, when some writes failed for good. */
    error?: Error;
}

/**
 * Sends planned writes through the Batch API, each item to the table it must go to.
 *
 * Never throws for failed items: it reports what was written so the caller can record exactly that.
 */
export async function applyWrites(
    client: ServiceNowClient,
    flag: FlagField,
    writes: readonly PlannedWrite[],
): Promise<ApplyResult> {
    const result: ApplyResult = { written: new Set(), missing: new Set() };
    if (writes.length === 0) return result;
    try {
        // One stream of batch calls for all classes: each item names its own table, so batches stay full.
        const r = await client.batchUpdate(
            flag.table,
            writes.map((w) => ({
                sysId: w.sysId,
                values: { [flag.field]: w.value },
                ...(flag.writeToClass && w.cls && w.cls !== flag.table ? { table: w.cls } : {}),
            })),
        );
        for (const id of r.updated) result.written.add(id);
        for (const id of r.missing) result.missing.add(id);
    } catch (e) {
        // Refused before anything was sent (the fence, or the identity read failing): nothing to record.
        if (!(e instanceof BatchWriteError)) throw e;
        for (const id of e.succeeded) result.written.add(id);
        result.error = e;
    }
    return result;
}

/** A row as a survey keeps it. */
export function toRow(r: SnRecord, flag: FlagField): SurveyRow {
    return {
        sysId: r.sys_id!,
        value: r[flag.field] ?? "",
        createdOn: r.sys_created_on ?? "",
        cls: r.sys_class_name ?? flag.table,
    };
}
