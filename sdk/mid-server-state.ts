/**
 * The SDK face of MidServerState: typed arguments and outputs over the shimmed `mid-server-state` provider.
 */
import * as pulumi from "@pulumi/pulumi";
import { shimProvider } from "../provider/pulumi/shim";

/** Arguments of a {@link MidServerState}. */
export interface MidServerStateArgs {
    /** The named connection to write through. @default "target" */
    connection?: pulumi.Input<"target" | "source">;
    /** MID servers (ecc_agent.name) covered. @default every MID server */
    midServers?: pulumi.Input<pulumi.Input<string>[]>;
    /** User names the MID servers log in as. @default the user_name of each covered MID server */
    users?: pulumi.Input<pulumi.Input<string>[]>;
    /** The role those users need. @default "mid_server" */
    role?: pulumi.Input<string>;
    /** Mark ECC output waiting for the covered MID servers processed, so stale production work never runs. @default true */
    clearEccQueue?: pulumi.Input<boolean>;
    /** Resolve the MID issues the clone raised. @default false */
    resolveCloneIssues?: pulumi.Input<boolean>;
    /**
     * The completion of the clone this policy follows (usually `cloneRun.epoch`): when it changes, the next `up`
     * re-asserts the policy even if nothing else changed. @default none
     */
    cloneEpoch?: pulumi.Input<string>;
}

/**
 * Gets MID servers working after a clone: their users exist, are active, unlocked and hold the MID role; ECC output
 * queued for them is cleared; servers that are Down and issues the clone raised are reported. Destroy deletes users
 * and role grants it created and puts back the values it changed.
 *
 * @example
 * const mid = new MidServerState("qa-mid", { resolveCloneIssues: true });
 * export const down = mid.downMidServers;
 */
export class MidServerState extends pulumi.dynamic.Resource {
    /** User names ensured. */
    declare readonly ensuredUsers: pulumi.Output<string[]>;
    /** Users created by this resource (set their password to the MID's config.xml one). */
    declare readonly createdUsers: pulumi.Output<string[]>;
    /** MID servers whose status is Down. */
    declare readonly downMidServers: pulumi.Output<string[]>;
    /** Unresolved MID issues raised by the clone. */
    declare readonly cloneIssues: pulumi.Output<string[]>;
    /** ECC output entries still waiting. */
    declare readonly pendingEccOutput: pulumi.Output<number>;

    constructor(name: string, args: MidServerStateArgs = {}, opts?: pulumi.CustomResourceOptions) {
        super(
            shimProvider("mid-server-state"),
            name,
            {
                ensuredUsers: undefined,
                createdUsers: undefined,
                downMidServers: undefined,
                cloneIssues: undefined,
                pendingEccOutput: undefined,
                ...args,
            },
            opts,
            "servicenow",
            "MidServerState",
        );
    }
}
