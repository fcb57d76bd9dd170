/**
 * Verification of an environment from release tooling: opens the environment's stack (never creating it), connects
 * to its target with the stack's connection settings, and runs the built-in post-clone checks and the ATF suites of
 * `environment:verify` against the environment's own policy. Writes nothing but `sn_atf.runner.enabled`, and only
 * while suites run when it was off.
 */
import type * as pulumi from "@pulumi/pulumi";
import { clientFor, configureConnections } from "../../provider/connection";
import type { VerificationReport } from "../../provider/verify/report";
import { type VerifySpec, verifyInstance } from "../../provider/verify/verify";
import { type EnvironmentConfig, environmentKeys, formatProblems, parseEnvironmentConfig } from "../environment/config";
import {
    EnvironmentConfigError,
    type EnvironmentOptions,
    type EnvironmentSession,
    withEnvironment,
} from "./environment";

export type { VerificationReport } from "../../provider/verify/report";
export {
    EXIT_VERIFICATION_FAILED,
    formatVerificationText,
    verificationTestCases,
} from "../../provider/verify/report";

/** Options of a verification. */
export interface VerifyEnvironmentOptions {
    /** Time between two progress reads of a suite run. @default 500 */
    pollMs?: number;
    /** Longest wait for one suite. @default 1800000 */
    suiteTimeoutMs?: number;
}

/** What the environment's stack config asks the verification to check. */
export function verifySpec(environment: string, config: EnvironmentConfig): VerifySpec {
    const verify = config.verify;
    return {
        environment,
        suites: verify?.suites ?? [],
        productionHosts: config.integrations?.productionHosts ?? [],
        ...(config.access ? { access: config.access } : {}),
        ...(config.jobs ? { jobs: config.jobs } : {}),
        limits: Object.fromEntries(
            [...new Set([...Object.keys(verify?.thresholds ?? {}), ...Object.keys(verify?.severities ?? {})])].map(
                (id) => [
                    id,
                    {
                        threshold: verify?.thresholds[id as keyof typeof verify.thresholds],
                        severity: verify?.severities[id as keyof typeof verify.severities],
                    },
                ],
            ),
        ),
    };
}

/** Verifies an open environment (see {@link verifyEnvironment}). */
export async function verifySession(
    session: EnvironmentSession,
    options: VerifyEnvironmentOptions = {},
): Promise<VerificationReport> {
    const all = await session.stack.getAllConfig();
    const parsed = parseEnvironmentConfig(
        environmentKeys(Object.fromEntries(Object.entries(all).map(([k, v]) => [k, v.value]))),
    );
    if (!parsed.ok) {
        const problems = parsed.problems.map((p) => `${p.key}: ${p.reason}`);
        throw new EnvironmentConfigError(
            `${session.environment}: the stack config is invalid:\n${formatProblems(parsed.problems)}`,
            problems,
        );
    }
    // The stack's connection settings, with the environment variables as fallbacks, exactly as the providers read them.
    configureConnections({ get: (key: string) => all[key]?.value } as unknown as pulumi.dynamic.Config);
    const client = await clientFor("target");
    return verifyInstance(client, verifySpec(session.environment, parsed.config), {
        pollMs: options.pollMs,
        suiteTimeoutMs: options.suiteTimeoutMs,
    });
}

/**
 * Verifies an environment: the post-clone checks and its ATF suites, keyed on the latest clone into its target.
 *
 * @example const report = await verifyEnvironment({ environment: "qa" }); if (!report.passed) process.exitCode = 4;
 */
export function verifyEnvironment(opts: EnvironmentOptions & VerifyEnvironmentOptions): Promise<VerificationReport> {
    return withEnvironment({ ...opts, create: false }, (session) => verifySession(session, opts));
}
