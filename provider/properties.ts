/**
 * Adopt-and-restore helpers shared by the singleton-settings resources.
 *
 * A post-clone resource never owns a `sys_properties` row or a configuration record outright: the clone put it there
 * and a destroy must put back what the clone left. So every write goes through one pattern: read the live value,
 * remember the value seen before our first write (only the first: a later re-apply after drift must not overwrite the
 * memory with the drifted value), write only what differs, and on delete write the remembered values back (and delete
 * what we inserted).
 */

import { z } from "zod";

/** A record as the Table API returns it with `sysparm_exclude_reference_link=true`: every value a string. */
export type Row = Record<string, string>;

/**
 * The part of the ServiceNow client these helpers use.
 *
 * Structural so that pure planning code and unit tests do not depend on the HTTP client; the real
 * `ServiceNowClient` from `provider/client` satisfies it.
 */
export interface RecordClient {
    query(table: string, options: { query: string; fields?: string[]; limit?: number }): Promise<Row[]>;
    insert(table: string, values: Record<string, string>): Promise<Row>;
    update(table: string, sysId: string, values: Record<string, string>): Promise<unknown>;
    remove(table: string, sysId: string): Promise<unknown>;
    /** Many PATCHes through the Batch API; used when present for sets larger than a handful. */
    batchUpdate?(
        table: string,
        updates: readonly { sysId: string; values: Record<string, string> }[],
    ): Promise<unknown>;
}

/** The connections a resource may write through. */
export type ConnectionName = import("./fence").ConnectionName;

/**
 * Opens the named connection configured from stack config by the provider's `configure()`.
 *
 * Loaded lazily so this module stays importable (and testable) without the HTTP client, and so nothing about the
 * connection is captured when Pulumi serializes a provider.
 */
export async function connect(name: ConnectionName): Promise<RecordClient> {
    const connection: typeof import("./connection") = require("./connection");
    return connection.clientFor(name);
}

/**
 * Hands stack config to the shared connection module; every provider's `configure()` calls this.
 */
export async function configureFromStack(req: { config: unknown }): Promise<void> {
    const connection: typeof import("./connection") = require("./connection");
    await connection.configureConnections(req.config as Parameters<typeof connection.configureConnections>[0]);
}

/** Table holding system properties. */
export const PROPERTIES_TABLE = "sys_properties";

/**
 * What a resource remembers of the properties it manages: property name to the value it had before the resource's
 * first write, or `null` when the property did not exist and the resource created it (so delete removes it).
 */
export type PropertyMemory = Record<string, string | null>;

/** A property as it is on the instance. */
export interface LiveProperty {
    sysId: string;
    value: string;
}

/** One write the plan needs. */
export type PropertyWrite =
    | { kind: "update"; name: string; sysId: string; value: string }
    | { kind: "insert"; name: string; value: string };

/**
 * Reads the named properties in one request. Properties that do not exist are absent from the map.
 */
export async function readProperties(
    client: RecordClient,
    names: readonly string[],
): Promise<Map<string, LiveProperty>> {
    const out = new Map<string, LiveProperty>();
    if (names.length === 0) return out;
    // Property names never contain commas, so one IN query covers them all.
    const rows = await client.query(PROPERTIES_TABLE, {
        query: `nameIN${[...new Set(names)].join(",")}`,
        fields: ["sys_id", "name", "value"],
        limit: names.length + 10,
    });
    for (const row of rows) {
        if (row.name !== undefined && names.includes(row.name) && !out.has(row.name)) {
            out.set(row.name, { sysId: row.sys_id ?? "", value: row.value ?? "" });
        }
    }
    return out;
}

/**
 * The writes that bring live properties to the desired values: nothing for a property already right, because each
 * property write flushes the platform's cache (a costly operation on a real instance).
 */
export function planPropertyWrites(
    live: ReadonlyMap<string, LiveProperty>,
    desired: Readonly<Record<string, string>>,
): PropertyWrite[] {
    const writes: PropertyWrite[] = [];
    for (const [name, value] of Object.entries(desired)) {
        const current = live.get(name);
        if (!current) writes.push({ kind: "insert", name, value });
        else if (current.value !== value) writes.push({ kind: "update", name, sysId: current.sysId, value });
    }
    return writes;
}

/**
 * Adds to `memory` the pre-write value of every desired property not remembered yet (first write wins).
 */
export function rememberProperties(
    memory: Readonly<PropertyMemory>,
    live: ReadonlyMap<string, LiveProperty>,
    names: Iterable<string>,
): PropertyMemory {
    const next: PropertyMemory = { ...memory };
    for (const name of names) {
        if (!(name in next)) next[name] = live.get(name)?.value ?? null;
    }
    return next;
}

/**
 * Where an apply leaves its memory before its first write, so a caller can undo a failed apply part-way through.
 * Restoring a remembered value that was never overwritten writes nothing, so the memory may safely cover more than
 * what was actually written.
 */
export interface Ledger<M> {
    memory: M;
}

/** Result of {@link applyProperties}. */
export interface AppliedProperties {
    /** The memory to keep in the resource's outputs. */
    memory: PropertyMemory;
    /** Properties written by this call (empty on a no-op apply). */
    written: string[];
}

/**
 * Converges properties to the desired values, remembering previous values first.
 *
 * @param types `sys_properties.type` for a property that has to be created, e.g. `"true|false"`; default `"string"`.
 */
export async function applyProperties(
    client: RecordClient,
    desired: Readonly<Record<string, string>>,
    memory: Readonly<PropertyMemory> = {},
    types: Readonly<Record<string, string>> = {},
    ledger?: Ledger<PropertyMemory>,
): Promise<AppliedProperties> {
    const live = await readProperties(client, Object.keys(desired));
    const next = rememberProperties(memory, live, Object.keys(desired));
    // Remembered before writing: if a write fails part-way, the caller can still put everything back.
    if (ledger) ledger.memory = next;
    const writes = planPropertyWrites(live, desired);
    for (const w of writes) {
        if (w.kind === "update") await client.update(PROPERTIES_TABLE, w.sysId, { value: w.value });
        else await client.insert(PROPERTIES_TABLE, { name: w.name, value: w.value, type: types[w.name] ?? "string" });
    }
    return { memory: next, written: writes.map((w) => w.name) };
}

/**
 * Puts remembered properties back: the previous value where the live one differs, and deletes the properties the
 * resource created. A property already gone is left gone (delete treats "already gone" as success).
 *
 * @returns the names written or deleted.
 */
export async function restoreProperties(client: RecordClient, memory: Readonly<PropertyMemory>): Promise<string[]> {
    const names = Object.keys(memory);
    const live = await readProperties(client, names);
    const touched: string[] = [];
    for (const name of names) {
        const previous = memory[name];
        const current = live.get(name);
        if (!current) continue;
        if (previous === null || previous === undefined) {
            await client.remove(PROPERTIES_TABLE, current.sysId);
            touched.push(name);
        } else if (current.value !== previous) {
            await client.update(PROPERTIES_TABLE, current.sysId, { value: previous });
            touched.push(name);
        }
    }
    return touched;
}

/**
 * Converges the whole set of properties a resource manages: each remembered property no longer desired goes back to
 * its previous value and is forgotten, then the desired ones are written as {@link applyProperties} does.
 *
 * @returns the memory to keep in the resource's outputs.
 */
export async function convergeProperties(
    client: RecordClient,
    desired: Readonly<Record<string, string>>,
    memory: Readonly<PropertyMemory>,
    types: Readonly<Record<string, string>>,
    ledger: Ledger<PropertyMemory>,
): Promise<PropertyMemory> {
    // A property no longer managed (e.g. an optional input removed) must not stay at the value this resource wrote.
    const dropped = Object.keys(memory).filter((n) => !(n in desired));
    let kept = memory;
    if (dropped.length > 0) {
        await restoreProperties(client, Object.fromEntries(dropped.map((n) => [n, memory[n] ?? null])));
        kept = forget(memory, dropped);
    }
    return (await applyProperties(client, desired, kept, types, ledger)).memory;
}

/** Drops names from a memory (after restoring them). */
export function forget(memory: Readonly<PropertyMemory>, names: Iterable<string>): PropertyMemory {
    const next: PropertyMemory = { ...memory };
    for (const n of names) delete next[n];
    return next;
}

// ---------------------------------------------------------------------------------------------------------------------
// The same pattern for fields of arbitrary records (LDAP configs, endpoints, welcome content, ECC entries, users).

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

/** The fields of `desired` whose live value differs (undefined live counts as empty, as the platform stores it). */
export function differingFields(live: Readonly<Row>, desired: Readonly<Row>): Row {
    const out: Row = {};
    for (const [k, v] of Object.entries(desired)) if ((live[k] ?? "") !== v) out[k] = v;
    return out;
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
 * Converges records field by field, writing only the fields that differ and remembering the first-seen value of each
 * field written. Returns the merged memory.
 */
export async function applyRecordChanges(
    client: RecordClient,
    targets: readonly RecordTarget[],
    memory: readonly RecordMemory[] = [],
    ledger?: Ledger<RecordMemory[]>,
): Promise<RecordMemory[]> {
    const byKey = new Map(memory.map((m) => [`${m.table}:${m.sysId}`, { ...m, previous: { ...m.previous } }]));
    const writes: { table: string; sysId: string; values: Row }[] = [];
    for (const t of targets) {
        const changes = differingFields(t.live, t.desired);
        if (Object.keys(changes).length === 0) continue;
        const key = `${t.table}:${t.sysId}`;
        const entry = byKey.get(key) ?? { table: t.table, sysId: t.sysId, label: t.label, previous: {} };
        for (const field of Object.keys(changes)) {
            if (!(field in entry.previous) && !entry.created) entry.previous[field] = t.live[field] ?? "";
        }
        writes.push({ table: t.table, sysId: t.sysId, values: changes });
        byKey.set(key, entry);
    }
    const merged = [...byKey.values()];
    if (ledger) ledger.memory = merged;
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
        const row = live.get(`${m.table}:${m.sysId}`);
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

/**
 * Puts back what a failed apply wrote, from its ledgers: records first, then properties.
 *
 * Best effort: a restore that fails is ignored, because the apply's own error is the one the user must see.
 */
export async function undoFailedApply(
    client: RecordClient,
    records: readonly RecordMemory[],
    properties?: Readonly<PropertyMemory>,
): Promise<void> {
    await restoreRecordChanges(client, records).catch(() => undefined);
    if (properties) await restoreProperties(client, properties).catch(() => undefined);
}

/**
 * Deep equality for JSON-shaped input values (what Pulumi hands a provider).
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
    if (a === b) return true;
    if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
    if (Array.isArray(a) !== Array.isArray(b)) return false;
    if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
    const ak = Object.keys(a as object).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
    const bk = Object.keys(b as object).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
    if (ak.length !== bk.length) return false;
    return ak.every((k) => jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/**
 * The shared `diff` of these resources: only input-shaped keys are compared (outputs such as remembered previous values
 * are bookkeeping, never a reason to update), and a change to an identity key replaces the resource.
 *
 * @param inputKeys keys of the resource's input schema.
 * @param replaceKeys keys whose change means a different thing is managed (e.g. a property name).
 */
export function diffInputs(
    olds: object,
    news: object,
    inputKeys: readonly string[],
    replaceKeys: readonly string[] = [],
): { changes: boolean; replaces: string[]; deleteBeforeReplace?: boolean } {
    const o = olds as Record<string, unknown>;
    const n = news as Record<string, unknown>;
    const changed = inputKeys.filter((k) => !jsonEqual(o[k], n[k]));
    const replaces = changed.filter((k) => replaceKeys.includes(k));
    // Delete before replace: the old resource must restore the setting before the new one adopts it, or the new one
    // would remember the old resource's value as "previous".
    return { changes: changed.length > 0, replaces, ...(replaces.length ? { deleteBeforeReplace: true } : {}) };
}

/**
 * The `connection` input every resource takes: which configured instance it acts on.
 */
export const ConnectionInput = z
    .enum(["target", "source"], {
        error: 'connection must be "target" or "source"; use "target" for the instance this stack converges',
    })
    .default("target");

/** A unique enough id for a singleton resource on one connection. */
export function singletonId(kind: string, connection: ConnectionName, key = ""): string {
    return key ? `${connection}:${kind}:${key}` : `${connection}:${kind}`;
}
