/**
 * The SDK face of ClonePreserver: typed arguments and outputs over the shimmed `clone-preserver` provider.
 */
import * as pulumi from "@pulumi/pulumi";
import { shimProvider } from "../provider/pulumi/shim";

/** Arguments of a {@link ClonePreserver}. */
export interface ClonePreserverArgs {
    /** The named connection to write through: the instance clones are made from. @default "source" */
    connection?: pulumi.Input<"source" | "target">;
    /**
     * The preserver's name (`clone_data_preserver.name`); an existing preserver with this name is adopted. The
     * platform's "Core Instance Properties", "Semaphores" and "Email Accounts" are refused: they must not be modified.
     */
    name: pulumi.Input<string>;
    /** The table whose target rows survive a clone, e.g. `sys_rest_message`. */
    table: pulumi.Input<string>;
    /** Encoded query selecting the rows to keep (no regex operator); empty keeps every row. @default "" */
    condition?: pulumi.Input<string>;
    /** A theme preserver, applied only when the clone's "Preserve theme" option is on. @default false */
    theme?: pulumi.Input<boolean>;
    /** Description; left as it is when omitted. */
    description?: pulumi.Input<string>;
}

/**
 * A data preserver on the clone's source: the target's rows of `table` matching `condition` are put back after the
 * copy, so they survive every clone whose profile lists this preserver. Destroy deletes a preserver it created and
 * restores the previous values of one it adopted.
 *
 * @example
 * new ClonePreserver("qa-endpoints", { name: "Keep QA REST endpoints", table: "sys_rest_message", condition: "nameSTARTSWITHQA" });
 */
export class ClonePreserver extends pulumi.dynamic.Resource {
    /** sys_id of the preserver (pass it, or `name`, to a CloneProfile). */
    declare readonly sysId: pulumi.Output<string>;
    /** The preserver's name. */
    declare readonly name: pulumi.Output<string>;
    /** True when this resource created the preserver; false when it adopted an existing one. */
    declare readonly created: pulumi.Output<boolean>;

    constructor(name: string, args: ClonePreserverArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            shimProvider("clone-preserver"),
            name,
            { sysId: undefined, created: undefined, previous: undefined, ...args },
            opts,
            "servicenow",
            "ClonePreserver",
        );
    }
}
