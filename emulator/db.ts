/**
 * The in-process database of one emulated instance: what the REST layer, the seed and the clone engine all use.
 */
import * as path from "node:path";
import { Persistence } from "./persistence";
import { type CompiledQuery, compileQuery, eq, type ParsedQuery, parseEncodedQuery, sortRows } from "./query";
import { Schema, type TableInfo } from "./schema";
import { SortedView } from "./sorted-view";
import { TableStore } from "./store";
import { platformTables } from "./tables";
import { glideDateTime, hashSecret, isSysId, newSysId, type Row, toStoredString } from "./values";

export { Schema, UnknownTableError } from "./schema";
export type { Row } from "./values";

/** Paging and ordering for {@link InstanceDb.query}. */
export interface QueryOptions {
    /**
     * Maximum rows returned.
     *
     * @default unlimited
     */
    limit?: number;
    /**
     * Rows skipped first.
     *
     * @default 0
     */
    offset?: number;
    /** Extra sort keys after those in the query; `-field` sorts descending. */
    orderBy?: string | string[];
}

/** One page of a query plus the total match count. */
export interface PageResult {
    rows: Row[];
    /** Matches across all pages; undefined when counting was skipped. */
    total: number | undefined;
    /** Parts of the query that were ignored because they name unknown columns or do not parse. */
    invalid: string[];
}

/** A change notification, delivered synchronously after the change is applied. */
export interface DbChange {
    kind: "insert" | "update" | "delete" | "replace" | "restore";
    /** The class of the changed row, or the table named in a replace; empty for restore. */
    table: string;
    row?: Row;
    previous?: Row;
    user?: string;
}

/** A point-in-time copy of every table, for clone backup and rollback. Rows are shared, frozen objects. */
export interface DbSnapshot {
    readonly takenAt: string;
    readonly tables: ReadonlyMap<string, readonly Row[]>;
}

/** Options for {@link InstanceDb}. */
export interface InstanceDbOptions {
    /** The instance name (also the `instance_name` property of a seeded instance). */
    name: string;
    /**
     * Table registry.
     *
     * @default the platform tables, with `welcomeTable` as the welcome page content table
     */
    schema?: Schema;
    /**
     * Name of the welcome page content table (not public; configurable).
     *
     * @default "welcome_page_content"
     */
    welcomeTable?: string;
    /**
     * Directory holding this instance's snapshot and log; memory only without it.
     *
     * @default undefined
     */
    dataDir?: string;
    /**
     * Clock for system date-times, in epoch milliseconds.
     *
     * @default Date.now
     */
    clock?: () => number;
}

const PROTECTED_ON_WRITE = new Set([
    "sys_id",
    "sys_created_on",
    "sys_created_by",
    "sys_updated_on",
    "sys_updated_by",
    "sys_mod_count",
    "sys_class_name",
]);

/**
 * One emulated instance's data: tables stored by hierarchy, kept in sys_id order, every mutation logged durably.
 *
 * Rows returned are frozen; spread one to change it. Reads of a parent table include rows of every child class,
 * each carrying its `sys_class_name`, as the platform returns them.
 */
export class InstanceDb {
    /** The instance name. */
    readonly name: string;
    /** Table registry of this instance. */
    readonly schema: Schema;
    /** True when the data came from an existing data directory rather than being empty at start. */
    readonly restoredFromDisk: boolean;
    /** Increments on every mutation; caches key on it. */
    version = 0;

    private readonly stores = new Map<string, TableStore>();
    private readonly persistence: Persistence | undefined;
    private readonly listeners = new Set<(change: DbChange) => void>();
    private readonly clock: () => number;
    private propertyCache: Map<string, string> | undefined;
    /** Matches of recent filters, valid while `version` is unchanged. */
    private readonly matchCache = new Map<string, { version: number; rows: readonly Row[] | undefined }>();
    private commitScheduled = false;
    /** Sorted views by root table and order spec, kept up to date on every write; the most recently used last. */
    private readonly views = new Map<string, { root: string; view: SortedView }>();

    /** Opens (and compacts) the data directory when given; starts empty otherwise. */
    constructor(opts: InstanceDbOptions) {
        this.name = opts.name;
        this.schema = opts.schema ?? new Schema(platformTables(opts.welcomeTable));
        this.clock = opts.clock ?? Date.now;
        for (const root of this.schema.roots()) this.stores.set(root, new TableStore());
        this.persistence = opts.dataDir ? new Persistence(opts.dataDir) : undefined;
        this.restoredFromDisk = false;
        if (this.persistence?.exists()) {
            const loaded = this.persistence.load((t) => this.schema.find(t)?.root ?? t);
            for (const [root, rows] of loaded) this.stores.get(root)?.load(rows.values());
            this.restoredFromDisk = true;
            this.persistence.compact(this.allTables());
        }
    }

    /** Every table name (including child classes), sorted. */
    tableNames(): string[] {
        return this.schema.names();
    }

    /** Rows of a table (and its child classes) matching an encoded query. Unknown columns are ignored. */
    query(table: string, encodedQuery?: string, opts: QueryOptions = {}): Row[] {
        return this.page(table, encodedQuery, { ...opts, count: false }).rows;
    }

    /** Number of rows matching an encoded query. */
    count(table: string, encodedQuery?: string): number {
        return this.page(table, encodedQuery, { limit: 0 }).total ?? 0;
    }

    /**
     * One page of a query with its total, the Table API's view.
     *
     * Rows come in sys_id order unless the query orders otherwise. With `glide.invalid_query.returns_no_rows=true`
     * an invalid part makes the whole query match nothing, as on the platform.
     */
    page(table: string, encodedQuery?: string, opts: QueryOptions & { count?: boolean } = {}): PageResult {
        const info = this.schema.table(table);
        const parsed = parseEncodedQuery(encodedQuery);
        const extra = opts.orderBy === undefined ? [] : Array.isArray(opts.orderBy) ? opts.orderBy : [opts.orderBy];
        for (const o of extra) {
            parsed.order.push(
                o.startsWith("-") ? { field: o.slice(1), descending: true } : { field: o, descending: false },
            );
        }
        // A keyset floor (`sys_id>X` as its own AND clause) is taken out of the filter: the filter's matches are then
        // cached per data version, so walking a large table page by page costs a binary search per page, not a scan.
        const floor = extractSysIdFloor(parsed);
        const compiled = compileQuery(this.schema, info, parsed, this.lookup);
        if (compiled.invalid.length > 0 && this.getProperty("glide.invalid_query.returns_no_rows") === "true") {
            return { rows: [], total: 0, invalid: compiled.invalid };
        }
        const limit = opts.limit ?? Number.POSITIVE_INFINITY;
        const offset = Math.max(0, opts.offset ?? 0);
        const wantCount = opts.count !== false;
        const store = this.stores.get(info.root)!;
        const family = info.name === info.root ? undefined : info.family;
        const pred = compiled.predicate;
        const start = floor ? store.lowerBound(floor.value) : 0;
        const idOrder =
            compiled.order.length === 0 || (compiled.order[0]!.field === "sys_id" && !compiled.order[0]!.descending);
        if (idOrder) {
            const key = `${info.name}\u0000${JSON.stringify(parsed.groups)}`;
            const hit = this.matchCache.get(key);
            let matches =
                hit?.version === this.version && hit.rows ? { version: hit.version, rows: hit.rows } : undefined;
            if (!matches && !wantCount) {
                // Without a count the scan can stop at the end of the page; not worth caching.
                const rows: Row[] = [];
                let matched = 0;
                const all = store.sorted;
                for (let i = start; i < all.length && rows.length < limit; i++) {
                    const row = all[i]!;
                    if (floor && !floor.inclusive && row.sys_id === floor.value) continue;
                    if (family && !family.has(row.sys_class_name!)) continue;
                    if (pred && !pred(row)) continue;
                    if (matched >= offset) rows.push(row);
                    matched++;
                }
                return { rows, total: undefined, invalid: compiled.invalid };
            }
            if (!matches) {
                matches = { version: this.version, rows: this.scanMatches(store, family, pred) };
                if (this.matchCache.size >= 16) this.matchCache.delete(this.matchCache.keys().next().value!);
                this.matchCache.set(key, matches);
            }
            const list = matches.rows;
            let from = 0;
            if (floor) {
                from = lowerBoundRows(list, floor.value);
                if (!floor.inclusive && list[from]?.sys_id === floor.value) from++;
            }
            const begin = from + offset;
            const end = Number.isFinite(limit) ? begin + limit : undefined;
            return {
                rows: list.slice(begin, end),
                total: wantCount ? Math.max(0, list.length - from) : undefined,
                invalid: compiled.invalid,
            };
        }
        // Another order: walk the table's sorted view (kept up to date write by write). The first request at a data
        // version stops at the end of its page and counts the rest without keeping it (the next write would throw
        // the list away); a second request for the same filter at the same version keeps the whole ordered list, so
        // paging through a table nobody writes to costs a slice per page.
        const key = `${info.name}\u0000${JSON.stringify(parsed.groups)}\u0000${JSON.stringify(floor)}\u0000${orderSpec(compiled.order)}`;
        const cached = this.matchCache.get(key);
        const end = Number.isFinite(limit) ? offset + limit : undefined;
        if (cached?.version === this.version && cached.rows) {
            return {
                rows: cached.rows.slice(offset, end),
                total: wantCount ? cached.rows.length : undefined,
                invalid: compiled.invalid,
            };
        }
        const view = this.sortedView(info.root, compiled.order, store);
        const source = view ? view.rows : sortedCopy(store, compiled.order);
        const matches = (row: Row) =>
            !(floor && (floor.inclusive ? row.sys_id! < floor.value : row.sys_id! <= floor.value)) &&
            !(family && !family.has(row.sys_class_name!)) &&
            (!pred || pred(row));
        const keepAll = cached?.version === this.version;
        const stopAt = keepAll || end === undefined ? Number.POSITIVE_INFINITY : end;
        const kept: Row[] = [];
        let total = 0;
        for (let i = 0; i < source.length; i++) {
            const row = source[i]!;
            if (kept.length >= stopAt && !wantCount) break;
            if (!matches(row)) continue;
            if (kept.length < stopAt) kept.push(row);
            total++;
        }
        if (this.matchCache.size >= 16) this.matchCache.delete(this.matchCache.keys().next().value!);
        this.matchCache.set(key, { version: this.version, rows: keepAll ? kept : undefined });
        return {
            rows: kept.slice(offset, end),
            total: wantCount ? total : undefined,
            invalid: compiled.invalid,
        };
    }

    /**
     * The view of a root table in a query's order, built on first use and maintained on every write after; undefined
     * when a key walks a reference (another table's writes would change the order behind the view's back).
     */
    private sortedView(root: string, order: CompiledQuery["order"], store: TableStore): SortedView | undefined {
        if (order.some((k) => k.field.includes("."))) return undefined;
        const key = `${root}\u0000${orderSpec(order)}`;
        let entry = this.views.get(key);
        if (entry) {
            this.views.delete(key);
        } else {
            entry = { root, view: new SortedView(order, store.sorted) };
            if (this.views.size >= 8) this.views.delete(this.views.keys().next().value!);
        }
        this.views.set(key, entry);
        return entry.view;
    }

    /** Keeps the sorted views of a root table in step with one change, or drops them when a whole table moved. */
    private updateViews(change: DbChange): void {
        if (this.views.size === 0) return;
        if (change.kind === "restore") {
            this.views.clear();
            return;
        }
        const root = this.schema.find(change.table)?.root;
        for (const [key, entry] of this.views) {
            if (entry.root !== root) continue;
            if (change.kind === "replace") this.views.delete(key);
            else entry.view.apply(change.previous, change.row);
        }
    }

    /** One row of a table (or of one of its child classes) by sys_id. */
    get(table: string, sysId: string): Row | undefined {
        const info = this.schema.table(table);
        const row = this.stores.get(info.root)!.get(sysId);
        if (!row) return undefined;
        if (info.extensible && !info.family.has(row.sys_class_name!)) return undefined;
        return row;
    }

    /**
     * Inserts one record as the platform does: columns not given get their default or empty value, system fields
     * are set by the instance (a caller-supplied 32-hex `sys_id` is honoured), unknown columns are ignored.
     */
    insert(table: string, values: Record<string, unknown>, user = "system"): Row {
        const info = this.schema.table(table);
        const store = this.stores.get(info.root)!;
        const now = glideDateTime(this.clock());
        const row: Record<string, string> = {};
        for (const [name, f] of info.fields) {
            if (name in values && !PROTECTED_ON_WRITE.has(name)) row[name] = normalize(info, name, values[name]);
            else row[name] = f.defaultValue ?? (f.type === "boolean" ? "false" : "");
        }
        const asked = toStoredString(values.sys_id);
        row.sys_id = isSysId(asked) && !store.get(asked) ? asked : newSysId();
        row.sys_created_on = now;
        row.sys_updated_on = now;
        row.sys_created_by = user;
        row.sys_updated_by = user;
        row.sys_mod_count = "0";
        if (info.extensible) row.sys_class_name = info.name;
        if (info.numberPrefix && !row.number) row.number = this.nextNumber(info);
        const stored = store.put(row);
        this.changed({ kind: "insert", table: info.name, row: stored, user }, { o: "put", t: info.name, r: stored });
        return stored;
    }

    /**
     * Partially updates a record. Columns not given keep their value; system fields and unknown columns are ignored.
     *
     * An update that changes nothing is not written: `sys_mod_count` and `sys_updated_on` stay as they were, the way
     * Glide skips saving an unchanged record. Returns undefined when no such record exists in this table's family.
     */
    update(table: string, sysId: string, values: Record<string, unknown>, user = "system"): Row | undefined {
        const info = this.schema.table(table);
        const current = this.get(table, sysId);
        if (!current) return undefined;
        const cls = this.schema.table(current.sys_class_name || info.name);
        const next: Record<string, string> = { ...current };
        let changed = false;
        for (const [name, value] of Object.entries(values)) {
            if (PROTECTED_ON_WRITE.has(name) || !cls.fields.has(name)) continue;
            const v = normalize(cls, name, value);
            if (next[name] !== v) {
                next[name] = v;
                changed = true;
            }
        }
        if (!changed) return current;
        next.sys_updated_on = glideDateTime(this.clock());
        next.sys_updated_by = user;
        next.sys_mod_count = String(Number(current.sys_mod_count || "0") + 1);
        const stored = this.stores.get(info.root)!.put(next);
        this.changed(
            { kind: "update", table: cls.name, row: stored, previous: current, user },
            { o: "put", t: cls.name, r: stored },
        );
        return stored;
    }

    /** Deletes a record of this table's family; false when there was none. */
    delete(table: string, sysId: string): boolean {
        const info = this.schema.table(table);
        const current = this.get(table, sysId);
        if (!current) return false;
        this.stores.get(info.root)!.remove(sysId);
        const cls = current.sys_class_name || info.name;
        this.changed({ kind: "delete", table: cls, previous: current }, { o: "del", t: cls, id: sysId });
        return true;
    }

    /** Every row of a table and its child classes, unchanged (sys fields included), for whole-table copies. */
    exportRows(table: string): Row[] {
        const info = this.schema.table(table);
        return this.page(info.name).rows;
    }

    /**
     * Replaces every row of a table and its child classes with `rows`, kept exactly as given (sys_ids and system
     * fields preserved). A row without `sys_class_name` in an extensible table becomes a row of `table`.
     */
    replaceRows(table: string, rows: readonly Row[]): void {
        const info = this.schema.table(table);
        const store = this.stores.get(info.root)!;
        const classes = [...info.family];
        const keep = info.name === info.root ? [] : store.all().filter((r) => !info.family.has(r.sys_class_name!));
        const incoming = rows.map((r) => {
            const copy: Record<string, string> = { ...r };
            if (!copy.sys_id) copy.sys_id = newSysId();
            if (info.extensible && !copy.sys_class_name) copy.sys_class_name = info.name;
            return copy;
        });
        store.load([...keep, ...incoming]);
        this.persistence?.append({ o: "clear", t: info.name, classes });
        for (const r of incoming) this.persistence?.append({ o: "put", t: r.sys_class_name || info.name, r });
        this.changed({ kind: "replace", table: info.name });
    }

    /** A copy of every table, cheap because stored rows are immutable. */
    snapshot(): DbSnapshot {
        return { takenAt: glideDateTime(this.clock()), tables: new Map(this.allTables()) };
    }

    /** Puts every table back as it was in `snapshot` and rewrites the data directory from it. */
    restore(snapshot: DbSnapshot): void {
        for (const [root, store] of this.stores) store.load(snapshot.tables.get(root) ?? []);
        this.persistence?.compact(this.allTables());
        this.changed({ kind: "restore", table: "" });
    }

    /**
     * Loads rows straight into a table without logging each one, for seeding; call {@link persistAll} afterwards.
     */
    seedRows(table: string, rows: readonly Row[]): void {
        const info = this.schema.table(table);
        const store = this.stores.get(info.root)!;
        store.load([...store.all(), ...rows]);
        this.version++;
        this.propertyCache = undefined;
        for (const [key, entry] of this.views) if (entry.root === info.root) this.views.delete(key);
    }

    /** Writes the whole database as a new snapshot (after seeding). */
    persistAll(): void {
        this.persistence?.compact(this.allTables());
    }

    /** A system property's value (undefined when absent). Cached until sys_properties changes. */
    getProperty(name: string): string | undefined {
        if (!this.propertyCache) {
            this.propertyCache = new Map();
            for (const r of this.stores.get("sys_properties")!.all()) this.propertyCache.set(r.name!, r.value!);
        }
        return this.propertyCache.get(name);
    }

    /** Sets a system property, creating it when absent; returns the row. */
    setProperty(name: string, value: string, user = "system"): Row {
        const existing = this.query("sys_properties", eq("name", name), { limit: 1 })[0];
        if (existing) return this.update("sys_properties", existing.sys_id!, { value }, user)!;
        return this.insert("sys_properties", { name, value }, user);
    }

    /** Listens to every change; returns the function that stops listening. */
    subscribe(listener: (change: DbChange) => void): () => void {
        this.listeners.add(listener);
        return () => this.listeners.delete(listener);
    }

    /**
     * Makes every mutation so far durable (one write and one fdatasync). The REST layer calls this before it
     * acknowledges a request; in-process callers get an automatic commit on the next turn of the event loop.
     */
    commit(): void {
        this.persistence?.commit();
    }

    /** Commits and releases the data directory. */
    close(): void {
        this.persistence?.close();
    }

    /** Raw row lookup by table and sys_id, used for dot-walking; ignores class. */
    readonly lookup = (table: string, sysId: string): Row | undefined => {
        const info = this.schema.find(table);
        return info ? this.stores.get(info.root)!.get(sysId) : undefined;
    };

    /** The resolved definition of a table. */
    tableInfo(table: string): TableInfo {
        return this.schema.table(table);
    }

    /** The next auto-number of a numbered table: prefix plus seven digits, above any number already used. */
    private nextNumber(info: TableInfo): string {
        const prefix = info.numberPrefix!;
        let max = 10000;
        this.stores.get(info.root)!.scan(0, (r) => {
            const n = r.number ?? "";
            if (n.startsWith(prefix)) max = Math.max(max, Number(n.slice(prefix.length)) || 0);
            return true;
        });
        return `${prefix}${String(max + 1).padStart(7, "0")}`;
    }

    /** Every row of a family matching a predicate, in sys_id order (the whole store when nothing filters). */
    private scanMatches(
        store: TableStore,
        family: ReadonlySet<string> | undefined,
        pred: ((r: Row) => boolean) | undefined,
    ) {
        const all = store.sorted;
        if (!family && !pred) return all;
        const out: Row[] = [];
        for (let i = 0; i < all.length; i++) {
            const row = all[i]!;
            if (family && !family.has(row.sys_class_name!)) continue;
            if (pred && !pred(row)) continue;
            out.push(row);
        }
        return out;
    }

    private *allTables(): IterableIterator<[string, Row[]]> {
        for (const [root, store] of this.stores) yield [root, store.all()];
    }

    private changed(change: DbChange, op?: Parameters<Persistence["append"]>[0]): void {
        this.version++;
        this.updateViews(change);
        if (change.table === "sys_properties" || change.kind === "restore" || change.kind === "replace") {
            this.propertyCache = undefined;
        }
        if (op) this.persistence?.append(op);
        if (this.persistence && !this.commitScheduled) {
            this.commitScheduled = true;
            setImmediate(() => {
                this.commitScheduled = false;
                this.persistence?.commit();
            });
        }
        for (const l of this.listeners) l(change);
    }
}

/** A stable text form of sort keys, for cache keys. */
function orderSpec(order: CompiledQuery["order"]): string {
    return order.map((k) => `${k.descending ? "-" : ""}${k.field}`).join(",");
}

/** Every row of a store in a query's order (for orders no view can keep, such as dot-walked keys). */
function sortedCopy(store: TableStore, order: CompiledQuery["order"]): Row[] {
    const rows = [...store.sorted];
    sortRows(rows, order);
    return rows;
}

/**
 * Takes `sys_id>X` / `sys_id>=X` clauses out of a single-group query and returns the tightest one, so the rest of
 * the query can be evaluated (and cached) independently of the page position.
 */
function extractSysIdFloor(parsed: ParsedQuery): { value: string; inclusive: boolean } | undefined {
    if (parsed.groups.length !== 1) return undefined;
    let floor: { value: string; inclusive: boolean } | undefined;
    const kept = parsed.groups[0]!.filter((clause) => {
        const t = clause[0]!;
        if (clause.length !== 1 || t.field !== "sys_id" || (t.op !== ">" && t.op !== ">=")) return true;
        const candidate = { value: t.value, inclusive: t.op === ">=" };
        if (!floor || candidate.value > floor.value || (candidate.value === floor.value && !candidate.inclusive)) {
            floor = candidate;
        }
        return false;
    });
    parsed.groups[0] = kept;
    return floor;
}

/** Index of the first row whose sys_id is not below `id`, in a sys_id-ordered list. */
function lowerBoundRows(rows: readonly Row[], id: string): number {
    let lo = 0;
    let hi = rows.length;
    while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (rows[mid]!.sys_id! < id) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/** Normalizes an input value for a column: booleans as "true"/"false", secrets one-way hashed, the rest as strings. */
function normalize(info: TableInfo, name: string, value: unknown): string {
    const f = info.fields.get(name);
    const s = toStoredString(value);
    if (f?.type === "boolean") return s === "true" || s === "1" ? "true" : "false";
    if (f?.type === "password") return hashSecret(s);
    return s;
}

/** The directory of one instance inside an emulator data directory. */
export function instanceDataDir(dataDir: string, instance: string): string {
    return path.join(dataDir, instance);
}
