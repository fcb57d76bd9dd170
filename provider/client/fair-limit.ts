/**
 * A concurrency limit shared fairly between independent operations: each operation (a lane) queues its own work, and
 * a freed slot goes to the next lane in turn, so one resource's fifty queued batch calls never hold up another
 * resource's first read for more than one call's time.
 */
import { AsyncLocalStorage } from "node:async_hooks";

const currentLane = new AsyncLocalStorage<string>();

/**
 * Runs `fn` with every request it makes through a {@link FairLimiter} counted in `lane` (e.g. a resource's id).
 *
 * @example await inLane(`userlockout-${id}`, () => converge(client, ...))
 */
export function inLane<T>(lane: string, fn: () => Promise<T>): Promise<T> {
    return currentLane.run(lane, fn);
}

/** The lane of the calling async context ("" outside any). */
export function laneOf(): string {
    return currentLane.getStore() ?? "";
}

/** At most `concurrency` tasks at once; waiting tasks are started lane by lane in turn, each lane in arrival order. */
export class FairLimiter {
    private active = 0;
    private readonly lanes = new Map<string, (() => void)[]>();
    private readonly concurrency: number;

    /** Allows `concurrency` tasks at once (at least 1). */
    constructor(concurrency: number) {
        this.concurrency = Math.max(1, concurrency);
    }

    /** Tasks running now. */
    get activeCount(): number {
        return this.active;
    }

    /** Tasks waiting now, across lanes. */
    get pendingCount(): number {
        let n = 0;
        for (const q of this.lanes.values()) n += q.length;
        return n;
    }

    /** Runs `fn` in the caller's lane once a slot is free. */
    async run<T>(fn: () => Promise<T>, lane: string = laneOf()): Promise<T> {
        if (this.active >= this.concurrency) {
            await new Promise<void>((resolve) => {
                const queue = this.lanes.get(lane);
                if (queue) queue.push(resolve);
                else this.lanes.set(lane, [resolve]);
            });
        } else {
            this.active++;
        }
        try {
            return await fn();
        } finally {
            this.next();
        }
    }

    /** Hands the freed slot to the first waiting task of the lane whose turn it is, or frees it. */
    private next(): void {
        for (const [lane, queue] of this.lanes) {
            const start = queue.shift()!;
            // Delete and re-insert: the lane goes to the back of the rotation (Map keeps insertion order).
            this.lanes.delete(lane);
            if (queue.length > 0) this.lanes.set(lane, queue);
            start();
            return;
        }
        this.active--;
    }
}
