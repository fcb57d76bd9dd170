/**
 * The SDK face of CloneExclusion: typed arguments and outputs over the shimmed `clone-exclusion` provider.
 */
import * as pulumi from "@pulumi/pulumi";
import { shimProvider } from "../provider/pulumi/shim";

/** Arguments of a {@link CloneExclusion}. */
export interface CloneExclusionArgs {
    /** The named connection to write through: the instance clones are made from. @default "source" */
    connection?: pulumi.Input<"source" | "target">;
    /**
     * The table to leave empty on the target (`clone_data_exclude.name`); `table.*` also covers the tables that extend
     * it (the dot is required). An existing exclusion with this name is adopted. `sys_db_object` can't be excluded.
     */
    name: pulumi.Input<string>;
    /** Description; left as it is when omitted. */
    description?: pulumi.Input<string>;
}

/**
 * A clone exclusion on the clone's source: the table's data is not copied, so it ends empty (but usable) on the
 * target of every clone whose profile lists it. Destroy deletes an exclusion it created and leaves an adopted one.
 *
 * @example
 * new CloneExclusion("pii", { name: "x_acme_pii.*", description: "Customer PII stays in production" });
 */
export class CloneExclusion extends pulumi.dynamic.Resource {
    /** sys_id of the exclusion (pass it, or `name`, to a CloneProfile). */
    declare readonly sysId: pulumi.Output<string>;
    /** The excluded table (as given). */
    declare readonly name: pulumi.Output<string>;
    /** True when this resource created the exclusion; false when it adopted an existing one. */
    declare readonly created: pulumi.Output<boolean>;

    constructor(name: string, args: CloneExclusionArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            shimProvider("clone-exclusion"),
            name,
            { sysId: undefined, created: undefined, previous: undefined, ...args },
            opts,
            "servicenow",
            "CloneExclusion",
        );
    }
}
