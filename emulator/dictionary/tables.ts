/**
 * The data dictionary (`sys_dictionary`): one row per column a table declares (inherited columns are the parent's
 * rows), as the platform serves it. Clients read it to check encoded queries before they run them.
 */
import type { InstanceDb } from "../db";
import { fields, type TableDef } from "../schema";

/** The dictionary's own table. */
export function dictionaryTables(): TableDef[] {
    return [
        {
            name: "sys_dictionary",
            label: "Dictionary Entry",
            display: "column_label",
            fields: fields(
                "name",
                "element",
                "column_label",
                "internal_type",
                "reference",
                "max_length:integer=40",
                "active:boolean=true",
            ),
        },
    ];
}

/**
 * The dictionary rows of every table of the instance's schema: the columns each table declares itself, the system
 * columns on the tables that extend nothing (as on the platform, where a child table inherits them).
 *
 * @param add inserts one row (the seed's builder).
 */
export function dictionaryRows(db: InstanceDb): Record<string, string>[] {
    const rows: Record<string, string>[] = [];
    for (const t of db.schema.names()) {
        const info = db.schema.table(t);
        const inherited = info.parent ? db.schema.table(info.parent).fields : new Map();
        for (const [name, field] of info.fields) {
            if (inherited.has(name)) continue;
            rows.push({
                name: t,
                element: name,
                column_label: name.replaceAll("_", " ").replace(/^./, (c) => c.toUpperCase()),
                internal_type: field.type,
                reference: field.reference ?? "",
            });
        }
    }
    return rows;
}
