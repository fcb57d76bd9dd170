/**
 * ChangeClosure: closes a governed clone's change request once the environment has converged.
 */
import * as pulumi from "@pulumi/pulumi";
import { shimProvider } from "../provider/pulumi/shim";

/** Arguments of a {@link ChangeClosure}. */
export interface ChangeClosureArgs {
    /** sys_id of the change request (a governed CloneRun's `change.sysId`). */
    changeSysId: pulumi.Input<string>;
    /** Its number, for messages. @default "" */
    changeNumber?: pulumi.Input<string>;
    /** Which connection holds the change records. @default "source" */
    changeConnection?: pulumi.Input<"source" | "target">;
    /** The clone request's sys_id. */
    cloneId: pulumi.Input<string>;
    /** The target's name, for the notes. */
    target: pulumi.Input<string>;
    /** Seconds the clone ran. @default 0 */
    durationSeconds?: pulumi.Input<number>;
    /** What converging the environment changed after the clone, one line per item. @default [] */
    drift?: pulumi.Input<pulumi.Input<string>[]>;
    /** The verification summary, when post-clone checks run. @default none */
    verification?: pulumi.Input<string>;
}

/**
 * Closes a governed clone's change (Implement → Review → Closed, successful) with the clone id, duration, drift and
 * verification summary as close notes. Declare it depending on every post-clone resource, so it runs after they
 * converged; destroy leaves the closed change as it is (an audit record).
 *
 * @example
 * new ChangeClosure("close-change", { changeSysId: clone.change.apply((c) => c!.sysId), cloneId: clone.cloneId,
 *     target: "acme-dev", drift: [lockout.lockedCount.apply((n) => `${n} users locked out`)] }, { dependsOn: [lockout] });
 */
export class ChangeClosure extends pulumi.dynamic.Resource {
    /** The change's state (Closed after an apply). */
    declare readonly state: pulumi.Output<string>;
    /** The notes the change was closed with. */
    declare readonly closeNotes: pulumi.Output<string>;

    constructor(name: string, args: ChangeClosureArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            shimProvider("change-closure"),
            name,
            { state: undefined, closeNotes: undefined, ...args },
            opts,
            "servicenow",
            "ChangeClosure",
        );
    }
}
