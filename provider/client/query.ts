/**
 * Encoded-query helpers: pure string functions for `sysparm_query`.
 */

const LITERAL_CARET = "\u0000";

/**
 * Adds the keyset condition `sys_id>{after}` and the order `ORDERBYsys_id` to a query.
 *
 * ORDERBY terms of the caller are dropped (keyset paging needs its own order). `^NQ` starts a new OR-ed query, so the
 * keyset condition is added to every part: appended once it would bind to the last part only and repeat rows.
 */
export function keysetQuery(query: string, after: string | undefined): string {
    // `^^` is a literal caret inside a value (a name like "EMEA ^ APAC"), not a separator: keep it whole.
    const parts = splitNq(query.replaceAll("^^", LITERAL_CARET)).map((part) =>
        part
            .split("^")
            .filter((t) => t !== "" && !t.startsWith("ORDERBY"))
            .join("^")
            .replaceAll(LITERAL_CARET, "^^"),
    );
    const cond = after ? `sys_id>${after}` : "";
    const joined = parts
        .map((p) => [p, cond].filter((s) => s !== "").join("^"))
        .filter((p) => p !== "")
        .join("^NQ");
    return joined ? `${joined}^ORDERBYsys_id` : "ORDERBYsys_id";
}

/** ANDs encoded queries, keeping `^NQ` parts correct by distributing the extra conditions over each part. */
export function andQuery(...queries: (string | undefined)[]): string {
    const present = queries.filter((q): q is string => Boolean(q?.trim()));
    if (present.length === 0) return "";
    let parts = [""];
    for (const q of present) {
        const qParts = splitNq(q);
        parts = parts.flatMap((p) => qParts.map((qp) => [p, qp].filter(Boolean).join("^")));
    }
    return parts.join("^NQ");
}

/**
 * An equality term whose value is taken literally whatever it contains: a caret is doubled (`^^`, the platform's
 * escape) so a name cannot add query terms; commas, quotes and any unicode need no escape in `=`.
 */
export function eqQuery(field: string, value: string): string {
    return `${field}=${value.replaceAll("^", "^^")}`;
}

/**
 * `field` is any of the values; an empty list gives a condition that matches nothing.
 *
 * Values go into one `IN` term, carets doubled. A comma cannot be escaped inside IN, so a value holding one gets its
 * own `^OR` equality term instead: `nameINa,b^ORname=smith, john`.
 */
export function inQuery(field: string, values: readonly string[]): string {
    if (values.length === 0) return `${field}ISEMPTY^${field}ISNOTEMPTY`;
    const plain = values.filter((v) => !v.includes(","));
    const terms = values.filter((v) => v.includes(",")).map((v) => eqQuery(field, v));
    if (plain.length > 0) terms.unshift(`${field}IN${plain.map((v) => v.replaceAll("^", "^^")).join(",")}`);
    return terms.join("^OR");
}

/** The fields an encoded query filters on (operators and joiners stripped), lower-cased, dot-walks kept whole. */
export function queryFields(query: string): string[] {
    const out = new Set<string>();
    for (const part of splitNq(query)) {
        for (let term of part.split("^")) {
            if (term.startsWith("OR")) term = term.slice(2);
            if (term === "" || term === "EQ") continue;
            if (term.startsWith("ORDERBYDESC")) term = term.slice("ORDERBYDESC".length);
            else if (term.startsWith("ORDERBY")) term = term.slice("ORDERBY".length);
            const m = /^[A-Za-z0-9_.]+/.exec(term);
            if (m) out.add(stripOperatorWord(m[0]).toLowerCase());
        }
    }
    return [...out];
}

// Word operators are glued to the field name (`nameSTARTSWITHa`, `activeISEMPTY`); cut them off.
const WORD_OPERATORS = [
    "STARTSWITH",
    "ENDSWITH",
    "ISNOTEMPTY",
    "ISEMPTY",
    "NOT LIKE",
    "LIKE",
    "NOT IN",
    "IN",
    "ANYTHING",
    "EMPTYSTRING",
    "BETWEEN",
    "SAMEAS",
    "NSAMEAS",
    "DYNAMIC",
    "ON",
    "NOTON",
];

function stripOperatorWord(token: string): string {
    for (const op of WORD_OPERATORS) {
        const i = token.indexOf(op.split(" ")[0]!);
        if (i > 0) return token.slice(0, i);
    }
    return token;
}

function splitNq(query: string): string[] {
    return query.split("^NQ");
}
