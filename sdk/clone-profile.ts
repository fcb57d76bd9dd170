/**
 * The SDK face of CloneProfile: typed arguments and outputs over the shimmed `clone-profile` provider.
 */
import * as pulumi from "@pulumi/pulumi";
import { shimProvider } from "../provider/pulumi/shim";
import { fromStackInput } from "./stack-references";

/** A cleanup script of a profile with its own order and flag. */
export interface CloneProfileScriptArgs {
    /** The script's name or sys_id. */
    script: pulumi.Input<string>;
    /** Run order in this profile. @default its position in the list times 100 */
    order?: pulumi.Input<number>;
    /** Whether it runs with this profile. @default true */
    active?: pulumi.Input<boolean>;
}

/** Arguments of a {@link CloneProfile}. */
export interface CloneProfileArgs {
    /** The named connection to write through: the instance clones are made from. @default "source" */
    connection?: pulumi.Input<"source" | "target">;
    /** The profile's name; an existing profile with this name is adopted. "System Profile" is refused (read-only). */
    name: pulumi.Input<string>;
    /** Description; left as it is when omitted. */
    description?: pulumi.Input<string>;
    /** Exclusions the profile applies, by table name or sys_id. @default [] */
    exclusions?: pulumi.Input<pulumi.Input<string>[]>;
    /**
     * Preservers the profile applies, by name or sys_id. Must include "Core Instance Properties" unless
     * `allowWithoutCoreInstanceProperties` is set. @default []
     */
    preservers?: pulumi.Input<pulumi.Input<string>[]>;
    /** Cleanup scripts, by name or sys_id, in run order (100, 200, ... unless given). @default [] */
    cleanupScripts?: pulumi.Input<pulumi.Input<string | CloneProfileScriptArgs>[]>;
    /** Allow a profile that does not preserve the target's instance identity. @default false */
    allowWithoutCoreInstanceProperties?: pulumi.Input<boolean>;
}

/**
 * A clone profile on the clone's source: which exclusions, preservers and cleanup scripts (in order) a clone made with
 * it applies. Pass its `sysId` as CloneRun's `profile`. Destroy deletes a profile it created (links first) and puts
 * back the links and description of one it adopted.
 *
 * @example
 * new CloneProfile("qa", {
 *     name: "Refresh QA",
 *     exclusions: [pii.name, "sys_email"],
 *     preservers: ["Core Instance Properties", "Email Accounts", qaEndpoints.name],
 *     cleanupScripts: ["Disable emails", markQa.name],
 * });
 */
export class CloneProfile extends pulumi.dynamic.Resource {
    /** sys_id of the profile (CloneRun's `profile`). */
    declare readonly sysId: pulumi.Output<string>;
    /** The profile's name. */
    declare readonly name: pulumi.Output<string>;
    /** True when this resource created the profile; false when it adopted an existing one. */
    declare readonly created: pulumi.Output<boolean>;

    constructor(name: string, args: CloneProfileArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            shimProvider("clone-profile"),
            name,
            {
                sysId: undefined,
                created: undefined,
                previous: undefined,
                previousLinks: undefined,
                resolved: undefined,
                ...args,
                // Entries naming a record this program creates are resolved at apply, not at preview.
                ...fromStackInput(args, ["exclusions", "preservers", "cleanupScripts"], "script"),
            },
            opts,
            "servicenow",
            "CloneProfile",
        );
    }
}
