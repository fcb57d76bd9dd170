/**
 * A compact, exact record of a subset of a table: runs of consecutive sys_ids, each bounded by the shortest prefixes
 * that still separate it from the neighbours outside the subset.
 *
 * Why: a bulk resource must remember which of 100,000 users it changed so that destroy reverts exactly those, yet its
 * state must stay small. A list of sys_ids costs 33 bytes a user; runs cost about 12 bytes per run, and a policy that
 * locks "everyone but a few" produces few runs. Membership is exact for every row that existed when the record was
 * made (rows created later are told apart by their `sys_created_on`, see the bulk reconciler).
 */

/** One run: every id `x` with `x >= lo` and `x.slice(0, hi.length) <= hi` ("" means unbounded on that side). */
export interface IdRange {
    lo: string;
    hi: string;
}

/**
 * Encodes the members of a sorted universe as ranges.
 *
 * @param universe every sys_id of the table, sorted ascending (as keyset paging returns them), unique.
 * @param isMember whether the id at that index belongs to the subset.
 * @param next when `universe` is only the first part of the table: the id that follows it, or `undefined` when that
 *   is not known yet (the last run then ends at its last member exactly, instead of running on unbounded).
 * @returns `lo:hi` pairs joined by `;` ("" for an empty subset).
 */
export function encodeRanges(
    universe: readonly string[],
    isMember: (index: number) => boolean,
    next?: { id: string | undefined },
): string {
    const out: string[] = [];
    let i = 0;
    while (i < universe.length) {
        if (!isMember(i)) {
            i++;
            continue;
        }
        let j = i;
        while (j + 1 < universe.length && isMember(j + 1)) j++;
        const first = universe[i]!;
        const last = universe[j]!;
        const before = i > 0 ? universe[i - 1] : undefined;
        // Past a partial universe, a sentinel just above the last id keeps the whole of it and nothing after it.
        const after = j + 1 < universe.length ? universe[j + 1] : next ? (next.id ?? `${last}\u0000`) : undefined;
        // lo: the shortest prefix of `first` that sorts after `before`; hi: the shortest prefix of `last` that no id
        // at or after `after` starts with (and that sorts before it).
        const lo = before === undefined ? "" : first.slice(0, commonPrefix(before, first) + 1);
        const hi = after === undefined ? "" : last.slice(0, commonPrefix(last, after) + 1);
        out.push(`${lo}:${hi}`);
        i = j + 1;
    }
    return out.join(";");
}

/**
 * Ranges that name exactly the given sys_ids, one run each (`id:id`): for rows whose neighbours are not known yet, so
 * no run may reach past them. Costs about twice a sys_id per row; the bulk reconciler keeps it for the write-ahead
 * journal only, never in state.
 *
 * @param ids sorted ascending, unique.
 */
export function exactRanges(ids: readonly string[]): string {
    return ids.map((id) => `${id}:${id}`).join(";");
}

/** Parses {@link encodeRanges} output. */
export function decodeRanges(text: string | undefined): IdRange[] {
    if (!text) return [];
    return text.split(";").map((pair) => {
        const k = pair.indexOf(":");
        return { lo: pair.slice(0, k), hi: pair.slice(k + 1) };
    });
}

/** True when `id` falls in one of the ranges (binary search; ranges are sorted and disjoint). */
export function inRanges(ranges: readonly IdRange[], id: string): boolean {
    let lo = 0;
    let hi = ranges.length - 1;
    while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        const r = ranges[mid]!;
        if (r.lo !== "" && id < r.lo) hi = mid - 1;
        else if (r.hi !== "" && id.slice(0, r.hi.length) > r.hi) lo = mid + 1;
        else return true;
    }
    return false;
}

function commonPrefix(a: string, b: string): number {
    let k = 0;
    while (k < a.length && k < b.length && a[k] === b[k]) k++;
    return k;
}
