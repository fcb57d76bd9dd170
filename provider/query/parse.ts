/**
 * The encoded-query language parsed for checking (not for running): each condition's field path, operator and value,
 * and the sort fields, in the platform's syntax (`^` AND, `^OR`, `^NQ`, `^^` a literal caret, ORDERBY/GROUPBY).
 */

/** Operators in the order they must be tried (longer spellings before their prefixes). */
export const OPERATORS = [
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
    "DATEPART",
    "RELATIVEGT",
    "RELATIVELT",
    "RELATIVEGE",
    "RELATIVELE",
    "RELATIVEEE",
    "MORETHAN",
    "LESSTHAN",
    "VALCHANGES",
    "CHANGESFROM",
    "CHANGESTO",
    "DYNAMIC",
    "NOTON",
    "ON",
    "LIKE",
    "IN",
    "!=",
    "<=",
    ">=",
    "=",
    "<",
    ">",
] as const;

/** One operator as written. */
export type QueryOperator = (typeof OPERATORS)[number];

/** One condition, or one sort key (`op` undefined). */
export interface QueryPart {
    /** The field path as written, dot-walks kept: `manager.department`. */
    field: string;
    op?: QueryOperator;
    value?: string;
    /** The part as written, for messages. */
    text: string;
}

/** A parsed query: its parts, and the parts that are not conditions at all. */
export interface ParsedQueryText {
    parts: QueryPart[];
    /** Parts with no field or no operator the platform knows (it ignores them, or returns no rows). */
    unparsable: string[];
}

const FIELD = /^[a-z0-9_]+(?:\.[a-z0-9_]+)*/;
const CARET = "\u0000";

/** Parses an encoded query into its conditions and sort keys; never throws. */
export function parseQueryText(encoded: string): ParsedQueryText {
    const out: ParsedQueryText = { parts: [], unparsable: [] };
    const text = encoded.replaceAll("^^", CARET);
    for (const group of text.split("^NQ")) {
        for (const raw of group.split("^")) {
            let part = raw.replaceAll(CARET, "^");
            if (part === "" || part === "EQ") continue;
            const sort = /^(ORDERBYDESC|ORDERBY|GROUPBY)(.*)$/.exec(part);
            if (sort) {
                out.parts.push({ field: sort[2] ?? "", text: part });
                continue;
            }
            // Field names are lower case, so a leading upper-case OR is always the joiner.
            if (part.startsWith("OR")) part = part.slice(2);
            const m = FIELD.exec(part);
            const op = m ? OPERATORS.find((o) => part.slice(m[0].length).startsWith(o)) : undefined;
            if (!m || !op) {
                out.unparsable.push(part);
                continue;
            }
            out.parts.push({ field: m[0], op, value: part.slice(m[0].length + op.length), text: part });
        }
    }
    return out;
}
