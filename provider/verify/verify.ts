/**
 * One verification of an instance: the clone epoch, the built-in read-only checks, and the declared ATF suites with
 * test execution turned on for them as a managed setting (adopted, then put back as it was), so the runner property
 * is the only thing a verification writes.
 */

import { applyProperties, type PropertyMemory, restoreProperties } from "../adopt";
import type { ServiceNowClient } from "../client/client";
import { runSuite, type SuiteSpec } from "./atf";
import { type ChecksSpec, readCloneEpoch, runChecks } from "./gather";
import { type AtfSuiteOutcome, type VerificationReport, verificationReport } from "./report";

/** The property that enables ATF test and suite execution (off by default, so off after every clone from production). */
export const RUNNER_PROPERTY = "sn_atf.runner.enabled";

/** What to verify. */
export interface VerifySpec extends ChecksSpec {
    /** The environment's name, for the report. */
    environment: string;
    /** ATF suites to run, in order. */
    suites: readonly SuiteSpec[];
}

/** Options of {@link verifyInstance}. */
export interface VerifyOptions {
    /**
     * Time between two progress reads of a suite run.
     *
     * @default 500
     */
    pollMs?: number;
    /**
     * Longest wait for one suite.
     *
     * @default 1800000
     */
    suiteTimeoutMs?: number;
    /**
     * Leave the runner property on afterwards (when a resource manages it and restores it at destroy).
     *
     * @default false
     */
    keepRunnerEnabled?: boolean;
    signal?: AbortSignal;
    /** Told when a check or suite starts, for progress displays. */
    onStage?: (message: string) => void;
}

/**
 * Verifies an instance and returns the report; writes nothing but `sn_atf.runner.enabled`, and only when there are
 * suites to run and it is off (put back as it was afterwards unless `keepRunnerEnabled`).
 */
export async function verifyInstance(
    client: ServiceNowClient,
    spec: VerifySpec,
    opts: VerifyOptions = {},
): Promise<VerificationReport> {
    opts.onStage?.(`Checking ${spec.environment}`);
    const epoch = await readCloneEpoch(client);
    const checks = await runChecks(client, spec, epoch);
    const suites: AtfSuiteOutcome[] = [];
    if (spec.suites.length > 0) {
        const { memory } = await applyProperties(
            client,
            { [RUNNER_PROPERTY]: "true" },
            {},
            { [RUNNER_PROPERTY]: "boolean" },
        );
        try {
            for (const suite of spec.suites) {
                opts.onStage?.(`Running ATF suite ${suite.name}`);
                suites.push(
                    await runSuite(client, suite, {
                        pollMs: opts.pollMs,
                        timeoutMs: opts.suiteTimeoutMs,
                        signal: opts.signal,
                    }),
                );
            }
        } finally {
            if (!opts.keepRunnerEnabled) await restoreRunner(client, memory);
        }
    }
    return verificationReport({
        environment: spec.environment,
        cloneId: epoch?.cloneId ?? "",
        cloneStarted: epoch?.started ?? "",
        checks,
        suites,
    });
}

async function restoreRunner(client: ServiceNowClient, memory: PropertyMemory): Promise<void> {
    // Only what this run changed: a property that was already on stays on, one that was off goes back off.
    const previous = memory[RUNNER_PROPERTY];
    if (previous !== undefined && previous !== "true") await restoreProperties(client, memory);
}
