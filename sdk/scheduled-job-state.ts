/**
 * The SDK face of ScheduledJobState: typed arguments and outputs over the shimmed `scheduled-job-state` provider.
 */
import * as pulumi from "@pulumi/pulumi";
import { shimProvider } from "../provider/pulumi/shim";
import { stackOwner } from "./stack-owner";

/** Arguments of a {@link ScheduledJobState}. */
export interface ScheduledJobStateArgs {
    /** The named connection to write through. @default "target" */
    connection?: pulumi.Input<"target" | "source">;
    /** Encoded query over sysauto selecting the jobs the policy covers; must not filter on active. @default "" (all jobs) */
    scope?: pulumi.Input<string>;
    /** Jobs with these names stay as they are. @default [] */
    allowNames?: pulumi.Input<pulumi.Input<string>[]>;
    /** Jobs with these sys_ids stay as they are. @default [] */
    allowSysIds?: pulumi.Input<pulumi.Input<string>[]>;
    /** Jobs matching this encoded query stay as they are. @default "" */
    allowQuery?: pulumi.Input<string>;
    /**
     * The completion of the clone this policy follows (usually `cloneRun.epoch`): when it changes, the next `up`
     * re-asserts the policy even if nothing else changed. @default none
     */
    cloneEpoch?: pulumi.Input<string>;
    /**
     * Proceed although another stack's policy of the same kind already manages some of the records `scope` selects
     * (preview names that stack otherwise). Destroying either then undoes records the other still wants; the other's
     * next preview shows them as drift. @default false
     */
    allowOverlap?: pulumi.Input<boolean>;
}

/**
 * Deactivates every active scheduled job in scope (sysauto and all its extensions) except an allow-list; destroy
 * reactivates exactly the jobs it deactivated, and a job the allow-list names is never touched.
 *
 * @example
 * new ScheduledJobState("qa-jobs", { allowNames: ["Clean up expired sessions"], allowQuery: "nameSTARTSWITHSLA" });
 */
export class ScheduledJobState extends pulumi.dynamic.Resource {
    /** Jobs this resource deactivated that are inactive now. */
    declare readonly deactivatedCount: pulumi.Output<number>;
    /** Jobs in scope left as they are because the allow-list names them. */
    declare readonly allowedCount: pulumi.Output<number>;
    /** Jobs the policy covers that are active (0 when converged; drift otherwise). */
    declare readonly activeCount: pulumi.Output<number>;
    /** Jobs this resource deactivated that the policy no longer covers and that are still inactive. */
    declare readonly pendingReactivationCount: pulumi.Output<number>;
    /** The names of up to five jobs the last read found active against the policy (empty when converged). */
    declare readonly activeJobs: pulumi.Output<string[]>;

    constructor(name: string, args: ScheduledJobStateArgs = {}, opts?: pulumi.CustomResourceOptions) {
        super(
            shimProvider("scheduled-job-state"),
            name,
            {
                deactivatedCount: undefined,
                allowedCount: undefined,
                activeCount: undefined,
                pendingReactivationCount: undefined,
                activeJobs: undefined,
                ...args,
                owner: stackOwner(),
            },
            opts,
            "servicenow",
            "ScheduledJobState",
        );
    }
}
