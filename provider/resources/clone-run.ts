/**
 * CloneRun: requests a clone (or attaches to the latest one) and exposes the target's clone epoch. It stays its own
 * provider, apart from the settings skeleton: it adopts and restores nothing, its create is a long-running operation
 * that is cancelled (not undone) on failure, and its diff follows the instance's clone history.
 */
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { type Row, sameJson } from "../adopt";
import { GovernanceInputs } from "../clone/governance";
import { type GovernedChange, governancePreview, requestGoverned } from "../clone/governed-run";
import {
    beforeRequest,
    checkLoss,
    IN_FLIGHT_KEYS,
    InFlightCloneInputs,
    type InFlightCloneOutputs,
    keptInFlightOutputs,
} from "../clone/in-flight";
import {
    type CloneClient,
    CloneStates,
    cancelClone,
    epochOf,
    findProfile,
    findTargetRegistration,
    formatDuration,
    type HistorySource,
    isoTime,
    latestCompleted,
    REQUEST_FIELDS,
    REQUEST_TABLE,
    RUNNING_STATES,
    runningClone,
    secondsBetween,
    sleep,
    waitForClone,
} from "../clone/run";
import { clientFor, configureFromStack, connectionOptions, connectionProblem, connectionsReady } from "../connection";
import { CloneFailedError, CloneTimeoutError, ConnectionConfigError, InputError, UnsafeTargetError } from "../errors";
import { assertCloneTarget } from "../fence";
import { containsUnknown, fromStack, schemaDefaults, toCheckResult } from "../pulumi/check";

/** Inputs of {@link cloneRunProvider}. */
export const CloneRunInputs = z
    .object({
        mode: z
            .enum(["request", "attach"], {
                error: 'mode must be "request" (ask for a new clone) or "attach" (use the latest clone into the target)',
            })
            .default("request"),
        targetInstance: z
            .string({
                error: "targetInstance must be the target's instance_name as registered on the source, e.g. acme-dev",
            })
            .trim()
            .min(1, { error: "targetInstance must not be empty" })
            .refine((v) => !v.includes("^"), { error: "targetInstance must not contain '^'" })
            .optional(),
        profile: z
            .string()
            .trim()
            .min(1, { error: "profile must be a clone profile's name or sys_id; omit it for the default profile" })
            .refine((v) => !v.includes("^"), { error: "profile must not contain '^'" })
            .optional(),
        excludeAuditLogData: z.boolean({ error: "excludeAuditLogData must be true or false" }).default(true),
        excludeAttachments: z.boolean({ error: "excludeAttachments must be true or false" }).default(true),
        preserveTheme: z.boolean({ error: "preserveTheme must be true or false" }).default(true),
        preserveInProgressUpdateSetsDays: z
            .number()
            .int({ error: "preserveInProgressUpdateSetsDays must be a whole number of days (0 for none)" })
            .min(0, { error: "preserveInProgressUpdateSetsDays must be 0 or more" })
            .default(0),
        timeoutMinutes: z
            .number({ error: "timeoutMinutes must be a number of minutes" })
            .positive({ error: "timeoutMinutes must be more than 0; a clone of a real instance takes hours" })
            .default(480),
        pollSeconds: z
            .number({ error: "pollSeconds must be a number of seconds" })
            .positive({ error: "pollSeconds must be more than 0" })
            .default(30),
        rollbackOnDestroy: z.boolean({ error: "rollbackOnDestroy must be true or false" }).default(false),
        ...InFlightCloneInputs,
        historyFrom: z
            .enum(["source", "target"], {
                error: 'historyFrom must be "source" (the source\'s clone requests) or "target" (the target\'s copies)',
            })
            .optional(),
        /** Change control around a requested clone (docs/change-control.md). */
        governance: GovernanceInputs.optional(),
    })
    .superRefine((v, ctx) => {
        if (v.mode === "request" && v.historyFrom === "target") {
            ctx.addIssue({
                code: "custom",
                path: ["historyFrom"],
                message:
                    'a requested clone is followed on the source; historyFrom "target" applies to mode "attach" only',
            });
        }
        if (v.mode === "attach" && v.profile !== undefined) {
            ctx.addIssue({
                code: "custom",
                path: ["profile"],
                message: 'profile applies to mode "request" only; attaching uses whatever clone was made, so remove it',
            });
        }
        if (v.rollbackOnDestroy && v.historyFrom === "target") {
            ctx.addIssue({
                code: "custom",
                path: ["rollbackOnDestroy"],
                message:
                    'a rollback is requested on the source; set historyFrom to "source" or turn rollbackOnDestroy off',
            });
        }
    });
/** Normalized inputs (targetInstance and historyFrom are always set after check). */
export type CloneRunInputs = z.infer<typeof CloneRunInputs>;

/** Outputs: the inputs, the clone this resource requested or attached to, and the target's clone epoch. */
export interface CloneRunOutputs extends CloneRunInputs, InFlightCloneOutputs {
    /** sys_id of the clone request. */
    cloneId: string;
    /** Its state when last seen (Completed after a successful create). */
    state: string;
    /** When it was requested, ISO 8601. */
    requestedAt: string;
    /** When it started (preflight checks), ISO 8601, "" if unknown. */
    startedAt: string;
    /** When it completed, ISO 8601. */
    completedAt: string;
    /** Seconds from start (or request) to completion. */
    durationSeconds: number;
    /** Until when the platform allows rolling it back, ISO 8601, "" if unknown. */
    rollbackDeadline: string;
    /** `<clone sys_id>@<completed>` of the latest clone into the target; pass it to post-clone resources as `cloneEpoch`. */
    epoch: string;
    /** "" after an apply; says when and by which clone the target was cloned again, when a refresh saw a newer one. */
    reclonedSinceApply: string;
    /** The target's own instance_name as it reports it now (through the target connection); "" when not configured. */
    targetInstanceName: string;
    /** The change request of a governed clone, and the clone's scheduled start. */
    change?: GovernedChange;
}

/** Changing any of these means a different clone: a replacement requests (or attaches to) a new one. */
const REPLACE_KEYS = [
    "mode",
    "targetInstance",
    "profile",
    "excludeAuditLogData",
    "excludeAttachments",
    "preserveTheme",
    "preserveInProgressUpdateSetsDays",
    "historyFrom",
] as const;
const INPUT_KEYS = [...REPLACE_KEYS, "timeoutMinutes", "pollSeconds", "rollbackOnDestroy", ...IN_FLIGHT_KEYS] as const;
/** The schema's defaults, applied before check even when another input is still unknown. */
const DEFAULTS = schemaDefaults(CloneRunInputs);
/**
 * The epoch of the latest completed clone into the target, looked up at check (diff does no network I/O) and passed
 * to diff among the checked inputs; a re-clone since the last apply shows as a change of this key.
 */
const LATEST_EPOCH = "latestEpoch";

/** The completion time in an epoch (`<sys_id>@<ISO time>`), which orders epochs. */
function epochTime(epoch: string): string {
    return epoch.slice(epoch.indexOf("@") + 1);
}

/** The inputs without what check observed on the instance (never part of the outputs). */
function ownInputs(inputs: CloneRunInputs): CloneRunInputs {
    const { [LATEST_EPOCH]: _observed, ...rest } = inputs as CloneRunInputs & { [LATEST_EPOCH]?: string };
    return rest as CloneRunInputs;
}

/** Progress goes to the provider's stdout, which Pulumi shows while `up` runs. */
function report(line: string): void {
    console.log(`CloneRun: ${line}`);
}

/** The target's name when the stack declares a target connection. */
function configuredTargetName(): string | undefined {
    try {
        const connection: typeof import("../connection") = require("../connection");
        return connection.connectionOptions("target").instanceName;
    } catch {
        return undefined;
    }
}

/**
 * The production fence at preview, for a clone request: the target must be registered on the source, must be the
 * stack's declared target and must not be a declared production instance (the client refuses the same when sending).
 *
 * @returns the failure to report on targetInstance, or undefined when the request may go ahead (or the source
 *   connection is not configured yet, which create reports).
 */
async function cloneTargetRefusal(target: string): Promise<{ property: string; reason: string } | undefined> {
    let source: CloneClient;
    let settings: ReturnType<typeof connectionOptions>;
    try {
        settings = connectionOptions("source");
        source = await clientFor("source");
    } catch (e) {
        if (e instanceof ConnectionConfigError) return undefined;
        if (e instanceof UnsafeTargetError) return { property: "connection", reason: e.message };
        throw e;
    }
    try {
        const registration = await findTargetRegistration(source, target);
        assertCloneTarget(
            {
                connection: "source",
                url: settings.url,
                declaredName: settings.instanceName,
                productionInstances: settings.productionInstances ?? [],
                cloneTarget: settings.cloneTarget,
            },
            { name: registration.instance_name ?? target, url: registration.instance_url ?? "" },
        );
        return undefined;
    } catch (e) {
        if (e instanceof InputError || e instanceof UnsafeTargetError) {
            return { property: "targetInstance", reason: `${e.message} (received ${JSON.stringify(target)})` };
        }
        throw e;
    }
}

/**
 * The profile a clone request names must exist on the source, looked up at preview; a profile this program creates
 * (marked FROM_STACK by the SDK) is looked up when the clone is requested.
 *
 * @returns the failure to report on profile, or undefined when it exists, is not given or is not known yet.
 */
async function profileRefusal(
    inputs: CloneRunInputs,
    news: Record<string, unknown>,
): Promise<{ property: string; reason: string } | undefined> {
    if (!inputs.profile || fromStack(news).has("profile")) return undefined;
    try {
        await findProfile(await clientFor("source"), inputs.profile);
        return undefined;
    } catch (e) {
        if (e instanceof InputError) return { property: "profile", reason: e.message };
        if (e instanceof ConnectionConfigError) return undefined;
        throw e;
    }
}

/** Where this resource reads the target's clone history. */
async function historyOf(inputs: CloneRunInputs): Promise<HistorySource> {
    if (inputs.historyFrom === "target") {
        return { kind: "target", client: await clientFor("target"), targetName: inputs.targetInstance! };
    }
    const client = await clientFor("source");
    const registration = await findTargetRegistration(client, inputs.targetInstance!);
    return { kind: "source", client, targetRef: registration.sys_id ?? "" };
}

/** The target's live instance_name through the target connection, "" when there is none. */
async function targetIdentity(): Promise<string> {
    try {
        return await (await clientFor("target")).liveInstanceName();
    } catch {
        return "";
    }
}

/** Outputs describing one clone row. */
function describe(
    row: Readonly<Row>,
): Pick<
    CloneRunOutputs,
    "cloneId" | "state" | "requestedAt" | "startedAt" | "completedAt" | "durationSeconds" | "rollbackDeadline"
> {
    return {
        cloneId: row.sys_id ?? "",
        state: row.state ?? "",
        requestedAt: isoTime(row.sys_created_on),
        startedAt: isoTime(row.started),
        completedAt: isoTime(row.completed),
        durationSeconds: secondsBetween(row.started || row.sys_created_on, row.completed),
        rollbackDeadline: isoTime(row.rollback_deadline),
    };
}

/** The message a refresh leaves when the target was cloned again. */
function reclonedMessage(target: string, latest: Readonly<Row>): string {
    return (
        `instance ${target} was cloned again at ${isoTime(latest.completed)} (clone ${latest.sys_id}, ${latest.state}) ` +
        "since the last apply: resources that take this CloneRun's epoch as cloneEpoch re-assert their policy on the next up"
    );
}

/** Requests a clone and waits for it; cancels it when it fails to finish in time, so nothing half-requested is left. */
async function requestClone(inputs: CloneRunInputs): Promise<{ row: Row; change?: GovernedChange }> {
    const target = inputs.targetInstance!;
    const source = await clientFor("source");
    const registration = await findTargetRegistration(source, target);
    const profile = inputs.profile ? await findProfile(source, inputs.profile) : undefined;
    const fields = {
        state: CloneStates.Requested,
        target_instance: registration.sys_id ?? "",
        ...(profile ? { profile } : {}),
        exclude_audit_log_data: String(inputs.excludeAuditLogData),
        exclude_attachments: String(inputs.excludeAttachments),
        preserve_theme: String(inputs.preserveTheme),
        preserve_in_progress_update_sets_days: String(inputs.preserveInProgressUpdateSetsDays),
    };
    const wait = (id: string) => waitOrCancel(source, id, inputs, true);
    const targetRef = registration.sys_id ?? "";
    if (inputs.governance)
        return requestGoverned(inputs.governance, { source, target, targetRef, fields, wait, report });
    const request = await source.insert(REQUEST_TABLE, fields);
    const id = request.sys_id ?? "";
    report(`requested clone ${id} into ${target} on ${source.url}`);
    return { row: await wait(id) };
}

async function waitOrCancel(source: CloneClient, id: string, inputs: CloneRunInputs, ours: boolean): Promise<Row> {
    const target = inputs.targetInstance!;
    const pollMs = inputs.pollSeconds * 1000;
    try {
        return await waitForClone(source, id, {
            timeoutMs: inputs.timeoutMinutes * 60_000,
            pollMs,
            target,
            progress: report,
        });
    } catch (error) {
        // A clone that ended by itself needs nothing; one we requested that may still run must not be left behind.
        if (!ours || error instanceof CloneFailedError) throw error;
        // Timed out, or lost the instance while waiting: a request left behind would clone later, unobserved.
        let settled: string;
        try {
            settled = await cancelClone(source, id, pollMs);
        } catch (cancelError) {
            throw new CloneFailedError(
                `${(error as Error).message}; cancelling clone ${id} also failed (${(cancelError as Error).message}): ` +
                    `cancel it in the Clone Admin Console on ${source.url}`,
                "cancel failed",
            );
        }
        const outcome =
            settled === CloneStates.Canceled
                ? "it was canceled and the target was not changed"
                : `it could not be canceled (state ${settled}; the platform allows cancel only before Node repoint) ` +
                  `and goes on: once it completes, use mode "attach", or raise timeoutMinutes`;
        report(`clone ${id}: ${outcome}`);
        throw new CloneFailedError(`${(error as Error).message}; ${outcome}`, settled);
    }
}

/** Attaches to the latest clone into the target: waits for one still running (never cancels it: not ours). */
async function attachClone(inputs: CloneRunInputs): Promise<Row> {
    const history = await historyOf(inputs);
    if (history.kind === "source") {
        const running = await runningClone(history.client, history.targetRef);
        if (running?.sys_id) {
            report(`attaching to clone ${running.sys_id} into ${inputs.targetInstance}, still running`);
            return waitOrCancel(history.client, running.sys_id, inputs, false);
        }
    }
    const latest = await latestCompleted(history);
    if (!latest) {
        const fix = 'request one with mode "request" (or in the Clone Admin Console) first';
        throw new InputError(
            `no completed clone into ${inputs.targetInstance} found in ${REQUEST_TABLE} on ${history.client.url}; ${fix}`,
            { property: "mode", value: inputs.mode, fix },
        );
    }
    report(`attached to clone ${latest.sys_id} into ${inputs.targetInstance}, completed ${isoTime(latest.completed)}`);
    return latest;
}

/** Outputs after the resource's clone is known. */
async function outputsFor(
    inputs: CloneRunInputs,
    clone: Readonly<Row>,
): Promise<Omit<CloneRunOutputs, keyof InFlightCloneOutputs>> {
    let epoch = epochOf(clone);
    try {
        // A newer clone may already have replaced the target's data (attach mode finds the latest anyway).
        const latest = await latestCompleted(await historyOf(inputs));
        if (latest) epoch = epochOf(latest);
    } catch {
        // The clone itself is the best knowledge of the epoch when the history cannot be read.
    }
    return {
        ...inputs,
        ...describe(clone),
        epoch,
        reclonedSinceApply: "",
        targetInstanceName: await targetIdentity(),
    };
}

/** Rolls back the resource's clone if it is still the latest into the target and within the platform's window. */
async function rollback(props: CloneRunOutputs): Promise<void> {
    const source = await clientFor("source");
    const history = await historyOf(props);
    const latest = await latestCompleted(history);
    if (!latest || latest.sys_id !== props.cloneId || latest.state !== CloneStates.Completed) {
        report(
            `no rollback: clone ${props.cloneId} is no longer the latest completed clone into ${props.targetInstance}` +
                (latest ? ` (that is ${latest.sys_id}, ${latest.state})` : ""),
        );
        return;
    }
    const deadline = Date.parse(isoTime(latest.rollback_deadline));
    if (Number.isFinite(deadline) && Date.now() > deadline) {
        report(
            `no rollback: the platform's window for clone ${props.cloneId} closed at ${isoTime(latest.rollback_deadline)}`,
        );
        return;
    }
    await source.update(REQUEST_TABLE, props.cloneId, { state: CloneStates.RollbackRequested });
    report(`rollback of clone ${props.cloneId} requested`);
    const end = Date.now() + props.timeoutMinutes * 60_000;
    let last = "";
    for (;;) {
        const row = (await source.getRecord(REQUEST_TABLE, props.cloneId, [...REQUEST_FIELDS])) as Row;
        if (row.state !== last) report(`clone ${props.cloneId}: ${row.state}`);
        last = row.state ?? "";
        if (row.state === CloneStates.RolledBack) return;
        if (row.state === CloneStates.RollbackFailure) {
            throw new CloneFailedError(
                `rollback of clone ${props.cloneId} into ${props.targetInstance} failed: ${row.error_message || "no message"}; ` +
                    "set rollbackOnDestroy to false to destroy without rolling back",
                row.state ?? "",
            );
        }
        if (Date.now() >= end) {
            throw new CloneTimeoutError(
                `rollback of clone ${props.cloneId} did not finish within ${formatDuration(props.timeoutMinutes * 60_000)} (state ${row.state})`,
            );
        }
        await sleep(props.pollSeconds * 1000);
    }
}

/** The resource's own clone row, re-read (from the source when known there, else from the history). */
async function reread(props: CloneRunOutputs, history: HistorySource): Promise<Row | undefined> {
    const rows = await history.client.query(REQUEST_TABLE, {
        query: `sys_id=${props.cloneId}`,
        fields: [...REQUEST_FIELDS],
        limit: 1,
    });
    return rows[0];
}

/**
 * Dynamic provider for `CloneRun`: requests a clone of the source into the target (or attaches to the latest one),
 * waits through its states with progress, and exposes the target's clone epoch.
 */
export const cloneRunProvider: pulumi.dynamic.ResourceProvider<CloneRunInputs, CloneRunOutputs> = {
    async configure(req) {
        await configureFromStack(req);
    },
    async check(olds, news) {
        // Defaults first, so that an input still unknown at preview does not hide them (and fake a replacement).
        const given = Object.fromEntries(Object.entries(news).filter(([, v]) => v !== undefined));
        const result = toCheckResult(CloneRunInputs, { ...DEFAULTS, ...given });
        if (!result.inputs || result.failures?.length) return result;
        const inputs = { ...result.inputs } as CloneRunInputs;
        // Defaults that depend on the stack: the target is the stack's own target instance. The settings are read from
        // the stack config asynchronously (provider/stack-config.ts): wait for them, or the default is missed.
        await connectionsReady().catch(() => undefined);
        inputs.targetInstance ??= configuredTargetName();
        if (!inputs.targetInstance) {
            return {
                failures: [
                    {
                        property: "targetInstance",
                        reason:
                            "targetInstance is not set and the stack declares no target instance name; set targetInstance " +
                            "(the target's instance_name as registered on the source) or `pulumi config set servicenow:instanceName`",
                    },
                ],
            };
        }
        if (inputs.historyFrom === undefined && typeof inputs.rollbackOnDestroy === "boolean") {
            inputs.historyFrom = inputs.mode === "attach" && !inputs.rollbackOnDestroy ? "target" : "source";
        }
        if (containsUnknown(inputs)) return { inputs };
        for (const name of inputs.mode === "request" || inputs.historyFrom === "source"
            ? (["target", "source"] as const)
            : (["target"] as const)) {
            const problem = connectionProblem(name);
            if (problem) return { failures: [{ property: "connection", reason: problem }] };
        }
        if (inputs.mode === "request") {
            const refusal = (await cloneTargetRefusal(inputs.targetInstance)) ?? (await profileRefusal(inputs, news));
            if (refusal) return { failures: [refusal] };
        }
        // A new governed clone must keep the platform's gap to the clones already asked for: refused here, 0 writes.
        const creating = !olds?.mode || REPLACE_KEYS.some((k) => !sameJson(olds[k], inputs[k]));
        const refused = inputs.governance && inputs.mode === "request" && creating;
        const failure = refused ? await governancePreview(inputs.governance!, inputs.targetInstance) : undefined;
        if (failure) return { failures: [failure] };
        // A clone about to be requested: say what it would destroy (requireNoLoss refuses), before anything is written.
        if (creating) {
            const failures = await checkLoss(inputs);
            if (failures.length > 0) return { failures };
        }
        try {
            // Without --refresh the stored epoch is all the engine knows: ask the instance whether it was re-cloned.
            const latest = await latestCompleted(await historyOf(inputs));
            if (latest) return { inputs: { ...inputs, [LATEST_EPOCH]: epochOf(latest) } as CloneRunInputs };
        } catch {
            // An unreachable instance must not fail a preview of everything else; refresh reports it.
        }
        return { inputs };
    },
    async diff(_id, olds, news) {
        const o = olds as unknown as Record<string, unknown>;
        const n = news as unknown as Record<string, unknown>;
        const replaces = REPLACE_KEYS.filter((k) => !sameJson(o[k], n[k]));
        let changes = replaces.length > 0 || INPUT_KEYS.some((k) => !sameJson(o[k], n[k]));
        if (olds.reclonedSinceApply) changes = true;
        else if (!changes && olds.epoch && typeof n[LATEST_EPOCH] === "string") {
            // Re-cloned since the last apply: the latest completion check saw is later than the recorded one.
            changes = epochTime(n[LATEST_EPOCH]) > epochTime(olds.epoch);
        }
        return { changes, replaces: [...replaces] };
    },
    async create(checked) {
        const inputs = ownInputs(checked);
        const inFlight = inputs.mode === "request" ? await beforeRequest(inputs) : keptInFlightOutputs({});
        const { row: clone, change } =
            inputs.mode === "attach"
                ? { row: await attachClone(inputs), change: undefined }
                : await requestClone(inputs);
        report(`clone ${clone.sys_id} into ${inputs.targetInstance} ${clone.state} at ${isoTime(clone.completed)}`);
        const outs = { ...(await outputsFor(inputs, clone)), ...(change ? { change } : {}), ...inFlight };
        return { id: outs.cloneId, outs };
    },
    async read(id, props) {
        const stored = props as CloneRunOutputs;
        const history = await historyOf(stored);
        const own = await reread(stored, history);
        const latest = await latestCompleted(history);
        const next: CloneRunOutputs = { ...stored, ...(own ? describe(own) : {}) };
        if (latest && epochOf(latest) !== stored.epoch) {
            next.epoch = epochOf(latest);
            next.reclonedSinceApply = reclonedMessage(stored.targetInstance!, latest);
        }
        const inputs = Object.fromEntries(INPUT_KEYS.filter((k) => k in stored).map((k) => [k, stored[k]]));
        return { id, props: next, inputs: inputs as unknown as CloneRunOutputs };
    },
    async update(_id, olds, checked) {
        const news = ownInputs(checked);
        // Only timeout, polling, rollbackOnDestroy or a newer clone got here: no new clone is requested.
        const history = await historyOf(news);
        let clone: Row | undefined;
        if (news.mode === "attach") clone = await latestCompleted(history);
        clone ??= await reread(olds, history);
        if (!clone) return { outs: { ...olds, ...news, reclonedSinceApply: "" } };
        return {
            outs: {
                ...(await outputsFor(news, clone)),
                ...(olds.change ? { change: olds.change } : {}),
                ...keptInFlightOutputs(olds),
            },
        };
    },
    async delete(_id, props) {
        if (!props.rollbackOnDestroy) return;
        if (RUNNING_STATES.includes(props.state)) return;
        await rollback(props);
    },
};
