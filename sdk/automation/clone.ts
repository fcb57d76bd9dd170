/**
 * Requests a clone of the source (production) instance into a target and waits for it, reporting its states.
 *
 * Before the request it says what the clone would destroy on the target (the loss report CloneRun prints at preview,
 * from the same engine), refuses with `requireNoLoss` when work the stack does not carry would be lost, and parks the
 * update sets the stack carries on the holding instance, as CloneRun does just before its own request.
 *
 * The request is a `sn_instance_clone_request` row on the source (the only kind of write the production fence allows
 * there besides the clone configuration); the platform drives it through Scheduled and Active to Completed.
 */
import type { ServiceNowClient } from "../../provider/client/client";
import {
    assessLoss,
    beforeRequest,
    type InFlightInputs,
    type LossAssessment,
    type SettingsOf,
} from "../../provider/clone/in-flight";
import { findTargetRegistration, REQUEST_TABLE, waitForClone } from "../../provider/clone/run";
import { clientFor, settingKeys } from "../../provider/connection";
import {
    CloneFailedError,
    CloneTimeoutError,
    CloneWouldLoseWorkError,
    InputError,
    UnsafeTargetError,
} from "../../provider/errors";
import type { ProgressListener } from "./progress";

export { CloneFailedError, CloneWouldLoseWorkError } from "../../provider/errors";

/**
 * What a requested clone does about the work in flight on its target, from the stack's `environment:clone`,
 * `environment:inFlight` and `environment:plugins` (see docs/in-flight-work.md).
 */
export interface InFlightPlan {
    /** Refuse, writing nothing, when the clone would destroy work the stack does not carry. @default false */
    requireNoLoss: boolean;
    /** In-progress update sets parked on the holding instance just before the request (and counted as carried). */
    parkUpdateSets: string[];
    /** Plugins PluginState activates again after the clone (counted as carried). */
    carriedPlugins: string[];
    /** Poll interval of the parking operations, in seconds. */
    pollSeconds: number;
    /** Give up on a parking operation after this many minutes. */
    timeoutMinutes: number;
    /**
     * The stack's `servicenow:*` settings (target, source and holding connections, productionInstances), resolved as
     * the providers resolve them; the report reads the target and the source with them, parking writes the target and
     * the holding instance.
     */
    settings: ReadonlyMap<string, string>;
}

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
    /** Report the loss, refuse with requireNoLoss, park the carried sets, before the request. @default none */
    inFlight?: InFlightPlan;
}

/** A finished clone. */
export interface CloneResult {
    /** sys_id of the clone request on the source. */
    id: string;
    /** Final state: Completed. */
    state: string;
    /** When it completed (instance time), the natural clone epoch. */
    completed: string;
    /** What the clone would destroy, as reported before the request (empty without an {@link InFlightPlan}). */
    lossReport: string[];
    /** The update sets parked on the holding instance before the request. */
    parkedUpdateSets: string[];
}

/**
 * Requests the clone and waits for a terminal state, emitting a `clone` progress event at every change.
 *
 * @throws CloneWouldLoseWorkError when `inFlight.requireNoLoss` is set and the clone would destroy work (nothing written).
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
    const say = (message: string) => onProgress?.({ kind: "stage", message });
    const inFlight = req.inFlight
        ? await guardWorkInFlight(req.inFlight, client, req.targetInstanceName, say)
        : { lossReport: [], parkedUpdateSets: [] };
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
        return { id, state: row.state ?? "", completed: row.completed ?? "", ...inFlight };
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

/**
 * Before the request: the loss report (what the clone would destroy, the declared work counted as carried), the
 * `requireNoLoss` refusal, then parking the carried update sets on the holding instance. The report and the refusal
 * come from CloneRun's own engine (provider/clone/in-flight.ts), so the CLI and the stack say the same thing.
 */
async function guardWorkInFlight(
    plan: InFlightPlan,
    source: ServiceNowClient,
    target: string,
    say: (line: string) => void,
): Promise<Pick<CloneResult, "lossReport" | "parkedUpdateSets">> {
    // The fence refuses a request into this target here, before anything is parked.
    await source.assertWritable(REQUEST_TABLE);
    const inputs: InFlightInputs = {
        mode: "request",
        // The library's request leaves the preserve option at the platform's default (none).
        preserveInProgressUpdateSetsDays: 0,
        pollSeconds: plan.pollSeconds,
        timeoutMinutes: plan.timeoutMinutes,
        requireNoLoss: plan.requireNoLoss,
        parkUpdateSets: plan.parkUpdateSets,
        // Captured plugins reach PluginState only through a CloneRun in request mode; nothing captures them here.
        capturePlugins: false,
        carriedPlugins: plan.carriedPlugins,
    };
    const settings = settingsOf(plan.settings);
    let assessed: LossAssessment;
    try {
        assessed = await assessLoss(inputs, settings);
    } catch (error) {
        if (error instanceof UnsafeTargetError) throw error;
        const why = `could not read what the clone would destroy on ${target}: ${(error as Error).message}`;
        if (plan.requireNoLoss) {
            throw new CloneWouldLoseWorkError(
                `requireNoLoss needs to read the target and the source first, and ${why}; no clone was requested`,
            );
        }
        say(why);
        assessed = { lines: [why] };
    }
    const lossReport =
        assessed.lines.length > 0
            ? assessed.lines
            : [`a clone into ${target} destroys no work in flight (no in-progress update sets, apps or plugins)`];
    for (const line of lossReport) say(line);
    if (plan.requireNoLoss && assessed.failure) {
        throw new CloneWouldLoseWorkError(
            `${assessed.failure} (requireNoLoss: environment:clone.requireNoLoss or --require-no-loss); ` +
                "nothing was written and no clone was requested",
        );
    }
    const parked = await beforeRequest(inputs, say, settings);
    return { lossReport, parkedUpdateSets: parked.parkedUpdateSets.map((p) => p.name) };
}

/**
 * Each connection's settings from the stack's `servicenow:*` map, passed in code rather than through the process-wide
 * configuration, so environments cloned side by side in one process never read each other's settings.
 */
function settingsOf(settings: ReadonlyMap<string, string>): SettingsOf {
    return (name) => {
        const get = (setting: Parameters<typeof settingKeys>[1]) => settings.get(settingKeys(name, setting).config);
        const insecure = settings.get("servicenow:allowInsecureHttp");
        return {
            instanceUrl: get("instanceUrl"),
            username: get("username"),
            password: get("password"),
            clientId: get("clientId"),
            clientSecret: get("clientSecret"),
            instanceName: get("instanceName"),
            productionInstances: settings.get("servicenow:productionInstances"),
            ...(insecure !== undefined
                ? { allowInsecureHttp: ["true", "1", "yes"].includes(insecure.toLowerCase()) }
                : {}),
        };
    };
}
