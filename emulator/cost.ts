/**
 * What an API transaction costs on a hosted instance, and the semaphore that limits how many run at once.
 *
 * The platform runs every inbound REST transaction on a thread of the node's API_INT semaphore pool (typically 4 per
 * node); a transaction that finds no free thread waits in the pool's request queue (50 per node by default), and one
 * that finds the queue full is rejected with 429. A round trip is paid per HTTP request, processing per record read
 * or written, the same for a Batch API item as for a request of its own. Sources are listed in `emulator/README.md`.
 */

/** The costs and limits of one instance. */
export interface CostModel {
    /** Network round trip paid once per HTTP request (half before the instance sees it, half after it answers). */
    roundTripMs: number;
    /** Fixed server work of one API transaction (session, authentication, ACLs, transaction log); not per batch item. */
    transactionMs: number;
    /** Server work per record a request returns (list rows, a single GET). */
    readRecordMs: number;
    /** Server work per record inserted, updated or deleted (business rules, audit, indexes). */
    writeRecordMs: number;
    /** API transactions that run at once on the instance (API_INT threads across its nodes); 0 means unlimited. */
    concurrency: number;
    /** Transactions that may wait for a thread; the next one is rejected with 429 and Retry-After. */
    queueDepth: number;
}

/**
 * A two-node hosted instance seen from a client on the same continent.
 *
 * - `concurrency` 8, `queueDepth` 100: two nodes with the documented 4 API_INT threads and 50 queued transactions each.
 * - `roundTripMs` 50: a same-continent round trip over a kept-alive TLS connection (20–80 ms is typical).
 * - `readRecordMs` 1: SnowMirror's published Table API figures (7.5 million rows of 7 columns in one hour over 4
 *   connections) come to about 2 ms per row per connection, round trips included; a narrow field list costs less.
 * - `transactionMs` 20 and `writeRecordMs` 20: estimates (transaction set-up; business rules and audit on a write);
 *   measure a real instance's `syslog_transaction` and set your own.
 */
export const HOSTED_INSTANCE: Readonly<CostModel> = Object.freeze({
    roundTripMs: 50,
    transactionMs: 20,
    readRecordMs: 1,
    writeRecordMs: 20,
    concurrency: 8,
    queueDepth: 100,
});

/** No cost and no limit: what in-process tests use unless they ask for a model. */
export const FREE: Readonly<CostModel> = Object.freeze({
    roundTripMs: 0,
    transactionMs: 0,
    readRecordMs: 0,
    writeRecordMs: 0,
    concurrency: 0,
    queueDepth: 0,
});

/** Names of the built-in models (`--cost-model`). */
export const COST_MODELS = { hosted: HOSTED_INSTANCE, free: FREE } as const;

/** The records one request (or batch item) touched, which its processing time is charged for. */
export interface RecordWork {
    read: number;
    written: number;
}

/** What the instance has charged since its counters were last reset. */
export interface CostAccount {
    /** API transactions admitted (one per HTTP request; batch items are part of their batch's transaction). */
    transactions: number;
    recordsRead: number;
    recordsWritten: number;
    /** Processing time charged by the model: transactions, reads and writes, in milliseconds. */
    processingMs: number;
    /** Transactions that had to wait for a thread. */
    queued: number;
    /** Transactions rejected with 429 because the queue was full. */
    rejected: number;
    /** Most transactions ever running at once. */
    peakActive: number;
    /** Transactions running now, and waiting now. */
    active: number;
    waiting: number;
}

/** A granted thread; call {@link Slot.release} once, when the transaction ends. */
export interface Slot {
    /** True when the transaction waited in the queue before it got its thread. */
    readonly queued: boolean;
    release(): void;
}

/** A transaction refused because every thread is busy and the queue is full. */
export interface Rejection {
    /** Seconds after which a retry can expect a free place, for `Retry-After`. */
    retryAfterSeconds: number;
}

const sleep = (ms: number) => (ms > 0 ? new Promise<void>((r) => setTimeout(r, ms)) : Promise.resolve());

/**
 * One instance's cost model, its API_INT semaphore (threads plus a FIFO queue) and its accounting.
 */
export class InstanceCost {
    model: CostModel;
    private active = 0;
    private readonly waiting: (() => void)[] = [];
    private account: Omit<CostAccount, "active" | "waiting"> = emptyAccount();

    /** Starts from `model`. */
    constructor(model: Partial<CostModel> = {}) {
        this.model = validModel({ ...FREE, ...model });
    }

    /** Overlays a partial model; returns the whole. Waiting transactions are admitted if the limit grew. */
    configure(patch: Partial<CostModel>): CostModel {
        this.model = validModel({ ...this.model, ...patch });
        this.admitWaiting();
        return this.model;
    }

    /** Processing time the model charges for work done in a transaction (or a batch item, without `transaction`). */
    processingMs(work: RecordWork, transaction: boolean): number {
        const m = this.model;
        return (transaction ? m.transactionMs : 0) + work.read * m.readRecordMs + work.written * m.writeRecordMs;
    }

    /**
     * Asks for a thread: granted at once, granted after waiting in the queue, or refused when the queue is full.
     * The caller holds the slot for the whole transaction, batch items included.
     */
    async enter(): Promise<Slot | Rejection> {
        const limit = this.model.concurrency;
        let queued = false;
        if (limit > 0 && this.active >= limit) {
            if (this.waiting.length >= this.model.queueDepth) {
                this.account.rejected++;
                return { retryAfterSeconds: this.retryAfter() };
            }
            queued = true;
            this.account.queued++;
            await new Promise<void>((resolve) => this.waiting.push(resolve));
        } else {
            this.active++;
        }
        this.account.transactions++;
        this.account.peakActive = Math.max(this.account.peakActive, this.active);
        let released = false;
        return {
            queued,
            release: () => {
                if (released) return;
                released = true;
                this.active--;
                this.admitWaiting();
            },
        };
    }

    /**
     * Charges work to the account and holds the caller for the model's processing time, minus what the work itself
     * already took (`startedAt`, from `clock`), so a slow emulator is not charged twice.
     */
    async charge(work: RecordWork, transaction: boolean, startedAt: number, clock: () => number): Promise<number> {
        const ms = this.processingMs(work, transaction);
        this.account.recordsRead += work.read;
        this.account.recordsWritten += work.written;
        this.account.processingMs += ms;
        await sleep(ms - (clock() - startedAt));
        return ms;
    }

    /** Half a round trip: the request or the response on the wire. */
    halfRoundTrip(): Promise<void> {
        return sleep(this.model.roundTripMs / 2);
    }

    /** The counters, with the threads running and the transactions waiting now. */
    snapshot(): CostAccount {
        return { ...this.account, active: this.active, waiting: this.waiting.length };
    }

    /** Zeroes the counters (running and waiting transactions are left alone). */
    reset(): void {
        this.account = emptyAccount();
        this.account.peakActive = this.active;
    }

    private admitWaiting(): void {
        const limit = this.model.concurrency;
        while (this.waiting.length > 0 && (limit === 0 || this.active < limit)) {
            this.active++;
            this.waiting.shift()!();
        }
    }

    /** The time for the queue ahead to drain at the mean transaction cost, at least a second. */
    private retryAfter(): number {
        const m = this.model;
        const a = this.account;
        const mean = a.transactions > 0 ? a.processingMs / a.transactions : m.transactionMs;
        const drainMs = ((this.waiting.length + 1) * mean) / Math.max(1, m.concurrency);
        return Math.max(1, Math.ceil(drainMs / 1000));
    }
}

function emptyAccount(): Omit<CostAccount, "active" | "waiting"> {
    return {
        transactions: 0,
        recordsRead: 0,
        recordsWritten: 0,
        processingMs: 0,
        queued: 0,
        rejected: 0,
        peakActive: 0,
    };
}

/** Throws a message naming the field, the value and the fix when a model is not usable. */
function validModel(m: CostModel): CostModel {
    for (const [k, v] of Object.entries(m)) {
        if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
            throw new RangeError(`cost model ${k} must be a non-negative number, got ${JSON.stringify(v)}`);
        }
    }
    if (!Number.isInteger(m.concurrency) || !Number.isInteger(m.queueDepth)) {
        throw new RangeError(
            `cost model concurrency and queueDepth must be whole numbers, got ${m.concurrency} and ${m.queueDepth}`,
        );
    }
    return { ...m };
}
