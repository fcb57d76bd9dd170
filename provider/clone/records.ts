/**
 * Shared pieces of the clone-configuration resources (ClonePreserver, CloneExclusion, CloneCleanupScript,
 * CloneProfile): the source connection, adopting a record by name, restoring it on destroy, and reading it back.
 *
 * The clone's configuration is UI data on production that people also edit by hand, so a resource never assumes it
 * owns a record: a record that exists is adopted by its name, the values it had before our first write are kept in
 * the resource's outputs, and destroy puts them back (or deletes the record when the resource created it).
 */
import { z } from "zod";
import type { ServiceNowClient, SnRecord } from "../client/client";

/** A record as the Table API returns it: every value a string. */
export type Row = Record<string, string>;

/** The part of the client these helpers use (the real ServiceNowClient satisfies it). */
export type CloneClient = Pick<ServiceNowClient, "getRecord" | "query" | "insert" | "update" | "remove" | "url">;

/**
 * The connection a clone-configuration resource writes through. The configuration lives on the clone's source
 * (production), whose fence allows writes to these tables only.
 */
export const SourceConnectionInput = z
    .enum(["source", "target"], {
        error: 'connection must be "source" (the instance clones are made from) or "target"',
    })
    .default("source");

/**
 * A record name as it is used in encoded queries: `^` would split the query (ServiceNow escapes it as `^^`, which
 * not every instance honours in Table API queries), so it is refused rather than silently matching another record.
 */
export function recordName(what: string, example: string) {
    return z
        .string({ error: `name is required: the ${what}, e.g. ${example}` })
        .trim()
        .min(1, { error: `name must not be empty: give the ${what}, e.g. ${example}` })
        .refine((v) => !v.includes("^"), { error: "name must not contain '^', which separates encoded-query terms" });
}

/** Opens a named connection configured by the provider's configure(); required lazily so nothing is serialized. */
export async function cloneClient(name: "source" | "target"): Promise<CloneClient> {
    const connection: typeof import("../connection") = require("../connection");
    return connection.clientFor(name);
}

/** Hands stack config to the connection module; every provider's configure() calls this. */
export async function configureClone(req: { config: unknown }): Promise<void> {
    const connection: typeof import("../connection") = require("../connection");
    connection.configureConnections(req.config as Parameters<typeof connection.configureConnections>[0]);
}

/** What a resource remembers about the record it manages. */
export interface RecordMemory {
    /** The record's sys_id. */
    sysId: string;
    /** True when the resource inserted the record (destroy deletes it). */
    created: boolean;
    /** Field values before the resource's first write to each field (empty when created). */
    previous: Row;
}

/** The record named `name`, oldest first when the name is not unique (the platform does not enforce uniqueness). */
export async function findByName(client: CloneClient, table: string, name: string): Promise<Row | undefined> {
    const rows = await client.query(table, { query: `name=${name}^ORDERBYsys_created_on`, limit: 1 });
    return rows[0];
}

/** Reads a record by sys_id; undefined when it is gone. */
export async function getOrUndefined(client: CloneClient, table: string, sysId: string): Promise<Row | undefined> {
    const { NotFoundError }: typeof import("../client/errors") = require("../client/errors");
    try {
        return (await client.getRecord(table, sysId)) as SnRecord;
    } catch (e) {
        if (e instanceof NotFoundError) return undefined;
        throw e;
    }
}

/** The fields of `desired` whose live value differs (a missing live value counts as empty, as the platform stores it). */
export function changedFields(live: Readonly<Row>, desired: Readonly<Row>): Row {
    const out: Row = {};
    for (const [k, v] of Object.entries(desired)) if ((live[k] ?? "") !== v) out[k] = v;
    return out;
}

/**
 * Adds to a memory the live value of each field about to be written, unless one is remembered already: the first
 * value seen is what destroy restores, not a value that drifted in between.
 */
export function rememberFields(memory: RecordMemory, live: Readonly<Row>, fields: Iterable<string>): RecordMemory {
    if (memory.created) return memory;
    const previous = { ...memory.previous };
    for (const f of fields) if (!(f in previous)) previous[f] = live[f] ?? "";
    return { ...memory, previous };
}

/** Result of {@link convergeRecord}. */
export interface Converged {
    memory: RecordMemory;
    /** The record as it is now. */
    live: Row;
}

/**
 * Makes the record named `name` in `table` carry `desired`: finds it (by the remembered sys_id, else by name),
 * adopts it, or inserts it; writes only the fields that differ.
 */
export async function convergeRecord(
    client: CloneClient,
    table: string,
    name: string,
    desired: Readonly<Row>,
    prior?: RecordMemory,
): Promise<Converged> {
    let live = prior ? await getOrUndefined(client, table, prior.sysId) : undefined;
    let memory: RecordMemory | undefined = live && prior ? prior : undefined;
    if (!live) {
        live = await findByName(client, table, name);
        if (live) memory = { sysId: live.sys_id ?? "", created: false, previous: {} };
    }
    if (!live || !memory) {
        const inserted = await client.insert(table, { name, ...desired });
        return { memory: { sysId: inserted.sys_id ?? "", created: true, previous: {} }, live: inserted };
    }
    const changes = changedFields(live, { name, ...desired });
    if (Object.keys(changes).length === 0) return { memory, live };
    memory = rememberFields(memory, live, Object.keys(changes));
    const updated = await client.update(table, memory.sysId, changes);
    return { memory, live: { ...live, ...updated } };
}

/**
 * Undoes a resource's changes to its record: deletes it when the resource created it, else writes back the remembered
 * values that differ now. A record already gone is success.
 */
export async function restoreRecord(client: CloneClient, table: string, memory: RecordMemory): Promise<void> {
    if (memory.created) {
        await client.remove(table, memory.sysId);
        return;
    }
    const live = await getOrUndefined(client, table, memory.sysId);
    if (!live) return;
    const changes = changedFields(live, memory.previous);
    if (Object.keys(changes).length > 0) await client.update(table, memory.sysId, changes);
}

/** A platform boolean field as a boolean ("true"/"1" are true; anything else false). */
export function flag(value: string | undefined): boolean {
    return value === "true" || value === "1";
}

/** A platform integer field as a number, with a fallback for blank or garbage values. */
export function integer(value: string | undefined, fallback: number): number {
    const n = Number.parseInt(value ?? "", 10);
    return Number.isFinite(n) ? n : fallback;
}

/** True when a string is a 32-hex sys_id (how references by sys_id are told from references by name). */
export function isSysId(ref: string): boolean {
    return /^[0-9a-f]{32}$/i.test(ref);
}

/** Deep equality for JSON-shaped values (what Pulumi hands a provider); undefined keys count as absent. */
export function sameJson(a: unknown, b: unknown): boolean {
    if (a === b) return true;
    if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
    if (Array.isArray(a) !== Array.isArray(b)) return false;
    if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => sameJson(v, b[i]));
    const ao = a as Record<string, unknown>;
    const bo = b as Record<string, unknown>;
    const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
    const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
    return ak.length === bk.length && ak.every((k) => sameJson(ao[k], bo[k]));
}

/**
 * The `diff` of a record resource: input keys only (remembered values are bookkeeping, never a reason to write), and
 * a new name or connection means another record, so a replacement; the old one restores first.
 */
export function diffRecordInputs(
    olds: object,
    news: object,
    inputKeys: readonly string[],
    replaceKeys: readonly string[] = ["connection", "name"],
): { changes: boolean; replaces: string[]; deleteBeforeReplace?: boolean } {
    const o = olds as Record<string, unknown>;
    const n = news as Record<string, unknown>;
    const changed = inputKeys.filter((k) => !sameJson(o[k], n[k]));
    const replaces = changed.filter((k) => replaceKeys.includes(k));
    return { changes: changed.length > 0, replaces, ...(replaces.length ? { deleteBeforeReplace: true } : {}) };
}
