import type { Row } from "./values";

/**
 * The rows of one table hierarchy, kept in sys_id order so keyset paging (`sys_id>X^ORDERBYsys_id`) starts with a
 * binary search instead of a scan.
 */
export class TableStore {
    private ids: string[] = [];
    private readonly byId = new Map<string, Row>();

    /** Number of rows stored. */
    get size(): number {
        return this.ids.length;
    }

    /** The row with this sys_id, if stored. */
    get(sysId: string): Row | undefined {
        return this.byId.get(sysId);
    }

    /** Inserts or replaces a row (the row is frozen). */
    put(row: Row): void {
        const id = row.sys_id!;
        if (!this.byId.has(id)) this.ids.splice(this.lowerBound(id), 0, id);
        this.byId.set(id, Object.freeze(row));
    }

    /** Removes a row; false when it was not there. */
    remove(sysId: string): boolean {
        if (!this.byId.delete(sysId)) return false;
        this.ids.splice(this.lowerBound(sysId), 1);
        return true;
    }

    /** Replaces the whole content at once (one sort instead of one insertion each). */
    load(rows: Iterable<Row>): void {
        this.byId.clear();
        for (const r of rows) this.byId.set(r.sys_id!, Object.freeze(r));
        this.ids = [...this.byId.keys()].sort();
    }

    /** Index of the first sys_id not below `id`. */
    lowerBound(id: string): number {
        let lo = 0;
        let hi = this.ids.length;
        while (lo < hi) {
            const mid = (lo + hi) >>> 1;
            if (this.ids[mid]! < id) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    /**
     * Visits rows in sys_id order from position `from` until `visit` returns false.
     *
     * A plain loop rather than a generator: this is the hot path of every list query.
     */
    scan(from: number, visit: (row: Row) => boolean | undefined): void {
        const ids = this.ids;
        const byId = this.byId;
        for (let i = from; i < ids.length; i++) if (visit(byId.get(ids[i]!)!) === false) return;
    }

    /** All rows in sys_id order. */
    all(): Row[] {
        return this.ids.map((id) => this.byId.get(id)!);
    }
}
