/**
 * Adopt-and-restore for fields of arbitrary records (LDAP configs, endpoints, welcome content, ECC entries, users,
 * clone configuration): write only the fields that differ, remember each field's first-seen value, and on restore
 * write those back (or delete the records the resource inserted).
 */
import { randomBytes } from "node:crypto";
import { eqQuery } from "../client/query";
import { NotFoundError } from "../errors";
import type { UndoJournal } from "./journal";
import { differingFields, type RecordClient, type RecordReader, type Row } from "./row";

/** Previous values of the fields a resource changed on one record; `created` records are deleted on restore. */
export interface RecordMemory {
    table: string;
    sysId: string;
    /** A human name for messages and outputs (the record's name or label). */
    label?: string;
    /** Field name to the value before the resource's first write to it. */
    previous: Row;
    /** True when the resource inserted the record; restore deletes it. */
    created?: boolean;
}

/** One record to converge: its live values and the values it must have. */
export interface RecordTarget {
    table: string;
    sysId: string;
    label?: string;
    live: Readonly<Row>;
    desired: Readonly<Row>;
}

/**
 * Adds to a memory the live value of each field about to be written, unless one is remembered already: the first
 * value seen is what restore puts back, not a value that drifted in between. A created record remembers nothing.
 */
export function rememberFields<M extends Pick<RecordMemory, "previous" | "created">>(
    memory: M,
    live: Readonly<Row>,
    fields: Iterable<string>,
): M {
    if (memory.created) return memory;
    const previous = { ...memory.previous };
    for (const f of fields) if (!(f in previous)) previous[f] = live[f] ?? "";
    return { ...memory, previous };
}

const keyOf = (m: { table: string; sysId: string }) => `${m.table}:${m.sysId}`;

/**
 * Converges records field by field, writing only the fields that differ and remembering the first-seen value of each
 * field written. Returns the merged memory (also noted in `journal` before the first write).
 */
export async function applyRecordChanges(
    client: RecordClient,
    targets: readonly RecordTarget[],
    memory: readonly RecordMemory[] = [],
    journal?: UndoJournal,
): Promise<RecordMemory[]> {
    const byKey = new Map(memory.map((m) => [keyOf(m), { ...m, previous: { ...m.previous } }]));
    const writes: { table: string; sysId: string; values: Row }[] = [];
    for (const t of targets) {
        const changes = differingFields(t.live, t.desired);
        if (Object.keys(changes).length === 0) continue;
        const entry = byKey.get(keyOf(t)) ?? { table: t.table, sysId: t.sysId, label: t.label, previous: {} };
        byKey.set(keyOf(t), rememberFields(entry, t.live, Object.keys(changes)));
        writes.push({ table: t.table, sysId: t.sysId, values: changes });
    }
    const merged = [...byKey.values()];
    journal?.noteRecords(merged);
    const tables = [...new Set(writes.map((w) => w.table))];
    for (const table of tables) {
        const mine = writes.filter((w) => w.table === table);
        // Batch API for bulk sets: one request per chunk instead of one per record.
        if (client.batchUpdate && mine.length > 5) {
            await client.batchUpdate(
                table,
                mine.map((w) => ({ sysId: w.sysId, values: w.values })),
            );
        } else {
            for (const w of mine) await client.update(table, w.sysId, w.values);
        }
    }
    return merged;
}

/**
 * Reads the live values of remembered records (one query per table), keyed by `table:sysId`.
 */
export async function readRemembered(client: RecordClient, memory: readonly RecordMemory[]): Promise<Map<string, Row>> {
    const out = new Map<string, Row>();
    const tables = new Map<string, RecordMemory[]>();
    for (const m of memory) tables.set(m.table, [...(tables.get(m.table) ?? []), m]);
    for (const [table, entries] of tables) {
        const fields = new Set(["sys_id"]);
        for (const e of entries) for (const f of Object.keys(e.previous)) fields.add(f);
        // Chunked: an encoded query travels in the URL, which real instances cap.
        for (let i = 0; i < entries.length; i += 100) {
            const ids = entries.slice(i, i + 100).map((e) => e.sysId);
            const rows = await client.query(table, {
                query: `sys_idIN${ids.join(",")}`,
                fields: [...fields],
                limit: ids.length,
            });
            for (const row of rows) if (row.sys_id) out.set(`${table}:${row.sys_id}`, row);
        }
    }
    return out;
}

/**
 * Reverts remembered records: writes back previous field values that differ now, deletes created records. Records
 * already gone are skipped.
 *
 * @returns how many records were written or deleted.
 */
export async function restoreRecordChanges(client: RecordClient, memory: readonly RecordMemory[]): Promise<number> {
    const live = await readRemembered(client, memory);
    let touched = 0;
    // Reverse order: undo later changes (e.g. a role grant) before the records they depend on (the user).
    for (const m of [...memory].reverse()) {
        const row = live.get(keyOf(m));
        if (!row) continue;
        if (m.created) {
            await client.remove(m.table, m.sysId);
            touched++;
            continue;
        }
        const changes = differingFields(row, m.previous);
        if (Object.keys(changes).length === 0) continue;
        await client.update(m.table, m.sysId, changes);
        touched++;
    }
    return touched;
}

/** The record named `name`, oldest first when the name is not unique (the platform does not enforce uniqueness). */
export async function findByName(client: RecordClient, table: string, name: string): Promise<Row | undefined> {
    const rows = await client.query(table, { query: `${eqQuery("name", name)}^ORDERBYsys_created_on`, limit: 1 });
    return rows[0];
}

/**
 * Inserts a record whose sys_id is chosen here and noted in the journal before the insert is sent (the Table API
 * honours a caller-supplied sys_id), so a kill between the insert and the resource's outputs still leaves the record
 * findable for undo instead of orphaned and later adopted as if it had always been there.
 */
export async function insertNoted(
    client: Pick<RecordClient, "insert">,
    table: string,
    values: Readonly<Row>,
    journal?: UndoJournal,
    label?: string,
): Promise<{ row: Row; memory: RecordMemory }> {
    const sysId = randomBytes(16).toString("hex");
    const memory: RecordMemory = { table, sysId, ...(label ? { label } : {}), previous: {}, created: true };
    journal?.noteRecords([memory]);
    const row = (await client.insert(table, { ...values, sys_id: sysId })) as Row;
    if (row.sys_id && row.sys_id !== sysId) {
        // An instance that assigned its own sys_id: remember the real one.
        memory.sysId = row.sys_id;
        journal?.noteRecords([memory]);
    }
    return { row, memory };
}

/** Reads a record by sys_id; undefined when it is gone. */
export async function getOrUndefined(client: RecordReader, table: string, sysId: string): Promise<Row | undefined> {
    try {
        return (await client.getRecord(table, sysId)) as Row;
    } catch (e) {
        if (e instanceof NotFoundError) return undefined;
        throw e;
    }
}

/** Result of {@link convergeRecord}. */
export interface ConvergedRecord {
    memory: RecordMemory & { created: boolean };
    /** The record as it is now. */
    live: Row;
}

/**
 * Makes the record named `name` in `table` carry `desired`: finds it (by the remembered sys_id, else by name),
 * adopts it, or inserts it; writes only the fields that differ. The memory is noted in `journal` before each write.
 */
export async function convergeRecord(
    client: RecordReader,
    table: string,
    name: string,
    desired: Readonly<Row>,
    prior?: RecordMemory,
    journal?: UndoJournal,
): Promise<ConvergedRecord> {
    let live = prior ? await getOrUndefined(client, table, prior.sysId) : undefined;
    let memory: ConvergedRecord["memory"] | undefined =
        live && prior ? { ...prior, table, created: prior.created ?? false } : undefined;
    if (!live) {
        live = await findByName(client, table, name);
        if (live) memory = { table, sysId: live.sys_id ?? "", created: false, previous: {} };
    }
    if (!live || !memory) {
        const { row, memory: created } = await insertNoted(client, table, { name, ...desired }, journal);
        return { memory: { ...created, created: true }, live: row };
    }
    const changes = differingFields(live, { name, ...desired });
    if (Object.keys(changes).length === 0) return { memory, live };
    memory = rememberFields(memory, live, Object.keys(changes));
    journal?.noteRecords([memory]);
    const updated = await client.update(table, memory.sysId, changes);
    return { memory, live: { ...live, ...(updated as Row) } };
}

/**
 * Undoes a resource's changes to one record: deletes it when the resource created it, else writes back the remembered
 * values that differ now. A record already gone is success.
 */
export async function restoreRecord(client: RecordReader, memory: RecordMemory): Promise<void> {
    if (memory.created) {
        await client.remove(memory.table, memory.sysId);
        return;
    }
    const live = await getOrUndefined(client, memory.table, memory.sysId);
    if (!live) return;
    const changes = differingFields(live, memory.previous);
    if (Object.keys(changes).length > 0) await client.update(memory.table, memory.sysId, changes);
}
