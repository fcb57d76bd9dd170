/**
 * Checks an encoded query against the instance's data dictionary before it is used: every field (dot-walks through
 * references included) must exist on the table or a table it extends, and every operator must suit the field's type.
 * The platform ignores an unknown field (or, with `glide.invalid_query.returns_no_rows`, returns nothing), so a typo
 * would silently widen or empty a scope: here it is a check failure naming the property, the field, the table and the
 * closest real names.
 */
import type { RecordClient } from "../adopt/row";
import { type Column, tableColumns } from "./dictionary";
import { parseQueryText, type QueryOperator } from "./parse";

/** One problem found in a query: the input property and the sentence for the user. */
export interface QueryProblem {
    property: string;
    reason: string;
}

/** Operators that make no sense for a type (the platform would ignore the condition or fail it). */
const REFUSED: Record<string, readonly QueryOperator[]> = {
    boolean: [
        "LIKE",
        "NOT LIKE",
        "STARTSWITH",
        "ENDSWITH",
        "<",
        "<=",
        ">",
        ">=",
        "BETWEEN",
        "ON",
        "NOTON",
        "DATEPART",
        "DYNAMIC",
    ],
    integer: ["LIKE", "NOT LIKE", "STARTSWITH", "ENDSWITH", "ON", "NOTON", "DATEPART", "DYNAMIC"],
    decimal: ["LIKE", "NOT LIKE", "STARTSWITH", "ENDSWITH", "ON", "NOTON", "DATEPART", "DYNAMIC"],
    glide_date_time: ["LIKE", "NOT LIKE", "STARTSWITH", "ENDSWITH", "DYNAMIC"],
    string: ["ON", "NOTON", "DATEPART", "DYNAMIC"],
};

/**
 * The problems of `query` as a query of `table`; empty when it is sound (or the dictionary cannot be read).
 *
 * @param property the input property holding the query, e.g. `scope`.
 */
export async function checkQuery(
    client: RecordClient,
    table: string,
    query: string,
    property: string,
): Promise<QueryProblem[]> {
    if (!query.trim()) return [];
    const root = await tableColumns(client, table);
    if (root === undefined || root.size === 0) return [];
    const parsed = parseQueryText(query);
    const problems: QueryProblem[] = parsed.unparsable.map((part) => ({
        property,
        reason:
            `"${part}" in ${property} is not a condition (a field name, an operator such as = or STARTSWITH, and a value); ` +
            `the platform ignores it or returns no rows; fix it or remove it (received ${JSON.stringify(query)})`,
    }));
    for (const part of parsed.parts) {
        const problem = await checkPart(client, table, root, part.field, part.op);
        if (problem) problems.push({ property, reason: `${problem} (received ${JSON.stringify(query)})` });
    }
    return problems;
}

async function checkPart(
    client: RecordClient,
    table: string,
    root: ReadonlyMap<string, Column>,
    path: string,
    op: QueryOperator | undefined,
): Promise<string | undefined> {
    let columns = root;
    let where = table;
    const steps = path.split(".");
    let column: Column | undefined;
    for (const [i, step] of steps.entries()) {
        column = columns.get(step);
        if (!column) {
            const near = closest(step, [...columns.keys()]);
            const hint = near.length > 0 ? `; did you mean ${near.map((n) => `"${n}"`).join(", ")}?` : "";
            const walked = i > 0 ? ` (reached through ${steps.slice(0, i).join(".")})` : "";
            return (
                `field "${step}" does not exist on ${where}${walked} or the tables it extends${hint} ` +
                "(the platform ignores a condition on an unknown field, so it would match every record the condition " +
                "was meant to leave out)"
            );
        }
        if (i < steps.length - 1) {
            if (column.type !== "reference" || !column.reference) {
                return `"${steps.slice(0, i + 1).join(".")}" on ${where} is not a reference, so "${path}" cannot dot-walk through it`;
            }
            where = column.reference;
            const next = await tableColumns(client, where);
            if (!next || next.size === 0) return undefined;
            columns = next;
        }
    }
    if (column && op && (REFUSED[column.type] ?? []).includes(op)) {
        return `operator ${op} does not apply to ${path}, a ${column.type} field of ${where}; use one such as = or !=`;
    }
    return undefined;
}

/** Up to three names closest to `name` by edit distance, nearest first (none when nothing is reasonably close). */
export function closest(name: string, candidates: readonly string[]): string[] {
    const limit = Math.max(2, Math.floor(name.length / 3));
    return candidates
        .map((c) => ({ c, d: distance(name, c) }))
        .filter((x) => x.d <= limit || x.c.includes(name) || name.includes(x.c))
        .sort((a, b) => a.d - b.d || a.c.localeCompare(b.c))
        .slice(0, 3)
        .map((x) => x.c);
}

function distance(a: string, b: string): number {
    const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        let diag = prev[0]!;
        prev[0] = i;
        for (let j = 1; j <= b.length; j++) {
            const up = prev[j]!;
            prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
            diag = up;
        }
    }
    return prev[b.length]!;
}
