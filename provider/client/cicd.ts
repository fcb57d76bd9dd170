/**
 * The one asynchronous-operation helper for the CI/CD API: start an operation, poll `progress/{id}` with backoff
 * until it ends, and return a typed result, or throw a typed failure carrying the platform's own status message.
 *
 * Every CI/CD call that starts work (plugin activation, update set retrieve/preview/commit, app install, test suite
 * run) answers with the same progress body; this is the only code that interprets it.
 */
import { CicdOperationError, CicdTimeoutError, ServiceNowError } from "../errors";
import type { ServiceNowClient } from "./client";
import type { Transport } from "./transport";

/** Sends one CI/CD API request and returns the decoded JSON body (the client's `cicd` method). */
export type CicdCaller = (
    method: "GET" | "POST",
    path: string,
    params?: Record<string, string>,
    body?: unknown,
) => Promise<Record<string, unknown>>;

/**
 * The CI/CD API of one instance (`/api/sn_cicd/...`) over the shared transport. A POST is never retried after an
 * ambiguous failure (it may have started an operation). An answer that carries a `result` is returned whatever its
 * status (405, 409): the API reports refusals as data. The fence is the caller's: resources that change the instance
 * (PluginState, InFlightWork, parking) call `assertWritable` first; a test-suite run of the verification gate does not.
 */
export class CicdApi {
    constructor(private readonly transport: Transport) {}

    /** Sends one call; the decoded body, or the error tree's error for its status. */
    async call(
        method: "GET" | "POST",
        path: string,
        params?: Record<string, string>,
        body?: unknown,
    ): Promise<Record<string, unknown>> {
        if (!path.startsWith("/api/sn_cicd/")) throw new ServiceNowError(`not a CI/CD API path: ${path}`);
        return this.transport.send(
            `${method} ${path.replace(/^\/api/, "")}`,
            {
                method,
                url: path,
                params,
                data: method === "POST" ? (body ?? {}) : undefined,
                // The API reports some refusals as data: a `result` with status "3" and the reason, under 405 or 409.
                validateStatus: (s) => (s >= 200 && s < 300) || s === 405 || s === 409,
            },
            method === "GET",
        );
    }
}

/** The part of the client CI/CD work uses: Table API reads and writes, and CI/CD calls. */
export type CicdClient = Pick<
    ServiceNowClient,
    "query" | "count" | "insert" | "update" | "url" | "cicd" | "assertWritable"
>;

/** Tracker states as the progress API returns them. */
export const ProgressStatus = {
    Pending: "0",
    Running: "1",
    Successful: "2",
    Failed: "3",
    Canceled: "4",
} as const;

/** A link of a progress body (`links.progress`, `links.results`, `links.source`). */
export interface ProgressLink {
    id: string;
    url: string;
}

/** A decoded progress body. */
export interface Progress {
    status: string;
    statusLabel: string;
    statusMessage: string;
    statusDetail: string;
    error: string;
    percentComplete: number;
    links: Record<string, ProgressLink>;
}

/** Options of {@link runCicdOperation} and {@link waitForProgress}. */
export interface PollOptions {
    /** Give up after this long (the operation may still finish on the instance). */
    timeoutMs: number;
    /**
     * First wait between polls; each wait grows by half up to `maxPollMs`.
     *
     * @default 500
     */
    initialPollMs?: number;
    /**
     * Longest wait between polls.
     *
     * @default 10000
     */
    maxPollMs?: number;
    /** Receives a line each time the status, message or percentage changes. */
    progress?: (line: string) => void;
    /** What the operation is, for messages, e.g. `activation of plugin com.snc.procurement on https://…`. */
    what: string;
}

/**
 * Poll settings from a resource's `timeoutMinutes` and `pollSeconds`: the first poll after at most a second, then
 * growing to `pollSeconds`.
 */
export function pollSettings(
    inputs: { timeoutMinutes: number; pollSeconds: number },
    progress: (line: string) => void,
): Omit<PollOptions, "what"> {
    return {
        timeoutMs: inputs.timeoutMinutes * 60_000,
        initialPollMs: Math.min(1000, inputs.pollSeconds * 1000),
        maxPollMs: inputs.pollSeconds * 1000,
        progress,
    };
}

/** Decodes the `result` of a progress body; a body without one is the instance's error, raised as such. */
export function decodeProgress(body: Record<string, unknown>, what: string): Progress {
    const r = body.result as Record<string, unknown> | undefined;
    if (!r || typeof r !== "object" || typeof r.status !== "string") {
        throw new ServiceNowError(`${what}: the CI/CD API answered without a progress result`);
    }
    const links: Record<string, ProgressLink> = {};
    for (const [k, v] of Object.entries((r.links as Record<string, unknown>) ?? {})) {
        const l = v as { id?: unknown; url?: unknown };
        if (typeof l?.id === "string") links[k] = { id: l.id, url: typeof l.url === "string" ? l.url : "" };
    }
    const text = (v: unknown) => (typeof v === "string" ? v : "");
    return {
        status: r.status,
        statusLabel: text(r.status_label),
        statusMessage: text(r.status_message),
        statusDetail: text(r.status_detail),
        error: text(r.error),
        percentComplete: Number(r.percent_complete ?? 0) || 0,
        links,
    };
}

/** One line of progress, e.g. `Running 40%: Committing sys_script_…`. */
export function progressLine(p: Progress): string {
    const pct = p.status === ProgressStatus.Running ? ` ${p.percentComplete}%` : "";
    return `${p.statusLabel || p.status}${pct}${p.statusMessage ? `: ${p.statusMessage}` : ""}`;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Polls until `read` says the work is done, waiting longer each time (×1.5 from `initialPollMs` to `maxPollMs`),
 * never past the deadline. Shared by the CI/CD progress wait and the clone wait.
 *
 * @returns the value `read` returned when `done` held
 * @throws whatever `onTimeout` builds, once the deadline passes
 */
export async function pollUntil<T>(
    read: () => Promise<T>,
    done: (value: T) => boolean,
    opts: {
        timeoutMs: number;
        initialPollMs?: number;
        maxPollMs?: number;
        onTimeout: (last: T) => Error;
        /** How to wait between polls (e.g. an abortable sleep). @default a timer */
        wait?: (ms: number) => Promise<void>;
    },
): Promise<T> {
    const deadline = Date.now() + opts.timeoutMs;
    let wait = Math.max(1, opts.initialPollMs ?? 500);
    const max = Math.max(wait, opts.maxPollMs ?? 10_000);
    for (;;) {
        const value = await read();
        if (done(value)) return value;
        if (Date.now() >= deadline) throw opts.onTimeout(value);
        await (opts.wait ?? sleep)(Math.min(wait, Math.max(0, deadline - Date.now())));
        wait = Math.min(max, Math.ceil(wait * 1.5));
    }
}

/**
 * Polls `progress/{id}` until the operation ends. Successful returns the final progress; Failed or Canceled throws
 * {@link CicdOperationError} with the platform's message; past the timeout, {@link CicdTimeoutError}.
 */
export async function waitForProgress(call: CicdCaller, progressId: string, opts: PollOptions): Promise<Progress> {
    let last = "";
    const final = await pollUntil(
        async () => {
            const p = decodeProgress(
                await call("GET", `/api/sn_cicd/progress/${encodeURIComponent(progressId)}`),
                opts.what,
            );
            const line = progressLine(p);
            if (line !== last) opts.progress?.(line);
            last = line;
            return p;
        },
        (p) => p.status !== ProgressStatus.Pending && p.status !== ProgressStatus.Running,
        {
            timeoutMs: opts.timeoutMs,
            initialPollMs: opts.initialPollMs,
            maxPollMs: opts.maxPollMs,
            onTimeout: (p) =>
                new CicdTimeoutError(
                    `${opts.what} did not finish within ${Math.round(opts.timeoutMs / 1000)} s (last: ${progressLine(p)}); ` +
                        `it may still finish: follow progress ${progressId}, or raise the timeout`,
                    progressId,
                ),
        },
    );
    if (final.status !== ProgressStatus.Successful) throw operationError(final, progressId, opts.what);
    return final;
}

/** Starts an operation and waits for it; see {@link waitForProgress}. */
export async function runCicdOperation(
    call: CicdCaller,
    start: { method?: "POST"; path: string; params?: Record<string, string>; body?: unknown },
    opts: PollOptions,
): Promise<Progress> {
    const started = decodeProgress(await call("POST", start.path, start.params, start.body), opts.what);
    const id = started.links.progress?.id;
    if (!id) {
        if (started.status === ProgressStatus.Successful) return started;
        throw operationError(started, "", opts.what);
    }
    opts.progress?.(progressLine(started));
    if (started.status !== ProgressStatus.Pending && started.status !== ProgressStatus.Running) {
        if (started.status === ProgressStatus.Successful) return started;
        throw operationError(started, id, opts.what);
    }
    return waitForProgress(call, id, opts);
}

function operationError(p: Progress, progressId: string, what: string): CicdOperationError {
    const detail = p.statusDetail && p.statusDetail !== p.statusMessage ? ` (${p.statusDetail})` : "";
    const message = p.statusMessage || p.error || "no status message";
    return new CicdOperationError(`${what} ended ${p.statusLabel || p.status}: ${message}${detail}`, {
        status: p.status,
        statusMessage: message,
        progressId,
    });
}
