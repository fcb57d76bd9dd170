/**
 * A table's columns as the instance's data dictionary defines them: `sys_dictionary` rows of the table and of every
 * table it extends (`sys_db_object.super_class`), read once per operation and table.
 */
import type { RecordClient, Row } from "../adopt/row";
import { OncePerOperation } from "../client/once-per-operation";
import { eqQuery, inQuery } from "../client/query";
import { AccessDeniedError } from "../errors";

/** One column: its type and, for a reference, the table it points to. */
export interface Column {
    name: string;
    type: string;
    reference: string;
}

/** The columns of a table, or undefined when the instance does not know the table. */
export type TableColumns = ReadonlyMap<string, Column> | undefined;

const columnsOf = new OncePerOperation<TableColumns>();

/**
 * The columns of `table` including inherited ones; undefined when `sys_db_object` has no such table.
 *
 * An empty map means the dictionary could not be read for it (no rows visible): callers then cannot check and say so.
 */
export function tableColumns(client: RecordClient, table: string): Promise<TableColumns> {
    return columnsOf.get(client, table, () => readColumns(client, table));
}

async function readColumns(client: RecordClient, table: string): Promise<TableColumns> {
    try {
        return await readDictionary(client, table);
    } catch (e) {
        // An integration user without read access to the dictionary: the query cannot be checked (an empty map
        // says so), which must not fail a preview that would otherwise succeed.
        if (e instanceof AccessDeniedError) return new Map();
        throw e;
    }
}

async function readDictionary(client: RecordClient, table: string): Promise<TableColumns> {
    // The table's row and its own columns are asked at once (one step of small reads); the tables it extends, when
    // it extends any, after.
    const [own, ownColumns] = await Promise.all([
        dbObject(client, eqQuery("name", table)),
        columnRows(client, [table]),
    ]);
    if (!own) return undefined;
    const ancestors: string[] = [];
    let row: Row | undefined = own;
    // The hierarchy is shallow (task → incident); the bound guards against a cycle in bad data.
    for (let depth = 0; row?.super_class && depth < 20; depth++) {
        row = await dbObject(client, eqQuery("sys_id", row.super_class));
        if (row?.name) ancestors.push(row.name);
    }
    const inherited = ancestors.length > 0 ? await columnRows(client, ancestors) : [];
    const columns = new Map<string, Column>();
    // The nearest declaration of a column wins: farthest ancestor first, the table's own columns last.
    const distance = (r: Row) => ancestors.indexOf(r.name ?? "");
    for (const r of [...inherited.sort((a, b) => distance(b) - distance(a)), ...ownColumns]) {
        if (!r.element) continue;
        columns.set(r.element, { name: r.element, type: r.internal_type ?? "string", reference: r.reference ?? "" });
    }
    return columns;
}

async function dbObject(client: RecordClient, query: string): Promise<Row | undefined> {
    const rows = await client.query("sys_db_object", {
        query,
        fields: ["sys_id", "name", "super_class"],
        limit: 1,
        coalesce: true,
    });
    return rows[0];
}

function columnRows(client: RecordClient, tables: string[]): Promise<Row[]> {
    return client.query("sys_dictionary", {
        query: inQuery("name", tables),
        fields: ["name", "element", "internal_type", "reference"],
        limit: 10000,
        coalesce: true,
    });
}
