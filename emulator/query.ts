/**
 * The encoded-query language of `sysparm_query`: parsing into terms and compiling into row predicates.
 */
import type { FieldDef, Schema, TableInfo } from "./schema";
import { compareRows } from "./sorted-view";
import type { Row } from "./values";

/** Operators in the order they must be tried (longer spellings before their prefixes). */
const OPERATORS = [
    "ISNOTEMPTY",
    "ISEMPTY",
    "EMPTYSTRING",
    "ANYTHING",
    "NOT LIKE",
    "NOT IN",
    "STARTSWITH",
    "ENDSWITH",
    "NSAMEAS",
    "SAMEAS",
    "BETWEEN",
    "LIKE",
    "IN",
    "!=",
    "<=",
    ">=",
    "!*",
    "=",
    "<",
    ">",
    "*",
    "%",
] as const;

/** One query operator as written. */
export type Operator = (typeof OPERATORS)[number];

/** One condition: `<field><operator><value>`. */
export interface Term {
    field: string;
    op: Operator;
    value: string;
}

/** One sort key. */
export interface OrderKey {
    field: string;
    descending: boolean;
}

/**
 * A parsed query: OR of groups (split by `^NQ`), each an AND of clauses, each clause an OR of terms.
 *
 * `^OR` binds tighter than `^`, so `a^b^ORc` means a AND (b OR c), as on the platform.
 */
export interface ParsedQuery {
    groups: Term[][][];
    order: OrderKey[];
    /** Parts that could not be parsed at all (kept to honour `glide.invalid_query.returns_no_rows`). */
    unparsable: string[];
}

const FIELD = /^[a-z0-9_]+(?:\.[a-z0-9_]+)?/;
const CARET = "\u0000";

/**
 * An equality term whose value is taken literally: a `^` inside it is escaped as `^^`, so a caller-supplied value
 * (a user name, a client id) cannot add terms of its own.
 */
export function eq(field: string, value: string): string {
    return `${field}=${value.replaceAll("^", "^^")}`;
}

/** Parses an encoded query; never throws (invalid parts are reported, not fatal). */
export function parseEncodedQuery(encoded: string | undefined): ParsedQuery {
    const out: ParsedQuery = { groups: [], order: [], unparsable: [] };
    if (!encoded) return out;
    // `^^` is an escaped literal caret inside a value.
    const text = encoded.replaceAll("^^", CARET);
    for (const groupText of text.split("^NQ")) {
        const clauses: Term[][] = [];
        for (const raw of groupText.split("^")) {
            const part = raw.replaceAll(CARET, "^");
            if (part === "" || part === "EQ") continue;
            if (part.startsWith("ORDERBYDESC")) {
                out.order.push({ field: part.slice(11), descending: true });
                continue;
            }
            if (part.startsWith("ORDERBY")) {
                out.order.push({ field: part.slice(7), descending: false });
                continue;
            }
            if (part.startsWith("GROUPBY")) continue;
            const isOr = part.startsWith("OR") && clauses.length > 0;
            const term = parseTerm(isOr ? part.slice(2) : part);
            if (!term) {
                out.unparsable.push(part);
                continue;
            }
            if (isOr) clauses[clauses.length - 1]!.push(term);
            else clauses.push([term]);
        }
        out.groups.push(clauses);
    }
    return out;
}

function parseTerm(text: string): Term | undefined {
    const m = FIELD.exec(text);
    if (!m) return undefined;
    const rest = text.slice(m[0].length);
    const op = OPERATORS.find((o) => rest.startsWith(o));
    if (!op) return undefined;
    return { field: m[0], op, value: rest.slice(op.length) };
}

/** Looks up a stored row by table and sys_id, for dot-walking through references. */
export type RowLookup = (table: string, sysId: string) => Row | undefined;

/** Reads one possibly dot-walked column of a row; undefined when the column does not exist. */
export type Getter = (row: Row) => string;

/**
 * Builds a getter for a column path on a table: a plain column, or one level of dot-walk through a reference
 * (`manager.user_name`). Returns undefined for unknown columns, which the caller then ignores.
 */
export function compileGetter(
    schema: Schema,
    table: TableInfo,
    path: string,
    lookup: RowLookup,
): { get: Getter; field: FieldDef } | undefined {
    const dot = path.indexOf(".");
    if (dot < 0) {
        const field = table.fields.get(path);
        if (!field) return undefined;
        return { get: (row) => row[path] ?? "", field };
    }
    const refName = path.slice(0, dot);
    const refField = table.fields.get(refName);
    if (refField?.type !== "reference" || !refField.reference) return undefined;
    const target = schema.find(refField.reference);
    const leafName = path.slice(dot + 1);
    const field = target?.fields.get(leafName);
    if (!target || !field) return undefined;
    const targetTable = target.name;
    return {
        get: (row) => {
            const id = row[refName];
            if (!id) return "";
            return lookup(targetTable, id)?.[leafName] ?? "";
        },
        field,
    };
}

/** A compiled query: a predicate, sort keys and what was dropped as invalid. */
export interface CompiledQuery {
    /** Undefined when every row matches. */
    predicate: ((row: Row) => boolean) | undefined;
    order: { get: Getter; numeric: boolean; descending: boolean; field: string }[];
    /** Terms naming unknown columns, plus unparsable parts: the platform ignores these by default. */
    invalid: string[];
    /**
     * A lower bound on sys_id when the query is a single AND group containing `sys_id>X` or `sys_id>=X`,
     * so keyset paging can binary-search its start.
     */
    sysIdFloor?: { value: string; inclusive: boolean };
}

const isNumericType = (f: FieldDef) => f.type === "integer" || f.type === "decimal";

/** Compiles a parsed query against a table. Unknown columns make the term invalid (reported, and ignored). */
export function compileQuery(schema: Schema, table: TableInfo, parsed: ParsedQuery, lookup: RowLookup): CompiledQuery {
    const invalid = [...parsed.unparsable];
    // The predicate is generated as one function with direct property reads: a scan of 100,000 rows through nested
    // closures costs several times more than the same test written out. Terms without a direct form call closures.
    const env: ((row: Row) => boolean)[] = [];
    const groupCode: string[] = [];
    let matchesAll = false;
    for (const group of parsed.groups) {
        const clauseCode: string[] = [];
        for (const clause of group) {
            const alternatives: string[] = [];
            for (const term of clause) {
                const direct = directTerm(table, term);
                if (direct) {
                    alternatives.push(direct);
                    continue;
                }
                const p = compileTerm(schema, table, term, lookup);
                if (p) {
                    env.push(p);
                    alternatives.push(`env[${env.length - 1}](r)`);
                } else invalid.push(`${term.field}${term.op}${term.value}`);
            }
            if (alternatives.length > 0) clauseCode.push(`(${alternatives.join(" || ")})`);
        }
        if (clauseCode.length === 0) matchesAll = true;
        else groupCode.push(`(${clauseCode.join(" && ")})`);
    }
    let predicate: ((row: Row) => boolean) | undefined;
    if (!matchesAll && groupCode.length > 0) {
        const factory = new Function("env", `"use strict"; return function (r) { return ${groupCode.join(" || ")}; };`);
        predicate = factory(env) as (row: Row) => boolean;
    }

    const order: CompiledQuery["order"] = [];
    for (const key of parsed.order) {
        const g = compileGetter(schema, table, key.field, lookup);
        if (!g) continue;
        order.push({ get: g.get, numeric: isNumericType(g.field), descending: key.descending, field: key.field });
    }

    let sysIdFloor: CompiledQuery["sysIdFloor"];
    if (parsed.groups.length === 1) {
        for (const clause of parsed.groups[0]!) {
            const t = clause[0]!;
            if (clause.length === 1 && t.field === "sys_id" && (t.op === ">" || t.op === ">=")) {
                if (!sysIdFloor || t.value > sysIdFloor.value)
                    sysIdFloor = { value: t.value, inclusive: t.op === ">=" };
            }
        }
    }
    return { predicate, order, invalid, sysIdFloor };
}

/**
 * The JavaScript expression for a term on a plain text column, or undefined when the term needs a closure (dot-walks,
 * numeric comparisons, lists, unknown columns). Names and values are embedded through JSON.stringify.
 */
function directTerm(table: TableInfo, term: Term): string | undefined {
    const field = table.fields.get(term.field);
    if (!field || term.field.includes(".")) return undefined;
    const x = `(r[${JSON.stringify(term.field)}] ?? "")`;
    const v = JSON.stringify(term.value);
    const numeric = isNumericType(field);
    switch (term.op) {
        case "=":
            return `${x} === ${v}`;
        case "!=":
            return `${x} !== ${v}`;
        case "ISEMPTY":
        case "EMPTYSTRING":
            return `${x} === ""`;
        case "ISNOTEMPTY":
            return `${x} !== ""`;
        case "ANYTHING":
            return "true";
        case "STARTSWITH":
            return `${x}.startsWith(${v})`;
        case "ENDSWITH":
        case "%":
            return `${x}.endsWith(${v})`;
        case "LIKE":
        case "*":
            return `${x}.includes(${v})`;
        case "NOT LIKE":
        case "!*":
            return `!${x}.includes(${v})`;
        case ">":
            return numeric ? undefined : `${x} > ${v}`;
        case ">=":
            return numeric ? undefined : `${x} >= ${v}`;
        default:
            return undefined;
    }
}

function compileTerm(
    schema: Schema,
    table: TableInfo,
    term: Term,
    lookup: RowLookup,
): ((row: Row) => boolean) | undefined {
    const g = compileGetter(schema, table, term.field, lookup);
    if (!g) return undefined;
    const get = g.get;
    const v = term.value;
    const numeric = isNumericType(g.field);
    const cmp = (a: string, b: string): number => {
        if (numeric && a !== "" && b !== "") {
            const x = Number(a);
            const y = Number(b);
            if (!Number.isNaN(x) && !Number.isNaN(y)) return x - y;
        }
        return a < b ? -1 : a > b ? 1 : 0;
    };
    switch (term.op) {
        case "=":
            return (row) => get(row) === v;
        case "!=":
            return (row) => get(row) !== v;
        case "ISEMPTY":
        case "EMPTYSTRING":
            return (row) => get(row) === "";
        case "ISNOTEMPTY":
            return (row) => get(row) !== "";
        case "ANYTHING":
            return () => true;
        case "STARTSWITH":
            return (row) => get(row).startsWith(v);
        case "ENDSWITH":
        case "%":
            return (row) => get(row).endsWith(v);
        case "LIKE":
        case "*":
            return (row) => get(row).includes(v);
        case "NOT LIKE":
        case "!*":
            return (row) => !get(row).includes(v);
        case "IN": {
            const set = new Set(v.split(","));
            return (row) => set.has(get(row));
        }
        case "NOT IN": {
            const set = new Set(v.split(","));
            return (row) => !set.has(get(row));
        }
        case "<":
            return (row) => {
                const x = get(row);
                return x !== "" && cmp(x, v) < 0;
            };
        case "<=":
            return (row) => {
                const x = get(row);
                return x !== "" && cmp(x, v) <= 0;
            };
        case ">":
            return (row) => cmp(get(row), v) > 0;
        case ">=":
            return (row) => cmp(get(row), v) >= 0;
        case "BETWEEN": {
            const [lo = "", hi = ""] = v.split("@");
            return (row) => {
                const x = get(row);
                return x !== "" && cmp(x, lo) >= 0 && cmp(x, hi) <= 0;
            };
        }
        case "SAMEAS":
        case "NSAMEAS": {
            const other = compileGetter(schema, table, v, lookup);
            if (!other) return undefined;
            const same = term.op === "SAMEAS";
            return (row) => (get(row) === other.get(row)) === same;
        }
    }
}

/** Sorts rows in place by compiled order keys, ties in sys_id order. */
export function sortRows(rows: Row[], order: CompiledQuery["order"]): void {
    if (order.length === 0) return;
    rows.sort((a, b) => compareRows(order, a, b));
}
