/**
 * The typed face of `InFlightWork`: update sets parked on the holding instance, carried back after the clone.
 */
import * as pulumi from "@pulumi/pulumi";
import { shimProvider } from "../provider/pulumi/shim";

/** Arguments of an {@link InFlightWork}. */
export interface InFlightWorkArgs {
    /** Update set names, complete on the holding instance, committed on the target in this order. */
    updateSets: pulumi.Input<pulumi.Input<string>[]>;
    /** Which configured instance receives them. @default "target" */
    connection?: pulumi.Input<"target" | "source">;
    /** Mark the target's empty in-progress sets (not Default) ignored; destroy puts them back. @default false */
    ignoreEmptySets?: pulumi.Input<boolean>;
    /** On destroy, back the carried sets out (reverse order) through `update_set/back_out`. @default false */
    backOutOnDestroy?: pulumi.Input<boolean>;
    /** Give up on one CI/CD operation after this long. @default 60 */
    timeoutMinutes?: pulumi.Input<number>;
    /** Longest wait between progress polls. @default 5 */
    pollSeconds?: pulumi.Input<number>;
    /** The clone epoch (a CloneRun's `epoch`): a new clone carries the sets again. */
    cloneEpoch?: pulumi.Input<string>;
}

/**
 * Work in flight carried across a clone: the declared update sets are retrieved from the holding instance, previewed,
 * and committed in order — or, when a preview finds a problem, nothing is committed and the problem is named.
 * Update-set records are never deleted.
 *
 * @example
 * new InFlightWork("work", { updateSets: ["ACME-101", "Fleet Tracker 0.4"], cloneEpoch: clone.epoch }, { dependsOn: [plugins] });
 */
export class InFlightWork extends pulumi.dynamic.Resource {
    /** The carried sets: name, holding sys_id, retrieved and local sys_ids on the target. */
    declare readonly carried: pulumi.Output<
        { name: string; holdingSysId: string; remoteSysId: string; localSysId: string }[]
    >;
    /** Empty sets this resource marked ignored. */
    declare readonly ignoredSets: pulumi.Output<string[]>;
    /** What a refresh found changed: sets no longer committed. */
    declare readonly drift: pulumi.Output<string[]>;

    constructor(name: string, args: InFlightWorkArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            shimProvider("in-flight-work"),
            name,
            { carried: undefined, ignoredSets: undefined, drift: undefined, ...args },
            opts,
            "servicenow",
            "InFlightWork",
        );
    }
}
