/**
 * Requests a clone of the source (production) instance into a target and waits for it, reporting its states.
 *
 * The request is a `sn_instance_clone_request` row on the source (the only kind of write the production fence allows
 * there besides the clone configuration); the platform drives it through Scheduled and Active to Completed.
 */
import { findTargetRegistration, REQUEST_TABLE, waitForClone } from "../../provider/clone/run";
import { clientFor } from "../../provider/connection";
import { CloneFailedError, CloneTimeoutError, InputError } from "../../provider/errors";
import type { ProgressListener } from "./progress";

export { CloneFailedError } from "../../provider/errors";

/** Where and how to clone. */
export interface CloneRequest {
    /** Source instance base URL. */
    sourceUrl: string;
    /** Source credentials: Basic, or the OAuth password grant with sourceClientId/sourceClientSecret. */
    sourceUsername: string;
    sourcePassword: string;
    /** OAuth client of the source (with sourceClientSecret); omitted: Basic auth. */
    sourceClientId?: string;
    /** OAuth client secret of the source. */
    sourceClientSecret?: string;
    /**
     * Instances that must never be written beyond their clone configuration (`servicenow:productionInstances`);
     * omitted: the stack config or SERVICENOW_PRODUCTION_INSTANCES.
     */
    productionInstances?: string;
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

/**
 * Requests the clone and waits for a terminal state, emitting a `clone` progress event at every change.
 *
 * @throws CloneFailedError when the clone ends in Error/Canceled/Hold or the timeout passes.
 * @throws UnsafeTargetError (from the client) when the source is not the declared instance.
 */
export async function cloneInstance(req: CloneRequest, onProgress?: ProgressListener): Promise<CloneResult> {
    // The one way to a client: connection.ts, with this request's settings before stack config and the environment.
    const client = await clientFor("source", {
        instanceUrl: req.sourceUrl,
        username: req.sourceUsername,
        password: req.sourcePassword,
        clientId: req.sourceClientId,
        clientSecret: req.sourceClientSecret,
        instanceName: req.sourceInstanceName,
        productionInstances: req.productionInstances,
        allowInsecureHttp: req.allowInsecureHttp,
        // The fence refuses a request into any other instance, and into a declared production instance.
        cloneTarget: req.targetInstanceName,
    });
    let target: Awaited<ReturnType<typeof findTargetRegistration>>;
    try {
        target = await findTargetRegistration(client, req.targetInstanceName);
    } catch (e) {
        if (!(e instanceof InputError)) throw e;
        throw new CloneFailedError(
            `the source ${req.sourceUrl} has no registered instance named "${req.targetInstanceName}" (instance table); ` +
                "register the target on the source first, or fix the target's servicenow:instanceName",
            "Not requested",
        );
    }
    const created = await client.insert(REQUEST_TABLE, {
        state: "Requested",
        target_instance: target.sys_id ?? "",
    });
    const id = created.sys_id ?? "";
    const timeoutMs = req.timeoutMs ?? 3_600_000;
    try {
        const row = await waitForClone(client, id, {
            timeoutMs,
            pollMs: req.pollMs ?? 1000,
            target: req.targetInstanceName,
            signal: req.signal,
            progress: () => undefined,
            onChange: (r) => {
                const state = r.state ?? "";
                const phase = r.phase ?? "";
                const percent = state === "Completed" ? 100 : Number(r.percent_complete ?? 0) || 0;
                onProgress?.({
                    kind: "clone",
                    state,
                    phase,
                    percent,
                    message: `${req.sourceInstanceName} → ${req.targetInstanceName}: ${state}${phase ? ` (${phase})` : ""}`,
                });
            },
        });
        return { id, state: row.state ?? "", completed: row.completed ?? "" };
    } catch (e) {
        if (e instanceof CloneTimeoutError) {
            throw new CloneFailedError(
                `the clone of ${req.sourceInstanceName} into ${req.targetInstanceName} is still running after ` +
                    `${Math.round(timeoutMs / 1000)}s; it goes on, check the source's clone history`,
                "timeout",
            );
        }
        if (e instanceof CloneFailedError) {
            throw new CloneFailedError(
                `the clone of ${req.sourceInstanceName} into ${req.targetInstanceName} ended ${e.state}: ${e.message}`,
                e.state,
            );
        }
        throw e;
    }
}
