/**
 * Zing text indexes as the emulator keeps them: the tables (`ts_index_name`, `ts_index_stats`), what a clone does to
 * them, and the background job that regenerates them after a `textindex.all` event.
 *
 * Platform facts (reference/platform-apis.md §2.3): System Definition → Text Indexes lists `ts_index_name` with a
 * State per index, "Tables are indexed one at a time", regenerating purges the index so "no search results are
 * returned" until it is done, and the "Regenerate all text indexes" clone cleanup script rebuilds them on the target
 * ("Text indexes are cloned from the source instance and then regenerated to reflect only the preserved data").
 * Regenerating queues a `textindex.all` event that TextIndexEventProcessJob works through. The column names are not
 * documented; the ones here are the emulator's choice (emulator/README.md, "Decisions").
 */
import type { InstanceDb } from "./db";
import { fields, type TableDef } from "./schema";
import { glideDateTime } from "./values";

/** Values of `ts_index_name.state`. */
export const TextIndexState = {
    /** Built and current. */
    Indexed: "indexed",
    /** Waiting for its turn in a regeneration. */
    Queued: "queued",
    /** Being rebuilt now; searches on the table return nothing. */
    Indexing: "indexing",
    /** Copied by a clone from the source and not rebuilt since: it describes the source's rows. */
    Stale: "stale",
} as const;

/** Name of the event that regenerates every text index (the "Regenerate Text Index" action queues it too). */
export const REGENERATE_ALL_EVENT = "textindex.all";

/** Tables a seeded instance indexes for global text search. */
const SEEDED_INDEXES = ["sys_user", "sys_user_group", "task", "incident"];

/** The text-index tables, for `platformTables()`. */
export function textIndexTables(): TableDef[] {
    return [
        {
            name: "ts_index_name",
            label: "Text Index",
            fields: fields(
                "name",
                "active:boolean=true",
                "state=indexed",
                "last_indexed:glide_date_time",
                "last_indexing_duration:integer=0",
            ).map((f) =>
                f.name === "state"
                    ? {
                          ...f,
                          type: "choice" as const,
                          choices: {
                              [TextIndexState.Indexed]: "Indexed",
                              [TextIndexState.Queued]: "Queued",
                              [TextIndexState.Indexing]: "Indexing",
                              [TextIndexState.Stale]: "Needs regeneration",
                          },
                      }
                    : f,
            ),
        },
        {
            name: "ts_index_stats",
            label: "Text Index Statistics",
            display: "table",
            fields: fields("table", "started:glide_date_time", "completed:glide_date_time", "duration:integer=0"),
        },
    ];
}

/** Rows of a fresh instance's text indexes, all built at `indexedAt`. */
export function seedTextIndexRows(indexedAt: number): { table: string; values: Record<string, string> }[] {
    return SEEDED_INDEXES.map((name) => ({
        table: "ts_index_name",
        values: {
            name,
            active: "true",
            state: TextIndexState.Indexed,
            last_indexed: glideDateTime(indexedAt),
            last_indexing_duration: "12",
        },
    }));
}

/**
 * What Node repoint leaves in the target's text indexes: the source's, which describe the source's rows, so each is
 * marked as needing regeneration (its `last_indexed` stays the source's, before the clone).
 */
export function markTextIndexesStale(db: Pick<InstanceDb, "query" | "update" | "schema">): void {
    if (!db.schema.find("ts_index_name")) return;
    for (const row of db.query("ts_index_name", "active=true")) {
        db.update("ts_index_name", row.sys_id!, { state: TextIndexState.Stale });
    }
}

/** Options of {@link attachTextIndexer}. */
export interface TextIndexerOptions {
    /**
     * Wall time to rebuild one table's index.
     *
     * @default 50
     */
    msPerTable?: number;
    /**
     * Start paused: events are queued but no table is indexed until `resume()`.
     *
     * @default false
     */
    paused?: boolean;
    /**
     * Clock for timestamps and pacing.
     *
     * @default Date.now
     */
    now?: () => number;
}

/** The running text indexer of an emulator. */
export interface TextIndexer {
    /** Stops indexing (what is queued stays queued), as a stalled TextIndexEventProcessJob would. */
    pause(): void;
    /** Resumes indexing. */
    resume(): void;
    /** Changes the time one table takes. */
    setMsPerTable(ms: number): void;
    /** Stops the timer for good. */
    stop(): void;
}

interface Job {
    table: string;
    sysId: string;
    startedAt: number;
}

/**
 * Runs each instance's text-index event processor: a ready `textindex.all` event queues every active index, then
 * the tables are rebuilt one at a time, `msPerTable` each, ending `indexed` with `last_indexed` set and a
 * `ts_index_stats` row. Nothing else writes these states.
 */
export function attachTextIndexer(
    emulator: { instances: ReadonlyMap<string, { db: InstanceDb }> },
    opts: TextIndexerOptions = {},
): TextIndexer {
    const now = opts.now ?? Date.now;
    let msPerTable = Math.max(0, opts.msPerTable ?? 50);
    let paused = opts.paused ?? false;
    const current = new Map<InstanceDb, Job>();

    const tickInstance = (db: InstanceDb): void => {
        if (!db.schema.find("ts_index_name") || !db.schema.find("sysevent")) return;
        for (const event of db.query("sysevent", `name=${REGENERATE_ALL_EVENT}^state=ready^ORDERBYsys_created_on`)) {
            db.update("sysevent", event.sys_id!, { state: "processed" });
            for (const row of db.query("ts_index_name", "active=true")) {
                db.update("ts_index_name", row.sys_id!, { state: TextIndexState.Queued });
            }
        }
        if (paused) return;
        let job = current.get(db);
        if (job && now() - job.startedAt < msPerTable) return;
        if (job) {
            finish(db, job);
            current.delete(db);
        }
        const next = db.query("ts_index_name", `state=${TextIndexState.Queued}^ORDERBYname`, { limit: 1 })[0];
        if (!next) return;
        db.update("ts_index_name", next.sys_id!, { state: TextIndexState.Indexing });
        job = { table: next.name ?? "", sysId: next.sys_id!, startedAt: now() };
        current.set(db, job);
        if (msPerTable === 0) {
            finish(db, job);
            current.delete(db);
        }
    };

    const finish = (db: InstanceDb, job: Job): void => {
        const end = now();
        const seconds = String(Math.max(0, Math.round((end - job.startedAt) / 1000)));
        db.update("ts_index_name", job.sysId, {
            state: TextIndexState.Indexed,
            last_indexed: glideDateTime(end),
            last_indexing_duration: seconds,
        });
        db.insert("ts_index_stats", {
            table: job.table,
            started: glideDateTime(job.startedAt),
            completed: glideDateTime(end),
            duration: seconds,
        });
    };

    const tick = (): void => {
        for (const { db } of emulator.instances.values()) {
            try {
                tickInstance(db);
            } catch {
                // An instance closing while the emulator stops: skip it; a throw here would end the process.
            }
        }
    };
    const timer = setInterval(tick, Math.max(10, Math.min(100, msPerTable / 2 || 10)));
    timer.unref();
    return {
        pause() {
            paused = true;
        },
        resume() {
            paused = false;
        },
        setMsPerTable(ms: number) {
            msPerTable = Math.max(0, ms);
        },
        stop() {
            clearInterval(timer);
        },
    };
}
