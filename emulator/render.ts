/**
 * Turns stored rows into Table API records: every value a string, references as `{link, value}`, display modes.
 */
import type { InstanceDb } from "./db";
import { compileGetter } from "./query";
import type { FieldDef, TableInfo } from "./schema";
import type { Row } from "./values";

/** How a record is rendered, from the request's sysparm_* parameters. */
export interface RenderOptions {
    /** `sysparm_fields`, already split; undefined means every readable column. */
    fields?: string[];
    /** `sysparm_display_value`. */
    displayValue: "false" | "true" | "all";
    /** `sysparm_exclude_reference_link`. */
    excludeLink: boolean;
    /** Absolute base URL of the instance, for reference links. */
    baseUrl: string;
}

type Column = { key: string; field: FieldDef; get: (row: Row) => string };

/** Precomputes the columns to render for one table, so a page of rows renders without repeated lookups. */
export function columnsFor(db: InstanceDb, info: TableInfo, requested: string[] | undefined): Column[] {
    const out: Column[] = [];
    const names = requested ?? [...info.fields.keys()];
    for (const name of names) {
        const g = compileGetter(db.schema, info, name, db.lookup);
        // Invalid names in sysparm_fields are ignored; secrets are never returned.
        if (!g || g.field.type === "password") continue;
        out.push({ key: name, field: g.field, get: g.get });
    }
    return out;
}

/** Renders one row with precomputed columns. */
export function renderRow(db: InstanceDb, row: Row, columns: Column[], opts: RenderOptions): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const c of columns) out[c.key] = renderValue(db, c.field, c.get(row), opts);
    return out;
}

function renderValue(db: InstanceDb, field: FieldDef, value: string, opts: RenderOptions): unknown {
    if (field.type === "reference" && field.reference) {
        if (value === "") return opts.displayValue === "all" ? { display_value: "", value: "" } : "";
        const link = `${opts.baseUrl}/api/now/table/${field.reference}/${value}`;
        if (opts.displayValue === "false") return opts.excludeLink ? value : { link, value };
        const display = referenceDisplay(db, field.reference, value);
        if (opts.displayValue === "true") return opts.excludeLink ? display : { display_value: display, link };
        return opts.excludeLink ? { display_value: display, value } : { display_value: display, value, link };
    }
    if (opts.displayValue === "false") return value;
    const display = scalarDisplay(db, field, value);
    return opts.displayValue === "true" ? display : { display_value: display, value };
}

function scalarDisplay(db: InstanceDb, field: FieldDef, value: string): string {
    if (field.choices && value in field.choices) return field.choices[value]!;
    if (field.name === "sys_class_name") return db.schema.find(value)?.label ?? value;
    return value;
}

/** The display value of a referenced record: its display column, following one more reference if needed. */
export function referenceDisplay(db: InstanceDb, table: string, sysId: string, depth = 0): string {
    const info = db.schema.find(table);
    const row = db.lookup(table, sysId);
    if (!info || !row) return "";
    const f = info.fields.get(info.display);
    const v = row[info.display] ?? "";
    if (f?.type === "reference" && f.reference && v && depth < 2)
        return referenceDisplay(db, f.reference, v, depth + 1);
    return v;
}

/** Turns one row into its JSON text, UTF-8 encoded. */
export type RowSerializer = (row: Row) => Buffer;

const serializers = new WeakMap<InstanceDb, Map<string, RowSerializer>>();

/**
 * A fast serializer for the default rendering (`sysparm_display_value=false`): generated code writes the JSON text
 * directly, and, when no column is dot-walked (so a row's text depends on that row alone), the bytes of each stored
 * row are remembered, which is safe because stored rows are immutable. Undefined for the other display modes.
 */
export function rowSerializer(db: InstanceDb, info: TableInfo, opts: RenderOptions): RowSerializer | undefined {
    if (opts.displayValue !== "false") return undefined;
    const key = `${info.name}\u0000${opts.fields?.join(",") ?? "*"}\u0000${opts.excludeLink}\u0000${opts.baseUrl}`;
    let perDb = serializers.get(db);
    if (!perDb) {
        perDb = new Map();
        serializers.set(db, perDb);
    }
    const existing = perDb.get(key);
    if (existing) return existing;
    const columns = columnsFor(db, info, opts.fields);
    const getters = columns.map((c) => c.get);
    const parts: string[] = [];
    columns.forEach((c, i) => {
        const name = JSON.stringify(JSON.stringify(c.key));
        const value = c.key.includes(".") ? `g[${i}](r)` : `(r[${JSON.stringify(c.key)}] ?? "")`;
        const sep = i === 0 ? "" : ",";
        if (c.field.type === "reference" && c.field.reference && !opts.excludeLink) {
            const prefix = JSON.stringify(`${opts.baseUrl}/api/now/table/${c.field.reference}/`);
            parts.push(
                `v = ${value}; s += ${JSON.stringify(sep)} + ${name} + ":" + (v === "" ? '""' : '{"link":' + JSON.stringify(${prefix} + v) + ',"value":' + JSON.stringify(v) + "}");`,
            );
        } else {
            parts.push(`s += ${JSON.stringify(sep)} + ${name} + ":" + JSON.stringify(${value});`);
        }
    });
    const body = `"use strict"; return function (r) { let v; let s = "{"; ${parts.join(" ")} return s + "}"; };`;
    const serialize = new Function("g", body)(getters) as (row: Row) => string;
    // Encoded once per stored row: re-encoding 1,000 rows of text per page costs more than the query itself.
    let serializer: RowSerializer = (row) => Buffer.from(serialize(row), "utf8");
    if (!columns.some((c) => c.key.includes("."))) {
        const cache = new WeakMap<Row, Buffer>();
        serializer = (row) => {
            let bytes = cache.get(row);
            if (bytes === undefined) {
                bytes = Buffer.from(serialize(row), "utf8");
                cache.set(row, bytes);
            }
            return bytes;
        };
    }
    if (perDb.size >= 64) perDb.delete(perDb.keys().next().value!);
    perDb.set(key, serializer);
    return serializer;
}

const OPEN = Buffer.from('{"result":[');
const COMMA = Buffer.from(",");
const CLOSE = Buffer.from("]}");

/** The `{"result":[...]}` body of a list, assembled from serialized rows without re-encoding them. */
export function listBody(rows: readonly Row[], serialize: RowSerializer): Buffer {
    const parts: Buffer[] = [OPEN];
    for (let i = 0; i < rows.length; i++) {
        if (i > 0) parts.push(COMMA);
        parts.push(serialize(rows[i]!));
    }
    parts.push(CLOSE);
    return Buffer.concat(parts);
}
