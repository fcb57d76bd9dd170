/**
 * The masking rules most environments want: the personal data a clone brings over in people and tickets.
 *
 * Used by the environment program when `environment:masking` names no rules, and offered to programs as
 * `PERSONAL_DATA_RULES`.
 */
import type { z } from "zod";
import type { Technique } from "./techniques";

/** A rule as a program writes it (the resource's input form). */
export interface MaskingRuleInputs {
    table: string;
    query?: string;
    fields: Record<string, z.input<typeof Technique>>;
    exceptQuery?: string;
}

/** Users (people, not integration accounts): names, emails and phones; tickets: their free text. */
export const PERSONAL_DATA_RULES: readonly MaskingRuleInputs[] = [
    {
        table: "sys_user",
        query: "web_service_access_only=false",
        fields: {
            first_name: { technique: "fake", fake: "first_name" },
            last_name: { technique: "fake", fake: "last_name" },
            name: { technique: "fake", fake: "name" },
            email: { technique: "fake", fake: "email" },
            phone: { technique: "selective", end: -4, exclude: " +" },
            mobile_phone: { technique: "remove" },
        },
    },
    { table: "incident", query: "", fields: { description: { technique: "fake", fake: "text" } } },
];
