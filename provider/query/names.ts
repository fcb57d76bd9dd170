/**
 * The existing names closest to one that matched nothing, read from the table it was looked up in: what a check
 * failure offers as "did you mean" for a misspelt reference (a clone profile, an exclusion, a cleanup script).
 */
import type { RecordClient } from "../adopt/row";
import { closest } from "./check";

/** How many names are read to suggest from; reference tables hold tens of rows, rarely hundreds. */
const SUGGEST_FROM = 1000;

/**
 * Up to three values of `field` in `table` closest to `name` (case-insensitive), nearest first; none when the table
 * cannot be read or nothing is close.
 */
export async function closestNames(
    client: RecordClient,
    table: string,
    name: string,
    field = "name",
): Promise<string[]> {
    let names: string[];
    try {
        const rows = await client.query(table, { query: `ORDERBY${field}`, fields: [field], limit: SUGGEST_FROM });
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
