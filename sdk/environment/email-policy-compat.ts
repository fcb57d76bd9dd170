/**
 * EmailPolicy's provider with one fix the environment program needs: its `check` returns `smtpPassword: undefined`
 * when no SMTP password is managed, and the dynamic-provider host cannot encode an undefined value ("Unexpected
 * struct type."), so every EmailPolicy without smtpPassword fails under the real engine.
 *
 * TODO: remove once provider/resources/email-policy.ts leaves absent keys out of check's inputs; the program then
 * uses the EmailPolicy class directly (same type token, so existing stacks see no change).
 */
import type * as pulumi from "@pulumi/pulumi";
import { emailPolicyProvider as inner } from "../../provider/resources/email-policy";

/** The EmailPolicy provider, with undefined values dropped from check's inputs. */
export const emailPolicyProvider: pulumi.dynamic.ResourceProvider = {
    ...inner,
    async check(olds, news) {
        const result = await inner.check!(olds, news);
        if (!result.inputs) return result;
        const inputs = Object.fromEntries(Object.entries(result.inputs).filter(([, v]) => v !== undefined));
        return { ...result, inputs };
    },
};
