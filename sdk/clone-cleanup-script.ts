/**
 * The SDK face of CloneCleanupScript: typed arguments and outputs over the shimmed `clone-cleanup-script` provider.
 */
import * as pulumi from "@pulumi/pulumi";
import { shimProvider } from "../provider/pulumi/shim";

/** Arguments of a {@link CloneCleanupScript}. */
export interface CloneCleanupScriptArgs {
    /** The named connection to write through: the instance clones are made from. @default "source" */
    connection?: pulumi.Input<"source" | "target">;
    /** The script's name (`clone_cleanup_script.name`); an existing script with this name is adopted. */
    name: pulumi.Input<string>;
    /**
     * Server-side JavaScript run on the target after the clone (global scope). It is parsed, never run, at preview:
     * a syntax error fails the preview naming the line.
     */
    script: pulumi.Input<string>;
    /** Run order among cleanup scripts (ascending; a profile's own order wins). @default 100 */
    order?: pulumi.Input<number>;
    /** Whether the script runs. @default true */
    active?: pulumi.Input<boolean>;
    /** Description; left as it is when omitted. */
    description?: pulumi.Input<string>;
}

/**
 * A post-clone cleanup script on the clone's source. Destroy deletes a script it created and restores the previous
 * text, order and flag of one it adopted.
 *
 * @example
 * new CloneCleanupScript("mark-qa", { name: "Mark as QA", order: 50, script: 'gs.setProperty("glide.product.description", "QA");' });
 */
export class CloneCleanupScript extends pulumi.dynamic.Resource {
    /** sys_id of the script (pass it, or `name`, to a CloneProfile). */
    declare readonly sysId: pulumi.Output<string>;
    /** The script's name. */
    declare readonly name: pulumi.Output<string>;
    /** True when this resource created the script; false when it adopted an existing one. */
    declare readonly created: pulumi.Output<boolean>;

    constructor(name: string, args: CloneCleanupScriptArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            shimProvider("clone-cleanup-script"),
            name,
            { sysId: undefined, created: undefined, previous: undefined, ...args },
            opts,
            "servicenow",
            "CloneCleanupScript",
        );
    }
}
