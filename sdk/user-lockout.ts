/**
 * The SDK face of UserLockout: typed arguments and outputs over the shimmed `user-lockout` provider.
 */
import * as pulumi from "@pulumi/pulumi";
import { shimProvider } from "../provider/pulumi/shim";
import { stackOwner } from "./stack-owner";

/** Arguments of a {@link UserLockout}. */
export interface UserLockoutArgs {
    /** The named connection to write through. @default "target" */
    connection?: pulumi.Input<"target" | "source">;
    /** Encoded query selecting the users the policy covers; must not filter on locked_out. @default "active=true" */
    scope?: pulumi.Input<string>;
    /** Users holding any of these roles (directly or through a group) stay unlocked. @default ["admin"] */
    allowRoles?: pulumi.Input<pulumi.Input<string>[]>;
    /** Members of these groups (by name) stay unlocked. @default [] */
    allowGroups?: pulumi.Input<pulumi.Input<string>[]>;
    /** These users (by user_name) stay unlocked. @default [] */
    allowUsers?: pulumi.Input<pulumi.Input<string>[]>;
    /** Users matching this encoded query stay unlocked. @default "" */
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
 * Locks out every user in scope except the allowed ones; destroy unlocks exactly those it locked.
 *
 * Allowed: users with an allowed role (granted directly or through a group), members of an allowed group, named
 * users, users matching `allowQuery`, and always the connection's own user. A user locked out before the policy is
 * never unlocked by it. State stays small: counts and a compact range record, never one entry per user.
 *
 * @example
 * new UserLockout("uat-access", { allowRoles: ["admin"], allowGroups: ["UAT Participants"], allowUsers: ["mid.server"] });
 */
export class UserLockout extends pulumi.dynamic.Resource {
    /** Users this resource locked out that are locked out now. */
    declare readonly lockedCount: pulumi.Output<number>;
    /** Users in scope left unlocked because an allow-list names them. */
    declare readonly allowedCount: pulumi.Output<number>;
    /** Users the policy covers that are not locked out (0 when converged; drift otherwise). */
    declare readonly unlockedCount: pulumi.Output<number>;
    /** Users this resource locked that the policy no longer covers and that are still locked out. */
    declare readonly pendingUnlockCount: pulumi.Output<number>;
    /** The user names of up to five users the last read found unlocked against the policy (empty when converged). */
    declare readonly unlockedUsers: pulumi.Output<string[]>;

    constructor(name: string, args: UserLockoutArgs = {}, opts?: pulumi.CustomResourceOptions) {
        super(
            shimProvider("user-lockout"),
            name,
            {
                lockedCount: undefined,
                allowedCount: undefined,
                unlockedCount: undefined,
                pendingUnlockCount: undefined,
                unlockedUsers: undefined,
                ...args,
                owner: stackOwner(),
            },
            opts,
            "servicenow",
            "UserLockout",
        );
    }
}
