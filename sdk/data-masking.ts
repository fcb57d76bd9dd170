/**
 * DataMasking: the typed face of provider/resources/data-masking.ts.
 */
import * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import type { MaskingRuleInputs } from "../provider/masking/presets";
import type { Technique } from "../provider/masking/techniques";
import { shimProvider } from "../provider/pulumi/shim";

export { PERSONAL_DATA_RULES } from "../provider/masking/presets";

/**
 * A masking technique: `static` (`value`, `preserveLength`), `fake` (`first_name`, `last_name`, `name`, `user_name`,
 * `email`, `phone`, `text`, `number`; keyed by the salt), `random` (`charset`), `selective` (`start`, `end` negative
 * from the end, `exclude`, `char`) or `remove`.
 */
export type MaskingTechnique = z.input<typeof Technique>;

/** One masking rule: a table, the encoded query of its scope (default every record), a technique per column. */
export type MaskingRuleArgs = MaskingRuleInputs;

/** Arguments of a {@link DataMasking}. */
export interface DataMaskingArgs {
    /** The named connection to write through; check refuses `source` (production is never masked). @default "target" */
    connection?: pulumi.Input<"target" | "source">;
    /** `mask` masks by the rules; `verifyDataPrivacy` only checks the platform's Data Privacy clone jobs. @default "mask" */
    mode?: pulumi.Input<"mask" | "verifyDataPrivacy">;
    /** The rules (mask mode). @default [] */
    rules?: pulumi.Input<MaskingRuleArgs[]>;
    /** Users (by user_name) whose sys_user records are never masked; the connection's own user always is. @default [] */
    exceptUsers?: pulumi.Input<pulumi.Input<string>[]>;
    /** Domain of fake email addresses; must be a `.invalid` domain. @default "example.invalid" */
    emailDomain?: pulumi.Input<string>;
    /**
     * The completion of the clone whose data this masks (usually `cloneRun.epoch`). Required unless
     * `allowUnknownCloneEpoch` is true: masking a target whose data has no known origin is refused at preview.
     * @default none
     */
    cloneEpoch?: pulumi.Input<string>;
    /** Mask even when no clone epoch is given. @default false */
    allowUnknownCloneEpoch?: pulumi.Input<boolean>;
}

/**
 * Masks personal data in scope deterministically from the stack's secret salt (`servicenow:maskingSalt`).
 *
 * A second `up` writes nothing; a value restored by hand shows as `unmaskedCount` on refresh and is masked again on
 * the next `up`. State holds counts only, never a record id or an original value. Destroy writes nothing: the
 * originals were never kept, so only a new clone brings them back.
 *
 * @example
 * new DataMasking("qa-masking", {
 *     cloneEpoch: clone.epoch,
 *     exceptUsers: ["uat.lead"],
 *     rules: [{ table: "sys_user", fields: { email: { technique: "fake", fake: "email" }, phone: { technique: "remove" } } }],
 * });
 */
export class DataMasking extends pulumi.dynamic.Resource {
    /** Records in scope whose every masked field holds its masked value. */
    declare readonly maskedCount: pulumi.Output<number>;
    /** Records in scope that are not masked (0 when converged; drift otherwise). */
    declare readonly unmaskedCount: pulumi.Output<number>;
    /** Records in scope left alone because an exception names them. */
    declare readonly exceptedCount: pulumi.Output<number>;
    /** Records the last apply wrote. */
    declare readonly writtenCount: pulumi.Output<number>;
    /** Verify mode: Data Privacy jobs that are missing, failed or unfinished. */
    declare readonly dataPrivacyProblems: pulumi.Output<string[]>;

    constructor(name: string, args: DataMaskingArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            shimProvider("data-masking"),
            name,
            {
                maskedCount: undefined,
                unmaskedCount: undefined,
                exceptedCount: undefined,
                writtenCount: undefined,
                dataPrivacyProblems: undefined,
                destroyBehaviour: undefined,
                ...args,
                // The engine hands `cloneEpoch` to the shim only; this copy lets the provider's check refuse an
                // unknown epoch at preview.
                knownCloneEpoch: pulumi.output(args.cloneEpoch).apply((e) => e ?? ""),
            },
            opts,
            "servicenow",
            "DataMasking",
        );
    }
}
