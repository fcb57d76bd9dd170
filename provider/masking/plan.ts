/**
 * The pure planner of DataMasking: given the records in a rule's scope, which fields differ from their masked value,
 * and what to write.
 *
 * Masking needs no revert record, unlike the flag policies of provider/bulk/reconcile.ts (UserLockout,
 * ScheduledJobState): nothing is put back on destroy, and whether a record is masked is read off the record itself
 * (techniques are idempotent, see ./techniques.ts). So the bulk engine's survey of the whole table and its change
 * ranges are not needed here; one keyset pass over the scope is, and this module decides what that pass found.
 */
import { type MaskContext, maskValue, type Technique } from "./techniques";

/** One rule as the planner sees it: a table, the records in scope, and a technique per field. */
export interface PlannedRule {
    table: string;
    /** Field name to technique. */
    fields: Readonly<Record<string, Technique>>;
}

/** A record as read: its sys_id, its class (to write to the right table) and the masked fields' live values. */
export interface ScopedRecord {
    sysId: string;
    cls: string;
    values: Readonly<Record<string, string>>;
}

/** One write: the masked values of the fields that differ. Never holds an original value. */
export interface MaskWrite {
    sysId: string;
    cls: string;
    values: Record<string, string>;
}

/** What a rule's scope looks like against its masked form. */
export interface MaskPlan {
    /** Records that need a write (some field is not masked). */
    writes: MaskWrite[];
    /** Records in scope, exceptions included. */
    inScope: number;
    /** Records in scope left alone because an exception names them. */
    exempt: number;
    /** Records in scope, not exempt, whose every field already holds its masked value. */
    masked: number;
    /** Field values to write, over all records. */
    fieldWrites: number;
}

/** Salt and email domain: the parts of a {@link MaskContext} that are the same for every value. */
export type MaskSettings = Pick<MaskContext, "salt" | "emailDomain">;

/**
 * Decides, for each record in scope and not exempt, which fields differ from their masked value.
 *
 * A record someone restored by hand differs again, so it is planned for a write like a record never masked; a
 * second run over a masked scope plans nothing.
 */
export function planMasking(
    rule: PlannedRule,
    records: Iterable<ScopedRecord>,
    exempt: ReadonlySet<string>,
    settings: MaskSettings,
): MaskPlan {
    const out: MaskPlan = { writes: [], inScope: 0, exempt: 0, masked: 0, fieldWrites: 0 };
    const fields = Object.entries(rule.fields);
    for (const r of records) {
        out.inScope++;
        if (exempt.has(r.sysId)) {
            out.exempt++;
            continue;
        }
        const values: Record<string, string> = {};
        let n = 0;
        for (const [field, technique] of fields) {
            const live = r.values[field] ?? "";
            const masked = maskValue(technique, live, { ...settings, table: rule.table, field, sysId: r.sysId });
            if (masked !== live) {
                values[field] = masked;
                n++;
            }
        }
        if (n === 0) out.masked++;
        else {
            out.writes.push({ sysId: r.sysId, cls: r.cls, values });
            out.fieldWrites += n;
        }
    }
    return out;
}

/**
 * The fewest requests a masking pass can take: one read per page of the scope (plus the empty page that proves the
 * end when the scope fills its last page exactly) and one Batch API call per `batchSize` writes.
 */
export function requestLowerBound(inScope: number, writes: number, pageSize: number, batchSize: number): number {
    const reads = Math.floor(inScope / pageSize) + 1;
    return reads + Math.ceil(writes / batchSize);
}
