/**
 * Execution trackers and the instance-wide operation queue behind every CI/CD API call.
 *
 * Each operation (activate a plugin, retrieve, preview or commit an update set, install an app, run a test suite) is
 * one `sys_execution_tracker` row that moves Pending (0) → Running (1) → Successful (2) / Failed (3) / Canceled (4)
 * while `GET /api/sn_cicd/progress/{id}` reports it. Operations that need the instance-wide lock run one at a time in
 * arrival order, as the platform's Application Operation Queue does since Tokyo; a pending one can be canceled by
 * setting its tracker's state to 4, and one left waiting longer than
 * `com.glide.update_operation.job_cancel_timeout_minutes` (default 48 h) is canceled by the queue.
 */
import type { InstanceDb } from "../db";
import { glideDateTime, parseGlideDateTime, type Row } from "../values";
import { TRACKER_STATES } from "./tables";

/** Numeric tracker states, as strings (the progress API returns them as strings too). */
export const TrackerState = {
    Pending: "0",
    Running: "1",
    Successful: "2",
    Failed: "3",
    Canceled: "4",
} as const;

const TRACKER_TABLE = "sys_execution_tracker";
const TIMEOUT_PROPERTY = "com.glide.update_operation.job_cancel_timeout_minutes";
const DEFAULT_TIMEOUT_MINUTES = 48 * 60;

/** Ends an operation as Failed with the platform-like status message (and optional detail). */
export class OperationFailed extends Error {
    /** Shown as `status_detail`. */
    readonly detail: string;
    constructor(message: string, detail = "") {
        super(message);
        this.name = new.target.name;
        this.detail = detail;
    }
}

/** A record a tracker links to (`links.source`, `links.results`). */
export interface TrackerLink {
    table: string;
    id: string;
    /** Path of the link's URL on this instance; the Table API record by default. */
    path?: string;
}

/** What a running operation may do with its tracker. */
export interface OperationContext {
    /** The instance the operation runs on. */
    readonly db: InstanceDb;
    /** sys_id of the operation's tracker. */
    readonly trackerId: string;
    /**
     * Records progress and yields for one step of the operation's duration, so a poller sees it running.
     *
     * @param percent percent complete after this step (0–99; 100 is set when the operation ends)
     */
    step(percent: number, message: string): Promise<void>;
    /** Sets `links.results` (e.g. the retrieved update set, the test suite result). */
    setResults(link: TrackerLink): void;
}

/** What an operation reports when it ends well. */
export interface OperationOutcome {
    /** `status_message`; "This operation succeeded" by default. */
    message?: string;
    /** `status_detail`. */
    detail?: string;
}

/** An operation to run on a tracker. */
export interface OperationSpec {
    /** The tracker's name, e.g. `Activate plugin com.snc.procurement`. */
    name: string;
    /** `links.source`: the record the operation works on. */
    source?: TrackerLink;
    /**
     * Whether the operation needs the instance-wide lock and therefore queues behind the one holding it.
     *
     * @default true
     */
    exclusive?: boolean;
    /** The work; throw {@link OperationFailed} to end Failed with a message. */
    run(ctx: OperationContext): Promise<OperationOutcome | undefined> | OperationOutcome | undefined;
}

/** The body of a progress response (and of every call that starts an operation). */
export interface ProgressResult {
    links: Record<string, { id: string; url: string }>;
    status: string;
    status_label: string;
    status_message: string;
    status_detail: string;
    error: string;
    percent_complete: number;
}

/** Options of a {@link CicdEngine}. */
export interface CicdEngineOptions {
    /** Base URL of the instance, read when a link is rendered (the port is known only after listen). */
    baseUrl: () => string;
    /**
     * Wall time of one operation step.
     *
     * @default 40
     */
    stepMs?: number;
    /**
     * Clock for timestamps and the queue timeout.
     *
     * @default Date.now
     */
    now?: () => number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref?.());

/**
 * The CI/CD operation runner of one instance: creates trackers, runs operations asynchronously, serialises the
 * exclusive ones, and renders progress.
 */
export class CicdEngine {
    /** The instance's database. */
    readonly db: InstanceDb;
    private readonly opts: Required<Omit<CicdEngineOptions, "baseUrl">> & Pick<CicdEngineOptions, "baseUrl">;
    private readonly specs = new Map<string, OperationSpec>();
    private readonly queue: string[] = [];
    private holder: string | undefined;
    private stopped = false;

    /** Marks trackers a previous emulator process left Pending or Running as Failed: their work lived in memory. */
    constructor(db: InstanceDb, opts: CicdEngineOptions) {
        this.db = db;
        this.opts = { stepMs: 40, now: Date.now, ...opts };
        for (const row of db.query(TRACKER_TABLE, "stateIN0,1")) {
            db.update(TRACKER_TABLE, row.sys_id!, {
                state: TrackerState.Failed,
                message: "Operation interrupted: the instance restarted while it was pending or running",
                result: "Operation interrupted",
                completion_time: this.timestamp(),
            });
        }
    }

    /** Creates the tracker (Pending) and schedules the operation; returns the tracker row. */
    start(spec: OperationSpec): Row {
        const exclusive = spec.exclusive !== false;
        const waiting = exclusive && (this.holder !== undefined || this.queue.length > 0);
        const row = this.db.insert(TRACKER_TABLE, {
            name: spec.name,
            state: TrackerState.Pending,
            percent_complete: "0",
            message: waiting ? "Queued: waiting for the instance-wide lock" : "Pending",
            source_table: spec.source?.table ?? "",
            source: spec.source?.id ?? "",
            queued: String(waiting),
        });
        this.specs.set(row.sys_id!, spec);
        if (exclusive) this.queue.push(row.sys_id!);
        // The caller's response shows Pending; the work starts a step later, as the platform's worker picks it up.
        setTimeout(() => (exclusive ? this.pump() : void this.execute(row.sys_id!)), this.opts.stepMs).unref?.();
        return row;
    }

    /** The progress body of a tracker, or undefined for an unknown id. */
    progress(id: string): ProgressResult | undefined {
        const row = this.db.get(TRACKER_TABLE, id);
        return row ? this.render(row) : undefined;
    }

    /** Renders a tracker row as the progress API does. */
    render(row: Row): ProgressResult {
        const base = this.opts.baseUrl();
        const links: ProgressResult["links"] = {
            progress: { id: row.sys_id!, url: `${base}/api/sn_cicd/progress/${row.sys_id}` },
        };
        if (row.source) {
            links.source = { id: row.source, url: `${base}/api/now/table/${row.source_table}/${row.source}` };
        }
        if (row.results) {
            links.results = {
                id: row.results,
                url: `${base}${row.results_url || `/api/now/table/${row.results_table}/${row.results}`}`,
            };
        }
        const state = (row.state ?? "0") as keyof typeof TRACKER_STATES;
        return {
            links,
            status: state,
            status_label: TRACKER_STATES[state] ?? "Pending",
            status_message: row.message ?? "",
            status_detail: row.detail ?? "",
            error: row.result ?? "",
            percent_complete: Number(row.percent_complete || "0"),
        };
    }

    /** True while an exclusive operation holds the instance-wide lock or waits for it. */
    busy(): boolean {
        return this.holder !== undefined || this.queue.length > 0;
    }

    /** Stops starting and advancing operations (the emulator is shutting down). */
    stop(): void {
        this.stopped = true;
    }

    private pump(): void {
        if (this.stopped || this.holder !== undefined) return;
        while (this.queue.length > 0) {
            const id = this.queue.shift()!;
            const row = this.db.get(TRACKER_TABLE, id);
            if (row?.state !== TrackerState.Pending) {
                // Canceled (state 4) by an admin while it waited: it never runs.
                this.specs.delete(id);
                if (row?.state === TrackerState.Canceled) {
                    this.finish(id, { state: TrackerState.Canceled, message: row.message || "Operation canceled" });
                }
                continue;
            }
            const waitedMin = (this.opts.now() - parseGlideDateTime(row.sys_created_on!)) / 60_000;
            const limit = Number(this.db.getProperty(TIMEOUT_PROPERTY) ?? DEFAULT_TIMEOUT_MINUTES);
            if (Number.isFinite(limit) && waitedMin > limit) {
                this.specs.delete(id);
                this.finish(id, {
                    state: TrackerState.Canceled,
                    message: `Canceled: the operation waited longer than ${limit} minutes (${TIMEOUT_PROPERTY}) for the instance-wide lock`,
                });
                continue;
            }
            this.holder = id;
            void this.execute(id).finally(() => {
                this.holder = undefined;
                this.pump();
            });
            return;
        }
    }

    private async execute(id: string): Promise<void> {
        const spec = this.specs.get(id);
        this.specs.delete(id);
        if (!spec || this.stopped) return;
        this.write(id, {
            state: TrackerState.Running,
            message: "Running",
            queued: "false",
            start_time: this.timestamp(),
            percent_complete: "0",
        });
        const ctx: OperationContext = {
            db: this.db,
            trackerId: id,
            step: async (percent, message) => {
                if (this.stopped) throw new StoppedError();
                this.write(id, { percent_complete: String(Math.max(0, Math.min(99, Math.floor(percent)))), message });
                await sleep(this.opts.stepMs);
                if (this.stopped) throw new StoppedError();
            },
            setResults: (link) =>
                this.write(id, { results_table: link.table, results: link.id, results_url: link.path ?? "" }),
        };
        try {
            const outcome = (await spec.run(ctx)) ?? {};
            this.finish(id, {
                state: TrackerState.Successful,
                message: outcome.message ?? "This operation succeeded",
                detail: outcome.detail ?? "",
            });
        } catch (error) {
            if (error instanceof StoppedError || this.stopped) return;
            const failed = error instanceof OperationFailed;
            const message = failed ? error.message : `Internal error: ${(error as Error).message}`;
            this.finish(id, {
                state: TrackerState.Failed,
                message,
                detail: failed ? error.detail : "",
                error: message,
            });
        }
    }

    private finish(id: string, end: { state: string; message: string; detail?: string; error?: string }): void {
        this.write(id, {
            state: end.state,
            message: end.message,
            detail: end.detail ?? "",
            result: end.error ?? "",
            queued: "false",
            completion_time: this.timestamp(),
            ...(end.state === TrackerState.Successful ? { percent_complete: "100" } : {}),
        });
    }

    private write(id: string, fields: Record<string, string>): void {
        if (this.stopped) return;
        this.db.update(TRACKER_TABLE, id, fields);
    }

    private timestamp(): string {
        return glideDateTime(this.opts.now());
    }
}

/** Thrown inside a step when the emulator stops, so the operation unwinds without writing. */
class StoppedError extends Error {}
