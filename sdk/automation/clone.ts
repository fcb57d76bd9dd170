/**
 * Requests a clone of the source (production) instance into a target and waits for it, reporting its states.
 *
 * The request is a `sn_instance_clone_request` row on the source (the only kind of write the production fence allows
 * there besides the clone configuration); the platform drives it through Scheduled and Active to Completed.
 */
import { ServiceNowClient } from "../../provider/client/client";
import type { ProgressListener } from "./progress";

/** Where and how to clone. */
export interface CloneRequest {
    /** Source instance base URL. */
    sourceUrl: string;
    /** Source credentials (Basic). */
    sourceUsername: string;
    sourcePassword: string;
    /** The source's `instance_name`: the fence refuses the request when the live instance reports another. */
    sourceInstanceName: string;
    /** The target's `instance_name`, as registered in the source's `instance` table. */
    targetInstanceName: string;
    /** Give up after this long. @default 3600000 (one hour) */
    timeoutMs?: number;
    /** Poll interval. @default 1000 */
    pollMs?: number;
    /** Allow plain http to a non-loopback host. @default false */
    allowInsecureHttp?: boolean;
    /** Cancels the wait (the clone itself goes on). */
    signal?: AbortSignal;
}

/** A finished clone. */
export interface CloneResult {
    /** sys_id of the clone request on the source. */
    id: string;
    /** Final state: Completed. */
    state: string;
    /** When it completed (instance time), the natural clone epoch. */
    completed: string;
}

/** The clone ended in a state other than Completed, or did not finish in time. */
export class CloneFailedError extends Error {
    constructor(
        message: string,
        readonly state: string,
    ) {
        super(message);
        this.name = new.target.name;
    }
}

const TERMINAL = new Set(["Completed", "Error", "Canceled", "Hold", "Rolled back", "Rollback failure"]);

/**
 * Requests the clone and waits for a terminal state, emitting a `clone` progress event at every change.
 *
 * @throws CloneFailedError when the clone ends in Error/Canceled/Hold or the timeout passes.
 * @throws UnsafeTargetError (from the client) when the source is not the declared instance.
 */
export async function cloneInstance(req: CloneRequest, onProgress?: ProgressListener): Promise<CloneResult> {
    const client = new ServiceNowClient({
        url: req.sourceUrl,
        credentials: { kind: "basic", username: req.sourceUsername, password: req.sourcePassword },
        connection: "source",
        instanceName: req.sourceInstanceName,
        allowInsecureHttp: req.allowInsecureHttp,
    });
    const targets = await client.query("instance", {
        query: `instance_name=${req.targetInstanceName}`,
        fields: ["sys_id", "instance_name"],
        limit: 1,
    });
    const target = targets[0];
    if (!target?.sys_id) {
        throw new CloneFailedError(
            `the source ${req.sourceUrl} has no registered instance named "${req.targetInstanceName}" (instance table); ` +
                "register the target on the source first, or fix the target's servicenow:instanceName",
            "Not requested",
        );
    }
    const created = await client.insert("sn_instance_clone_request", {
        state: "Requested",
        target_instance: target.sys_id,
    });
    const id = created.sys_id ?? "";
    const deadline = Date.now() + (req.timeoutMs ?? 3_600_000);
    let last = "";
    for (;;) {
        const row = await client.getRecord("sn_instance_clone_request", id, [
            "state",
            "phase",
            "percent_complete",
            "completed",
            "error_message",
        ]);
        const state = row.state ?? "";
        const phase = row.phase ?? "";
        const seen = `${state}/${phase}`;
        if (seen !== last) {
            last = seen;
            const percent = state === "Completed" ? 100 : Number(row.percent_complete ?? 0) || 0;
            onProgress?.({
                kind: "clone",
                state,
                phase,
                percent,
                message: `${req.sourceInstanceName} → ${req.targetInstanceName}: ${state}${phase ? ` (${phase})` : ""}`,
            });
        }
        if (TERMINAL.has(state)) {
            if (state !== "Completed") {
                throw new CloneFailedError(
                    `the clone of ${req.sourceInstanceName} into ${req.targetInstanceName} ended ${state}` +
                        `${row.error_message ? `: ${row.error_message}` : ""}`,
                    state,
                );
            }
            return { id, state, completed: row.completed ?? "" };
        }
        if (Date.now() > deadline) {
            throw new CloneFailedError(
                `the clone of ${req.sourceInstanceName} into ${req.targetInstanceName} is still ${state} after ` +
                    `${Math.round((req.timeoutMs ?? 3_600_000) / 1000)}s; it goes on, check the source's clone history`,
                state,
            );
        }
        await sleep(req.pollMs ?? 1000, req.signal);
    }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
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
