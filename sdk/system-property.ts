/**
 * The SDK face of SystemProperty: typed arguments and outputs over the shimmed `system-property` provider.
 */
import * as pulumi from "@pulumi/pulumi";
import { shimProvider } from "../provider/pulumi/shim";
import type { PROPERTY_TYPES } from "../provider/resources/system-property";
import { claimRecords } from "./claims";

/** Arguments of a {@link SystemProperty}. */
export interface SystemPropertyArgs {
    /** The named connection to write through. @default "target" */
    connection?: pulumi.Input<"target" | "source">;
    /** The sys_properties name; adopted when it exists, created otherwise. Changing it replaces the resource. */
    name: pulumi.Input<string>;
    /** The value, always a string on the platform (`"true"`/`"false"` for booleans). */
    value: pulumi.Input<string>;
    /**
     * The `sys_properties` type, used only when the property has to be created (`"boolean"` for true/false).
     * @default "string"
     */
    type?: pulumi.Input<(typeof PROPERTY_TYPES)[number]>;
    /**
     * The completion of the clone this policy follows (usually `cloneRun.epoch`): when it changes, the next `up`
     * re-asserts the policy even if nothing else changed. @default none
     */
    cloneEpoch?: pulumi.Input<string>;
}

/**
 * Any `sys_properties` value, adopted by name: the previous value is kept and put back on destroy (a property this
 * resource created is deleted). Written only when it differs, since every property write flushes the platform cache.
 *
 * @example
 * new SystemProperty("session-timeout", { name: "glide.ui.session_timeout", value: "240" });
 */
export class SystemProperty extends pulumi.dynamic.Resource {
    /** The live value. */
    declare readonly value: pulumi.Output<string>;
    /** The value before this resource first wrote it; null when the resource created the property. */
    declare readonly previousValue: pulumi.Output<string | null>;
    /** True when the property did not exist and destroy deletes it. */
    declare readonly created: pulumi.Output<boolean>;

    constructor(name: string, args: SystemPropertyArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            shimProvider("system-property"),
            name,
            { previousValue: undefined, created: undefined, ...args },
            opts,
            "servicenow",
            "SystemProperty",
        );
        claimRecords(`SystemProperty "${name}"`, args.connection, [["sys_properties", args.name]]);
    }
}
