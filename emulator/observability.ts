/**
 * Request counting and the request log served under `/emulator`, outside the platform's URL space.
 */

/** One logged API request. */
export interface RequestLogEntry {
    seq: number;
    time: string;
    instance: string;
    method: string;
    path: string;
    table: string | undefined;
    status: number;
    user: string | undefined;
    /** True for an item of a batch request. */
    batch?: boolean;
    /** The request's `sysparm_query`, when it has one (shows which rows a read asked for). */
    query?: string;
    /** Records the request (or item) returned, which the cost model charges as reads. */
    read?: number;
    /** Records it inserted, updated or deleted, charged as writes. */
    written?: number;
    /**
     * Processing time the cost model charged: a request's transaction plus its records; a batch's own entry holds
     * its transaction, each item's entry its records.
     */
    processingMs?: number;
    /** True when the transaction waited for a free API_INT thread. */
    queued?: boolean;
    /** True when it was refused with 429 because the semaphore queue was full. */
    rejected?: boolean;
}

/** Where the Batch API is served; its own log entry stands for the envelope, its items are logged one by one. */
const BATCH_PATH = /\/api\/now\/v1\/batch\/?$/;

/**
 * True for a logged request that can change the instance: any method but GET and HEAD, except the Batch API's own
 * entry (a batch of reads is a POST, and a batch's writes are logged as its items) and an OAuth token request.
 */
export function isWriteRequest(entry: Pick<RequestLogEntry, "method" | "path">): boolean {
    if (entry.method === "GET" || entry.method === "HEAD") return false;
    return !BATCH_PATH.test(entry.path) && !entry.path.includes("oauth_token");
}

/** Request counts of one instance. */
export interface InstanceCounts {
    total: number;
    byMethod: Record<string, number>;
    /** Table name to method to count. */
    byTable: Record<string, Record<string, number>>;
}

/**
 * Counts and logs every API request (batch items included) per instance, in arrival order.
 *
 * The log keeps the most recent `capacity` entries; `seq` keeps growing so `since` stays meaningful.
 */
export class EmulatorStats {
    private readonly counts = new Map<string, InstanceCounts>();
    private readonly log: RequestLogEntry[] = [];
    private seq = 0;
    private readonly capacity: number;
    private readonly listeners = new Set<(entry: RequestLogEntry) => void>();

    /** Keeps at most `capacity` log entries. */
    constructor(capacity = 100_000) {
        this.capacity = capacity;
    }

    /** Records one request. */
    record(entry: Omit<RequestLogEntry, "seq" | "time">): void {
        const c = this.countsOf(entry.instance);
        c.total++;
        c.byMethod[entry.method] = (c.byMethod[entry.method] ?? 0) + 1;
        if (entry.table) {
            const t = c.byTable[entry.table] ?? {};
            c.byTable[entry.table] = t;
            t[entry.method] = (t[entry.method] ?? 0) + 1;
        }
        const logged = { seq: ++this.seq, time: new Date().toISOString(), ...entry };
        this.log.push(logged);
        if (this.log.length > this.capacity) this.log.splice(0, this.log.length - this.capacity);
        for (const listener of this.listeners) listener(logged);
    }

    /**
     * Calls `listener` with every request recorded from now on; returns the function that stops it. For counts over
     * more requests than the log keeps (a 100,000-user run writes more batch items than `capacity`).
     */
    listen(listener: (entry: RequestLogEntry) => void): () => void {
        this.listeners.add(listener);
        return () => this.listeners.delete(listener);
    }

    /** Counts of one instance (zeros when it has seen nothing). */
    snapshot(instance: string): InstanceCounts {
        return structuredClone(this.countsOf(instance));
    }

    /** Clears the counts of one instance, or of all when none is named. The log's sequence keeps growing. */
    reset(instance?: string): void {
        if (instance) this.counts.delete(instance);
        else this.counts.clear();
    }

    /** Log entries of an instance after sequence number `since`. */
    requests(instance: string | undefined, since = 0): RequestLogEntry[] {
        return this.log.filter((e) => e.seq > since && (!instance || e.instance === instance));
    }

    /** The latest sequence number handed out. */
    get lastSeq(): number {
        return this.seq;
    }

    private countsOf(instance: string): InstanceCounts {
        let c = this.counts.get(instance);
        if (!c) {
            c = { total: 0, byMethod: {}, byTable: {} };
            this.counts.set(instance, c);
        }
        return c;
    }
}
