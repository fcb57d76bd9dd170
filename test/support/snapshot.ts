/**
 * Field-by-field snapshots of instance tables and their differences: the one way tests judge "destroy restores" and
 * "wrote nothing" on the data itself (test/README.md says when to use it and when the request log is the better proof).
 *
 * A snapshot holds every row of the named tables keyed by sys_id, every field except those the platform maintains
 * itself on each write (`sys_updated_on`, `sys_updated_by`, `sys_mod_count`): a restore writes the old values back, so
 * those fields move even when the restore is perfect.
 */
import type { InstanceDb } from "../../emulator/db";
import type { ServiceNowClient } from "../../provider/client/client";

/** Fields the platform maintains itself on every write; a restore is judged on every other field. */
export const SYSTEM_MAINTAINED: ReadonlySet<string> = new Set(["sys_updated_on", "sys_updated_by", "sys_mod_count"]);

/** The rows of one table: sys_id to fields (system-maintained fields left out). */
export type TableRows = Map<string, Record<string, string>>;

/** Several tables at once: table name to its rows. */
export type Snapshot = Map<string, TableRows>;

function stripped(row: Record<string, unknown>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(row)) {
        if (!SYSTEM_MAINTAINED.has(k)) out[k] = typeof v === "string" ? v : JSON.stringify(v);
    }
    return out;
}

/** Every row of `table` (child classes included) straight from an emulated instance's database. */
export function dbRows(db: Pick<InstanceDb, "exportRows">, table: string): TableRows {
    const out: TableRows = new Map();
    for (const r of db.exportRows(table)) out.set(r.sys_id!, stripped(r));
    return out;
}

/** A snapshot of several tables of an emulated instance's database. */
export function dbSnapshot(db: Pick<InstanceDb, "exportRows">, tables: readonly string[]): Snapshot {
    return new Map(tables.map((t) => [t, dbRows(db, t)]));
}

/** Every table of an emulated instance (each hierarchy once, by its root), for "nothing at all changed". */
export function wholeInstance(db: Pick<InstanceDb, "snapshot" | "exportRows">): Snapshot {
    return dbSnapshot(db, [...db.snapshot().tables.keys()]);
}

/** Every row of `table` as a REST client sees it (for instances the test reaches only over HTTP). */
export async function clientRows(client: ServiceNowClient, table: string): Promise<TableRows> {
    const out: TableRows = new Map();
    for await (const page of client.pages(table, { pageSize: 5000 })) {
        for (const r of page) out.set(r.sys_id!, stripped(r));
    }
    return out;
}

function rowsDiff(before: TableRows, after: TableRows, label: string): string[] {
    const out: string[] = [];
    for (const [id, b] of before) {
        const a = after.get(id);
        if (!a) {
            out.push(`${label}${id} disappeared`);
            continue;
        }
        for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
            if (a[k] !== b[k]) out.push(`${label}${id}.${k}: ${JSON.stringify(b[k])} -> ${JSON.stringify(a[k])}`);
        }
    }
    for (const id of after.keys()) if (!before.has(id)) out.push(`${label}${id} appeared`);
    return out;
}

/**
 * The differences between two snapshots (of one table or of several) as readable lines, empty when equal; assert
 * `deepEqual(snapshotDiff(before, after), [])` so a failure names each record and field that differs.
 */
export function snapshotDiff(before: TableRows, after: TableRows): string[];
export function snapshotDiff(before: Snapshot, after: Snapshot): string[];
export function snapshotDiff(before: TableRows | Snapshot, after: TableRows | Snapshot): string[] {
    const multi = [...before.values(), ...after.values()].some((v) => v instanceof Map);
    if (!multi) return rowsDiff(before as TableRows, after as TableRows, "");
    const b = before as Snapshot;
    const a = after as Snapshot;
    const out: string[] = [];
    for (const table of new Set([...b.keys(), ...a.keys()])) {
        out.push(...rowsDiff(b.get(table) ?? new Map(), a.get(table) ?? new Map(), `${table}/`));
    }
    return out;
}
