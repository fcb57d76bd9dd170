/**
 * Adopt-and-restore for `sys_properties`: read the live value, remember the value seen before the first write (only
 * the first: a re-apply after drift must not overwrite the memory with the drifted value), write only what differs,
 * and on restore write the remembered values back (and delete the properties the resource created).
 */
import type { UndoJournal } from "./journal";
import type { RecordClient } from "./row";

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
 * @param types `sys_properties.type` for a property that has to be created, e.g. `"boolean"`; default `"string"`.
 */
export async function applyProperties(
    client: RecordClient,
    desired: Readonly<Record<string, string>>,
    memory: Readonly<PropertyMemory> = {},
    types: Readonly<Record<string, string>> = {},
    journal?: UndoJournal,
): Promise<AppliedProperties> {
    const live = await readProperties(client, Object.keys(desired));
    const next = rememberProperties(memory, live, Object.keys(desired));
    // Remembered before writing: if a write fails part-way, the skeleton can still put everything back.
    journal?.noteProperties(next);
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
    journal?: UndoJournal,
): Promise<PropertyMemory> {
    // A property no longer managed (e.g. an optional input removed) must not stay at the value this resource wrote.
    const dropped = Object.keys(memory).filter((n) => !(n in desired));
    let kept = memory;
    if (dropped.length > 0) {
        await restoreProperties(client, Object.fromEntries(dropped.map((n) => [n, memory[n] ?? null])));
        kept = forget(memory, dropped);
    }
    return (await applyProperties(client, desired, kept, types, journal)).memory;
}

/** Drops names from a memory (after restoring them). */
export function forget(memory: Readonly<PropertyMemory>, names: Iterable<string>): PropertyMemory {
    const next: PropertyMemory = { ...memory };
    for (const n of names) delete next[n];
    return next;
}
