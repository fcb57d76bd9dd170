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
