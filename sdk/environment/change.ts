/**
 * The environment's change control: `environment:change` (and `environment:window`) become the governance of its
 * CloneRun, and a ChangeClosure closes the change once every checklist resource has converged, with the clone id, its
 * duration and what each item changed as evidence.
 */
import * as pulumi from "@pulumi/pulumi";
import { ChangeClosure } from "../change-closure";
import type { CloneRun } from "../clone-run";
import type { EnvironmentConfig } from "./config";

/** The checklist resources whose outputs say what converging changed. */
interface Converged {
    clone?: CloneRun;
    access?: { lockedCount: pulumi.Output<number> };
    jobs?: { deactivatedCount: pulumi.Output<number> };
    integrations?: { rewrittenCount: pulumi.Output<number> };
    properties: pulumi.Resource[];
}

/** CloneRun's `governance` for this environment, or nothing without `environment:change`. */
export function governanceOf(config: EnvironmentConfig): { governance?: EnvironmentConfig["change"] } {
    if (!config.change) return {};
    const window = config.window ?? config.change.window;
    // The environment closes the change itself, after the checklist converged (ChangeClosure below).
    return { governance: { ...config.change, ...(window ? { window } : {}), closeAfter: "environment" } };
}

/**
 * Declares the ChangeClosure of a governed clone, after every resource in `dependsOn`.
 *
 * @returns undefined when the environment has no governed clone.
 */
export function closeChangeAfter(
    config: EnvironmentConfig,
    env: Converged,
    dependsOn: pulumi.Resource[],
    opts?: pulumi.CustomResourceOptions,
): ChangeClosure | undefined {
    if (!config.change || !env.clone) return undefined;
    const clone = env.clone;
    const drift: pulumi.Input<string>[] = [];
    if (env.access) drift.push(env.access.lockedCount.apply((n) => `${n} users locked out`));
    if (env.jobs) drift.push(env.jobs.deactivatedCount.apply((n) => `${n} scheduled jobs deactivated`));
    if (env.integrations) drift.push(env.integrations.rewrittenCount.apply((n) => `${n} endpoints rewritten`));
    if (config.email) drift.push("email policy asserted");
    if (config.branding) drift.push("non-production branding asserted");
    if (env.properties.length > 0) drift.push(`${env.properties.length} system properties asserted`);
    return new ChangeClosure(
        "change-closure",
        {
            changeSysId: clone.change.apply((c) => c?.sysId ?? ""),
            changeNumber: clone.change.apply((c) => c?.number ?? ""),
            changeConnection: config.change.changeConnection ?? "source",
            cloneId: clone.cloneId,
            target: pulumi.output(new pulumi.Config("servicenow").get("instanceName") ?? "the target"),
            durationSeconds: clone.durationSeconds,
            drift,
        },
        { ...opts, dependsOn: [clone, ...dependsOn] },
    );
}
