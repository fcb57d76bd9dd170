/**
 * Clone requests as the Table API sees them (`sn_instance_clone_request`): finding the target, requesting, waiting
 * with progress, cancelling, rolling back, and the clone epoch.
 *
 * The platform documents no REST endpoint for requesting a clone; this works through the request and history tables
 * (see docs/clone.md for what a real instance is known to accept and what is inferred).
 */

import type { Row } from "../adopt/row";
import { pollUntil } from "../client/cicd";
import type { ServiceNowClient } from "../client/client";
import { eqQuery } from "../client/query";
import { CloneFailedError, CloneTimeoutError, InputError } from "../errors";
import { closestNames, didYouMean } from "../query/names";

export { CloneFailedError, CloneTimeoutError };

/** The part of the client the clone driver uses (the real ServiceNowClient satisfies it). */
export type CloneClient = Pick<ServiceNowClient, "getRecord" | "query" | "insert" | "update" | "remove" | "url">;

/** The Clone Admin Console's request table. */
export const REQUEST_TABLE = "sn_instance_clone_request";

/** Request states (each value equals its label, as on the platform). */
export const CloneStates = {
    Requested: "Requested",
    Scheduled: "Scheduled",
    Active: "Active",
    Completed: "Completed",
    Canceled: "Canceled",
    Error: "Error",
    Hold: "Hold",
    RollbackRequested: "Rollback requested",
    RollingBack: "Rolling back",
    RolledBack: "Rolled back",
    RollbackFailure: "Rollback failure",
} as const;

/** States of a clone that has not ended yet. */
export const RUNNING_STATES: readonly string[] = ["Draft", "Requested", "Scheduled", "Active"];
/** States in which the target holds the clone's data (or held it, for a rolled-back clone): they define the epoch. */
const EPOCH_STATES: readonly string[] = [CloneStates.Completed, CloneStates.RolledBack];

/** The request fields this code reads. */
export const REQUEST_FIELDS = [
    "sys_id",
    "sys_created_on",
    "state",
    "phase",
    "percent_complete",
    "target_instance",
    "profile",
    "started",
    "completed",
    "error_message",
    "rollback_deadline",
] as const;

/** A ServiceNow date-time (`YYYY-MM-DD HH:MM:SS`, UTC) as ISO 8601, or "" when blank. */
export function isoTime(glide: string | undefined): string {
    if (!glide) return "";
    const d = new Date(`${glide.replace(" ", "T")}Z`);
    return Number.isNaN(d.valueOf()) ? "" : d.toISOString().replace(".000Z", "Z");
}

/** Seconds between two ServiceNow date-times; 0 when either is blank. */
export function secondsBetween(from: string | undefined, to: string | undefined): number {
    const a = Date.parse(isoTime(from));
    const b = Date.parse(isoTime(to));
    return Number.isFinite(a) && Number.isFinite(b) ? Math.max(0, Math.round((b - a) / 1000)) : 0;
}

/**
 * The clone epoch of a completed (or rolled-back) clone: changes whenever the target's data was replaced, so
 * resources that take it as `cloneEpoch` re-assert their policy.
 */
export function epochOf(row: Readonly<Row>): string {
    const at = `${row.sys_id}@${isoTime(row.completed)}`;
    return row.state === CloneStates.RolledBack ? `${at}+rolled-back` : at;
}

/** One line of progress, e.g. `clone 1a2b… into dev: Active, Copy data, 35%`. */
export function progressLine(row: Readonly<Row>, target: string): string {
    const parts = [row.state || "?"];
    if (row.state === CloneStates.Active && row.phase) parts.push(row.phase);
    if (row.state === CloneStates.Active && row.percent_complete) parts.push(`${row.percent_complete}%`);
    return `clone ${row.sys_id} into ${target}: ${parts.join(", ")}`;
}

/** Waits this long; an aborted signal ends the wait with the signal's reason. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        const onAbort = () => {
            clearTimeout(t);
            reject(signal?.reason);
        };
        // The listener goes when the timer fires: a long clone polls hundreds of times on one signal.
        const t = setTimeout(() => {
            signal?.removeEventListener("abort", onAbort);
            resolve();
        }, ms);
        signal?.addEventListener("abort", onAbort, { once: true });
    });
}

/**
 * The `instance` row (on the source) that registers the target: by `instance_name`, or by `instance_url` when the
 * value is a URL.
 *
 * @throws Error saying how to register the target when it is not registered.
 */
export async function findTargetRegistration(client: CloneClient, target: string): Promise<Row> {
    const byUrl = /^https?:\/\//i.test(target);
    const query = byUrl ? `instance_url=${target.replace(/\/+$/, "")}` : eqQuery("instance_name", target);
    // Only these fields: the instance table also holds the target's admin password.
    const rows = await client.query("instance", {
        query,
        fields: ["sys_id", "instance_name", "instance_url"],
        limit: 1,
    });
    if (!rows[0]) {
        const fix = "register it as a clone target in the Clone Admin Console, or fix targetInstance";
        throw new InputError(
            `target instance "${target}" is not registered in the instance table on ${client.url}; ${fix}`,
            {
                property: "targetInstance",
                value: target,
                fix,
            },
        );
    }
    return rows[0];
}

/** Resolves a clone profile by sys_id or name on the source. */
export async function findProfile(client: CloneClient, profile: string): Promise<string> {
    const query = /^[0-9a-f]{32}$/i.test(profile) ? `sys_id=${profile}` : eqQuery("name", profile);
    const rows = await client.query("clone_profile", { query, fields: ["sys_id"], limit: 1 });
    if (!rows[0]?.sys_id) {
        const fix = "declare it with CloneProfile and pass its sysId, or fix the name";
        const near = query.startsWith("sys_id=")
            ? ""
            : didYouMean(await closestNames(client, "clone_profile", profile));
        const message = `clone profile "${profile}" does not exist in clone_profile on ${client.url}${near}; ${fix} (received ${JSON.stringify(profile)})`;
        throw new InputError(message, {
            property: "profile",
            value: profile,
            fix,
        });
    }
    return rows[0].sys_id;
}

/** Where the clone history of a target is read. */
export type HistorySource =
    /** The source's requests whose target_instance is the target's registration. */
    | { kind: "source"; client: CloneClient; targetRef: string }
    /** The target's own copies of the clones made into it (inferred platform behaviour; see docs/clone.md). */
    | { kind: "target"; client: CloneClient; targetName: string };

/** The latest clone into the target that replaced its data (Completed or Rolled back), if any. */
export async function latestCompleted(history: HistorySource): Promise<Row | undefined> {
    const states = `stateIN${EPOCH_STATES.join(",")}`;
    if (history.kind === "source") {
        const rows = await history.client.query(REQUEST_TABLE, {
            query: `target_instance=${history.targetRef}^${states}^ORDERBYDESCcompleted^ORDERBYDESCsys_created_on`,
            fields: [...REQUEST_FIELDS],
            limit: 1,
        });
        return rows[0];
    }
    // On the target, its copies of the clones made into it reference its own registration (instance_name = its
    // name), or a source sys_id that means nothing locally; its own requests (clones *from* it) reference the other
    // instances it registered. Both readings are accepted because the platform's exact shape is not public.
    const registered = await history.client.query("instance", {
        query: "",
        fields: ["sys_id", "instance_name", "instance_url"],
        limit: 10000,
    });
    const name = history.targetName.replace(/\/+$/, "").toLowerCase();
    const local = new Set(registered.map((r) => r.sys_id));
    const self = new Set(
        registered
            .filter(
                (r) =>
                    (r.instance_name ?? "").toLowerCase() === name ||
                    (r.instance_url ?? "").replace(/\/+$/, "").toLowerCase() === name,
            )
            .map((r) => r.sys_id),
    );
    const rows = await history.client.query(REQUEST_TABLE, {
        query: `${states}^ORDERBYDESCcompleted^ORDERBYDESCsys_created_on`,
        fields: [...REQUEST_FIELDS],
        limit: 50,
    });
    return rows.find((r) => self.has(r.target_instance ?? "") || !local.has(r.target_instance ?? ""));
}

/** The clone into the target still running on the source, if any (only the source sees clones in progress). */
export async function runningClone(client: CloneClient, targetRef: string): Promise<Row | undefined> {
    const rows = await client.query(REQUEST_TABLE, {
        query: `target_instance=${targetRef}^stateIN${RUNNING_STATES.join(",")}^ORDERBYDESCsys_created_on`,
        fields: [...REQUEST_FIELDS],
        limit: 1,
    });
    return rows[0];
}

/** Options of {@link waitForClone}. */
export interface WaitOptions {
    /** Give up after this long. */
    timeoutMs: number;
    /** Time between polls. */
    pollMs: number;
    /** The target's name, for messages. */
    target: string;
    /** Receives a line each time the state, phase or percentage changes. */
    progress: (line: string) => void;
    /** Receives the request row at each of those changes (for callers that report structured progress). */
    onChange?: (row: Readonly<Row>) => void;
    /** Ends the wait (the clone itself goes on). */
    signal?: AbortSignal;
}

/**
 * Polls a clone request until it ends. Completed returns the row; Error, Canceled and Hold throw
 * {@link CloneFailedError} with the platform's own message; running past the timeout throws
 * {@link CloneTimeoutError} (the caller decides whether to cancel).
 */
export async function waitForClone(client: CloneClient, id: string, opts: WaitOptions): Promise<Row> {
    let last = "";
    const row = await pollUntil(
        async () => {
            const row = (await client.getRecord(REQUEST_TABLE, id, [...REQUEST_FIELDS])) as Row;
            const line = progressLine(row, opts.target);
            if (line !== last) {
                opts.progress(line);
                opts.onChange?.(row);
            }
            last = line;
            return row;
        },
        (row) => !RUNNING_STATES.includes(row.state ?? ""),
        {
            timeoutMs: opts.timeoutMs,
            // A clone is polled at a steady pace: it runs for hours, and each poll is one cheap read.
            initialPollMs: opts.pollMs,
            maxPollMs: opts.pollMs,
            wait: (ms) => sleep(ms, opts.signal),
            onTimeout: () =>
                new CloneTimeoutError(
                    `clone ${id} into ${opts.target} did not finish within ${formatDuration(opts.timeoutMs)}; it was ${last.split(": ")[1]}`,
                ),
        },
    );
    const state = row.state ?? "";
    if (state === CloneStates.Completed) return row;
    const why = row.error_message ? `: ${row.error_message}` : "";
    throw new CloneFailedError(
        `clone ${id} into ${opts.target} ended in state ${state}${why} (sn_instance_clone_request on ${client.url})`,
        state,
    );
}

/**
 * Cancels a request that has not finished and waits to see whether the platform honoured it (it refuses from Node
 * repoint on, and puts the running state back).
 *
 * @returns the state the request settled in ("Canceled" when the cancel took).
 */
export async function cancelClone(client: CloneClient, id: string, pollMs: number): Promise<string> {
    const row = (await client.getRecord(REQUEST_TABLE, id, ["state"])) as Row;
    if (!RUNNING_STATES.includes(row.state ?? "")) return row.state ?? "";
    await client.update(REQUEST_TABLE, id, { state: CloneStates.Canceled });
    // A few polls: enough for the clone engine to notice, and to put back the state when it refuses.
    let state: string = CloneStates.Canceled;
    for (let i = 0; i < 5; i++) {
        await sleep(Math.max(50, Math.min(pollMs, 2000)));
        state = ((await client.getRecord(REQUEST_TABLE, id, ["state"])) as Row).state ?? "";
        if (state !== CloneStates.Canceled) break;
    }
    return state;
}

/** "90 s", "12 min", "3 h 5 min". */
export function formatDuration(ms: number): string {
    const s = Math.round(ms / 1000);
    if (s < 120) return `${s} s`;
    const m = Math.round(s / 60);
    if (m < 120) return `${m} min`;
    return `${Math.floor(m / 60)} h ${m % 60} min`;
}
