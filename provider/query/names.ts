/**
 * The existing names closest to one that matched nothing, read from the table it was looked up in: what a check
 * failure offers as "did you mean" for a misspelt reference (a clone profile, an exclusion, a cleanup script).
 */
import type { RecordClient } from "../adopt/row";
import { closest, type QueryProblem } from "./check";
import { tableColumns } from "./dictionary";

/** How many names are read to suggest from; reference tables hold tens of rows, rarely hundreds. */
const SUGGEST_FROM = 1000;

/**
 * Up to three values of `field` in `table` closest to `name` (case-insensitive), nearest first; none when the table
 * cannot be read or nothing is close.
 *
 * @param within an encoded query narrowing the candidates (for a big table such as sys_db_object).
 */
export async function closestNames(
    client: RecordClient,
    table: string,
    name: string,
    field = "name",
    within = "",
): Promise<string[]> {
    let names: string[];
    try {
        const query = `${within ? `${within}^` : ""}ORDERBY${field}`;
        const rows = await client.query(table, { query, fields: [field], limit: SUGGEST_FROM, coalesce: true });
        names = [...new Set(rows.map((r) => r[field] ?? "").filter((n) => n !== ""))];
    } catch {
        // A suggestion is a courtesy: the failure it decorates is reported either way.
        return [];
    }
    const byLower = new Map(names.map((n) => [n.toLowerCase(), n]));
    return closest(name.toLowerCase(), [...byLower.keys()]).map((n) => byLower.get(n)!);
}

/** `; did you mean "a", "b"?`, or "" when there is nothing to suggest. */
export function didYouMean(names: readonly string[]): string {
    return names.length > 0 ? `; did you mean ${names.map((n) => `"${n}"`).join(", ")}?` : "";
}

/**
 * The problem of a table name that is not a table on the instance, with the closest table names (among those sharing
 * its first two letters: sys_db_object holds thousands); none when it is a table.
 *
 * @param property the input property holding the table name, e.g. `rules[1].table`.
 */
export async function checkTable(
    client: RecordClient & { url?: string },
    table: string,
    property: string,
): Promise<QueryProblem[]> {
    if ((await tableColumns(client, table)) !== undefined) return [];
    const near = await closestNames(client, "sys_db_object", table, "name", `nameSTARTSWITH${table.slice(0, 2)}`);
    const on = client.url ? ` on ${client.url}` : "";
    const reason = `table "${table}" does not exist${on}${didYouMean(near)}; fix its name (received ${JSON.stringify(table)})`;
    return [{ property, reason }];
}
