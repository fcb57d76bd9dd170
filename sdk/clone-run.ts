/**
 * The SDK face of CloneRun: typed arguments and outputs over the shimmed `clone-run` provider.
 */
import * as pulumi from "@pulumi/pulumi";
import type { GovernanceOptions } from "../provider/clone/governance";
import { shimProvider } from "../provider/pulumi/shim";
import { fromStackInput } from "./stack-references";

/** Arguments of a {@link CloneRun}. */
export interface CloneRunArgs {
    /**
     * `"request"` asks the source for a new clone into the target and waits for it; `"attach"` uses the latest clone
     * into the target (waiting for one still running, never requesting one). @default "request"
     */
    mode?: pulumi.Input<"request" | "attach">;
    /** The target's instance_name as registered in the source's `instance` table (or its URL). @default the stack's `servicenow:instanceName` */
    targetInstance?: pulumi.Input<string>;
    /** Clone profile (name or sys_id, e.g. a CloneProfile's `sysId`); request mode only. @default the source's default profile */
    profile?: pulumi.Input<string>;
    /** Leave audit and log tables empty on the target. @default true */
    excludeAuditLogData?: pulumi.Input<boolean>;
    /** Leave attachment data out (a few tables' attachments are always copied). @default true */
    excludeAttachments?: pulumi.Input<boolean>;
    /** Apply theme preservers. @default true */
    preserveTheme?: pulumi.Input<boolean>;
    /** Keep the target's in-progress global update sets changed in the last N days. @default 0 */
    preserveInProgressUpdateSetsDays?: pulumi.Input<number>;
    /** Fail (cancelling a clone this resource requested, while the platform still allows it) after this long. @default 480 */
    timeoutMinutes?: pulumi.Input<number>;
    /** Time between polls of the clone's state. @default 30 */
    pollSeconds?: pulumi.Input<number>;
    /**
     * On destroy, roll back the clone if it is still the latest into the target and within the platform's window
     * (7 days); past the window, destroy leaves the target as it is. @default false
     */
    rollbackOnDestroy?: pulumi.Input<boolean>;
    /**
     * Where the target's clone history is read: `"source"` (its clone requests; needs the source connection) or
     * `"target"` (the target's own copies; enough for an environment stack with only target credentials).
     * @default "source" for request mode and rollbackOnDestroy, else "target"
     */
    historyFrom?: pulumi.Input<"source" | "target">;
    /**
     * Before requesting a clone, fail `preview` naming each piece of work the clone would destroy on the target
     * (in-progress update sets, uncommitted retrieved sets, apps the source lacks, plugins); work declared through
     * parkUpdateSets / carriedPlugins / capturePlugins counts as carried. @default false
     */
    requireNoLoss?: pulumi.Input<boolean>;
    /** In-progress update sets on the target to park on the holding instance just before the request. @default [] */
    parkUpdateSets?: pulumi.Input<pulumi.Input<string>[]>;
    /** Record the target's active plugins just before the request (output `pluginsBeforeClone`). @default false */
    capturePlugins?: pulumi.Input<boolean>;
    /** Plugins a PluginState activates after the clone (not counted as lost). @default [] */
    carriedPlugins?: pulumi.Input<pulumi.Input<string>[]>;
    /**
     * Change control around a requested clone: a change request (standard from a template, or normal), its approval
     * with a timeout and abort policy, a scheduled start inside a window, the platform's minimum gap between clones,
     * and closure with evidence (docs/change-control.md). Needs `servicenow:allowChangeRequests`. @default none
     */
    governance?: pulumi.Input<GovernanceOptions>;
}

/**
 * A clone of the source instance into the target: requested (or attached to), waited for through its states with
 * progress printed during `up`, and exposed as the target's *clone epoch*. Pass `epoch` as `cloneEpoch` to every
 * post-clone resource: when the target is cloned again, `preview --refresh` says so (`reclonedSinceApply`) and the
 * next `up` re-asserts them. Changing what is cloned (mode, target, profile, options) requests a new clone.
 *
 * @example
 * const clone = new CloneRun("refresh", { profile: qaProfile.sysId, timeoutMinutes: 600 });
 * new EmailPolicy("email", { sending: false, receiving: false, cloneEpoch: clone.epoch });
 */
export class CloneRun extends pulumi.dynamic.Resource {
    /** sys_id of the clone request. */
    declare readonly cloneId: pulumi.Output<string>;
    /** Its state (Completed after a successful apply). */
    declare readonly state: pulumi.Output<string>;
    /** When it was requested (ISO 8601). */
    declare readonly requestedAt: pulumi.Output<string>;
    /** When it started (ISO 8601). */
    declare readonly startedAt: pulumi.Output<string>;
    /** When it completed (ISO 8601). */
    declare readonly completedAt: pulumi.Output<string>;
    /** Seconds from start to completion. */
    declare readonly durationSeconds: pulumi.Output<number>;
    /** Until when the platform allows a rollback (ISO 8601). */
    declare readonly rollbackDeadline: pulumi.Output<string>;
    /** `<clone sys_id>@<completed>` of the latest clone into the target: the clone epoch. */
    declare readonly epoch: pulumi.Output<string>;
    /** Empty after an apply; after a refresh that found a newer clone, says when and which. */
    declare readonly reclonedSinceApply: pulumi.Output<string>;
    /** The instance_name the target reports now (empty without a target connection). */
    declare readonly targetInstanceName: pulumi.Output<string>;
    /** The target's active plugins just before the clone (with capturePlugins): PluginState's `plugins`. */
    declare readonly pluginsBeforeClone: pulumi.Output<string[]>;
    /** The update sets parked on the holding instance before the clone. */
    declare readonly parkedUpdateSets: pulumi.Output<{ name: string; targetSysId: string; holdingSysId: string }[]>;
    /** The change request of a governed clone (sysId, number) and the clone's scheduled start. */
    declare readonly change: pulumi.Output<{ sysId: string; number: string; scheduledStart: string } | undefined>;

    constructor(name: string, args: CloneRunArgs = {}, opts?: pulumi.CustomResourceOptions) {
        super(
            shimProvider("clone-run"),
            name,
            {
                cloneId: undefined,
                state: undefined,
                requestedAt: undefined,
                startedAt: undefined,
                completedAt: undefined,
                durationSeconds: undefined,
                rollbackDeadline: undefined,
                epoch: undefined,
                reclonedSinceApply: undefined,
                targetInstanceName: undefined,
                pluginsBeforeClone: undefined,
                parkedUpdateSets: undefined,
                change: undefined,
                ...args,
                // A profile this program creates is looked up at apply, not at preview.
                ...fromStackInput(args, ["profile"]),
            },
            opts,
            "servicenow",
            "CloneRun",
        );
    }
}
