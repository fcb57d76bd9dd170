/**
 * The typed face of `PluginState`: plugins that must be active on the instance after every clone.
 */
import * as pulumi from "@pulumi/pulumi";
import { shimProvider } from "../provider/pulumi/shim";

/** Arguments of a {@link PluginState}. */
export interface PluginStateArgs {
    /** Plugin ids that must be active, activated in this order when inactive (e.g. `com.snc.procurement`). */
    plugins: pulumi.Input<pulumi.Input<string>[]>;
    /** Which configured instance. @default "target" */
    connection?: pulumi.Input<"target" | "source">;
    /**
     * On destroy, roll back the plugins this resource activated (the platform allows it within 10 days of an
     * activation, and a rollback deletes the plugin's data). @default false
     */
    rollbackOnDestroy?: pulumi.Input<boolean>;
    /** Give up on one activation after this long. @default 60 */
    timeoutMinutes?: pulumi.Input<number>;
    /** Longest wait between progress polls. @default 5 */
    pollSeconds?: pulumi.Input<number>;
    /** The clone epoch (a CloneRun's `epoch`): a new clone makes it activate the plugins again. */
    cloneEpoch?: pulumi.Input<string>;
}

/**
 * Plugins that must be active: each inactive one is activated through the CI/CD API, one at a time, with progress.
 * `destroy` leaves them active unless `rollbackOnDestroy` is set.
 *
 * @example
 * new PluginState("plugins", { plugins: ["com.snc.procurement"], cloneEpoch: clone.epoch }, { dependsOn: [clone] });
 */
export class PluginState extends pulumi.dynamic.Resource {
    /** Plugins this resource activated, in order. */
    declare readonly activated: pulumi.Output<string[]>;
    /** Declared plugins found inactive by the last refresh (drift); empty after an apply. */
    declare readonly inactive: pulumi.Output<string[]>;

    constructor(name: string, args: PluginStateArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            shimProvider("plugin-state"),
            name,
            { activated: undefined, inactive: undefined, ...args },
            opts,
            "servicenow",
            "PluginState",
        );
    }
}
