/**
 * The masking salt: a secret from stack config (`servicenow:maskingSalt`) or the environment
 * (`SERVICENOW_MASKING_SALT`), kept in this module's state inside the provider process and never in state, outputs,
 * logs or errors.
 */
import type * as pulumi from "@pulumi/pulumi";

/** The stack config key of the salt. */
export const SALT_CONFIG_KEY = "servicenow:maskingSalt";
/** The environment variable read when the stack config has no salt. */
export const SALT_ENV = "SERVICENOW_MASKING_SALT";
/** Shortest salt accepted: a short one would let anyone who knows the technique recompute the fakes' mapping. */
export const MIN_SALT_LENGTH = 16;

let configured: string | undefined;

/** Remembers the salt from the dynamic provider's config (called by configure()). */
export function configureSalt(config: Pick<pulumi.dynamic.Config, "get">): void {
    configured = config.get(SALT_CONFIG_KEY) || undefined;
}

/**
 * The salt, or why there is none usable (the reason names the config key and variable, never a value).
 */
export function maskingSalt(): { salt: string } | { problem: string } {
    const salt = configured ?? process.env[SALT_ENV] ?? "";
    const how = `set it with \`pulumi config set --secret ${SALT_CONFIG_KEY} <at least ${MIN_SALT_LENGTH} random characters>\` or the ${SALT_ENV} environment variable`;
    if (salt === "") return { problem: `no masking salt is configured; ${how}` };
    if (salt.length < MIN_SALT_LENGTH)
        return { problem: `the masking salt is shorter than ${MIN_SALT_LENGTH} characters; ${how}` };
    return { salt };
}

/** Forgets the configured salt (tests). */
export function resetSalt(): void {
    configured = undefined;
}
