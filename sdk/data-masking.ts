/**
 * DataMasking: the typed face of provider/resources/data-masking.ts.
 */
import * as pulumi from "@pulumi/pulumi";
import { shimProvider } from "../provider/shim";

export { PERSONAL_DATA_RULES } from "../provider/masking/presets";

/** A masking technique, in the platform's vocabulary plus deterministic fakes. */
export type MaskingTechnique =
    /** The same value everywhere; `preserveLength` repeats or cuts it to the original's length. */
    | { technique: "static"; value: string; preserveLength?: boolean }
    /** A fake of the given kind, the same for the same record on every run (keyed by the salt). */
    | {
          technique: "fake";
          fake: "first_name" | "last_name" | "name" | "user_name" | "email" | "phone" | "text" | "number";
      }
    /** Keyed random characters, keeping the length. */
    | { technique: "random"; charset?: "alphanumeric" | "letters" | "digits" }
    /** Characters from `start` up to `end` (negative: from the end) replaced by `char`, except those in `exclude`. */
    | { technique: "selective"; start?: number; end?: number; exclude?: string; char?: string }
    /** The value emptied. */
    | { technique: "remove" };

/** One masking rule. */
export interface MaskingRuleArgs {
    /** Table whose records are masked (a parent table covers its children). */
    table: string;
    /** Encoded query selecting the records in scope. @default "" (every record) */
    query?: string;
    /** Column name to technique. */
    fields: Record<string, MaskingTechnique>;
    /** Records matching this encoded query are left alone. @default "" */
    exceptQuery?: string;
}

/** Arguments of a {@link DataMasking}. */
export interface DataMaskingArgs {
    /** The named connection to write through; only the target is accepted. @default "target" */
    connection?: pulumi.Input<"target">;
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
            shimProvider("data-masking", "dataMaskingProvider"),
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
