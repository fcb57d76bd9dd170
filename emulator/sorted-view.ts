/**
 * Rows of one table hierarchy kept in a query's ORDERBY order and updated record by record, so an ordered page
 * at 100,000 rows walks a list instead of sorting the table on every request.
 */
import type { CompiledQuery } from "./query";
import type { Row } from "./values";

/** The sort keys of a compiled query. */
export type OrderKeys = CompiledQuery["order"];

/**
 * Compares two rows by sort keys, then by sys_id: the order a stable sort of sys_id-ordered rows gives.
 *
 * Numeric columns compare as numbers when both values are numbers; anything else compares as text.
 */
export function compareRows(order: OrderKeys, a: Row, b: Row): number {
    for (const k of order) {
        const x = k.get(a);
        const y = k.get(b);
        let c = 0;
        if (k.numeric && x !== "" && y !== "") {
            const d = Number(x) - Number(y);
            if (!Number.isNaN(d)) c = d;
            else c = x < y ? -1 : x > y ? 1 : 0;
        } else c = x < y ? -1 : x > y ? 1 : 0;
        if (c !== 0) return k.descending ? -c : c;
    }
    const ia = a.sys_id ?? "";
    const ib = b.sys_id ?? "";
    return ia < ib ? -1 : ia > ib ? 1 : 0;
}

/** Every row of a store in one order, maintained through inserts, updates and deletes. */
export class SortedView {
    /** The rows in order; read-only for callers. */
    rows: Row[];
    private readonly order: OrderKeys;

    /** Sorts `rows` (a copy) by `order`. */
    constructor(order: OrderKeys, rows: readonly Row[]) {
        this.order = order;
        this.rows = [...rows].sort((a, b) => compareRows(order, a, b));
    }

    /** Applies one change: the old version of a row leaves, the new one enters at its place. */
    apply(previous: Row | undefined, next: Row | undefined): void {
        if (previous) this.remove(previous);
        if (next) this.rows.splice(this.position(next), 0, next);
    }

    private remove(row: Row): void {
        let at = this.position(row);
        // Values that are not a total order (text in a numeric column) can defeat the search: fall back to a scan.
        if (this.rows[at]?.sys_id !== row.sys_id) at = this.rows.findIndex((r) => r.sys_id === row.sys_id);
        if (at >= 0) this.rows.splice(at, 1);
    }

    /** Index of the first row not ordered before `row`. */
    private position(row: Row): number {
        let lo = 0;
        let hi = this.rows.length;
        while (lo < hi) {
            const mid = (lo + hi) >>> 1;
            if (compareRows(this.order, this.rows[mid]!, row) < 0) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }
}
