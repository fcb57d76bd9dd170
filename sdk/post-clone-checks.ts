/**
 * The SDK face of PostCloneChecks: typed arguments and outputs over the shimmed `post-clone-checks` provider.
 */
import * as pulumi from "@pulumi/pulumi";
import { shimProvider } from "../provider/pulumi/shim";

/** Stable ids of the built-in checks. */
export type PostCloneCheckId =
    | "email-cannot-reach-users"
    | "no-production-endpoints"
    | "text-indexes-rebuilt"
    | "mid-servers-up"
    | "scheduled-jobs-guarded"
    | "lockout-holds";

/** Arguments of a {@link PostCloneChecks}. */
export interface PostCloneChecksArgs {
    /** The named connection to verify. @default "target" */
    connection?: pulumi.Input<"target" | "source">;
    /** The environment's name, shown in reports. @default "" */
    environment?: pulumi.Input<string>;
    /** ATF suites to run (by name), each with the failed or errored tests it tolerates. @default [] */
    suites?: pulumi.Input<pulumi.Input<{ name: string; allowedFailures?: number }>[]>;
    /** Hosts no active outbound endpoint may point at. @default [] */
    productionHosts?: pulumi.Input<pulumi.Input<string>[]>;
    /** Who may sign in (as UserLockout's allow-lists); without it the lockout check is not run. @default none */
    access?: pulumi.Input<{
        scope?: string;
        allowRoles?: string[];
        allowGroups?: string[];
        allowUsers?: string[];
        allowQuery?: string;
    }>;
    /** Scheduled jobs that may run unguarded (as ScheduledJobState's allow-list). @default none */
    jobs?: pulumi.Input<{ allowNames?: string[]; allowSysIds?: string[]; allowQuery?: string }>;
    /** Offenders tolerated per check. @default {} */
    thresholds?: pulumi.Input<Partial<Record<PostCloneCheckId, number>>>;
    /** Severity per check (warning never blocks). @default each check's own */
    severities?: pulumi.Input<Partial<Record<PostCloneCheckId, "critical" | "error" | "warning">>>;
    /** Fail the update when the verdict blocks the gate. @default false */
    enforce?: pulumi.Input<boolean>;
    /**
     * The completion of the clone this gate follows (usually `cloneRun.epoch`): a new clone verifies again.
     * @default none
     */
    cloneEpoch?: pulumi.Input<string>;
}

/**
 * The verification gate of a refreshed instance: turns ATF test execution on (adopted; destroy puts it back), runs the
 * declared suites and the built-in read-only checks after every new clone, and keeps the verdict. `sn-clone verify`
 * runs the same verification on demand.
 *
 * @example
 * new PostCloneChecks("verify", {
 *     suites: [{ name: "Post-clone safety" }],
 *     productionHosts: ["api.payments.acme-corp.com"],
 *     cloneEpoch: clone.epoch,
 * }, { dependsOn: [email, lockout, jobs, endpoints] });
 */
export class PostCloneChecks extends pulumi.dynamic.Resource {
    /** True when nothing blocked the gate at the last verification. */
    declare readonly passed: pulumi.Output<boolean>;
    /** What blocked the gate, one line each. */
    declare readonly findings: pulumi.Output<string[]>;
    /** The clone the last verification was keyed on. */
    declare readonly verifiedCloneId: pulumi.Output<string>;
    /** Whether ATF test execution is on. */
    declare readonly runnerEnabled: pulumi.Output<boolean>;

    constructor(name: string, args: PostCloneChecksArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            shimProvider("post-clone-checks"),
            name,
            {
                passed: undefined,
                findings: undefined,
                verifiedCloneId: undefined,
                verifiedAt: undefined,
                runnerEnabled: undefined,
                runnerMemory: undefined,
                ...args,
            },
            opts,
            "servicenow",
            "PostCloneChecks",
        );
    }
}
