/**
 * The vocabulary of the adopt-and-restore engine: a record as the Table API returns it, the part of the client the
 * engine needs, field-level difference and JSON equality (the one equality every provider uses).
 */

/** A record as the Table API returns it with `sysparm_exclude_reference_link=true`: every value a string. */
export type Row = Record<string, string>;

/**
 * The part of the ServiceNow client the engine uses.
 *
 * Structural so that pure planning code and unit tests do not depend on the HTTP client; the real
 * `ServiceNowClient` from `provider/client` satisfies it.
 */
export interface RecordClient {
    query(
        table: string,
        options: { query: string; fields?: string[]; limit?: number; coalesce?: boolean },
    ): Promise<Row[]>;
    insert(table: string, values: Record<string, string>): Promise<Row>;
    update(table: string, sysId: string, values: Record<string, string>): Promise<unknown>;
    remove(table: string, sysId: string): Promise<unknown>;
    /** Many PATCHes through the Batch API; used when present for sets larger than a handful. */
    batchUpdate?(
        table: string,
        updates: readonly { sysId: string; values: Record<string, string> }[],
    ): Promise<unknown>;
}

/** A client that can also read one record by sys_id and names its instance (messages say which instance). */
export interface RecordReader extends RecordClient {
    getRecord(table: string, sysId: string): Promise<Record<string, unknown>>;
    readonly url: string;
}

/** The fields of `desired` whose live value differs (a missing live value counts as empty, as the platform stores it). */
export function differingFields(live: Readonly<Row>, desired: Readonly<Row>): Row {
    const out: Row = {};
    for (const [k, v] of Object.entries(desired)) if ((live[k] ?? "") !== v) out[k] = v;
    return out;
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
