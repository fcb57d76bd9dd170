/**
 * `environment:masking`: the stack's DataMasking, from its provider schema. Without `rules` the environment masks the
 * personal data every clone brings over (people's names, emails and phones; ticket text: `PERSONAL_DATA_RULES`).
 */
import { z } from "zod";
import { PERSONAL_DATA_RULES } from "../../provider/masking/presets";
import { DataMaskingInputs, MaskingRuleInput } from "../../provider/resources/data-masking";

// The connection is the environment program's choice; knownCloneEpoch is filled in from the stack's clone epoch.
const { connection: _connection, knownCloneEpoch: _epoch, ...shape } = DataMaskingInputs.shape;

/** `environment:masking`; every key optional, `rules` defaulting to the personal-data preset. */
export const MaskingConfig = z.strictObject({
    ...shape,
    rules: z
        .array(MaskingRuleInput)
        .min(1, { error: "rules cannot be empty; omit the key for the default rules" })
        .optional(),
});
/** A validated `environment:masking`. */
export type MaskingConfig = z.infer<typeof MaskingConfig>;

/** The DataMasking arguments of a masking config: its rules, or the personal-data preset in mask mode. */
export function maskingArgs(config: MaskingConfig) {
    const rules = config.rules ?? (config.mode === "mask" ? [...PERSONAL_DATA_RULES] : []);
    return { ...config, rules };
}
