/**
 * PostCloneChecks: the verification gate of a refreshed instance, a spec of the settings skeleton. It manages one
 * setting, `sn_atf.runner.enabled` (adopted, put back at destroy), so the declared ATF suites can run, and on every
 * create or update (a new clone epoch, or changed inputs) runs the built-in read-only checks and the suites and keeps
 * the verdict in its outputs. With `enforce`, a verdict that blocks the gate fails the update.
 */
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { convergeProperties, type PropertyMemory, readProperties, restoreProperties } from "../adopt";
import { ConnectionInput } from "../connection";
import { ServiceNowError } from "../errors";
import { settingsProvider, singletonId } from "../skeletons/settings";
import { CheckId } from "../verify/checks";
import { blockingFindings } from "../verify/report";
import { RUNNER_PROPERTY, verifyInstance } from "../verify/verify";

const CHECK_IDS = Object.values(CheckId) as [CheckId, ...CheckId[]];
const checkId = z.enum(CHECK_IDS, { error: `a check id is one of ${CHECK_IDS.join(", ")}` });
const severity = z.enum(["critical", "error", "warning"], { error: 'severity is "critical", "error" or "warning"' });

/** Inputs of {@link postCloneChecksProvider}. */
export const PostCloneChecksInputs = z.object({
    connection: ConnectionInput,
    /** The environment's name, for reports. */
    environment: z.string().default(""),
    suites: z
        .array(
            z.strictObject({
                name: z.string().min(1, { error: "suites[].name must name an ATF suite (sys_atf_test_suite.name)" }),
                allowedFailures: z
                    .number()
                    .int()
                    .min(0, { error: "suites[].allowedFailures must be 0 or more failed tests tolerated" })
                    .default(0),
            }),
        )
        .default([]),
    productionHosts: z.array(z.string().min(1)).default([]),
    access: z
        .object({
            scope: z.string().optional(),
            allowRoles: z.array(z.string()).optional(),
            allowGroups: z.array(z.string()).optional(),
            allowUsers: z.array(z.string()).optional(),
            allowQuery: z.string().optional(),
        })
        .optional(),
    jobs: z
        .object({
            allowNames: z.array(z.string()).optional(),
            allowSysIds: z.array(z.string()).optional(),
            allowQuery: z.string().optional(),
        })
        .optional(),
    thresholds: z.partialRecord(checkId, z.number().int().min(0, { error: "a threshold is 0 or more" })).default({}),
    severities: z.partialRecord(checkId, severity).default({}),
    /** Fail the update when the verdict blocks the gate. @default false */
    enforce: z.boolean().default(false),
});
/** Normalized inputs. */
export type PostCloneChecksInputs = z.infer<typeof PostCloneChecksInputs>;

/** Outputs: the inputs, what destroy puts back, and the last verdict. */
export interface PostCloneChecksOutputs extends PostCloneChecksInputs {
    /** The runner property's value before this resource first wrote it (null: the resource created it). */
    runnerMemory: PropertyMemory;
    /** Whether test execution is on now (false after a refresh means someone, or a clone, switched it off). */
    runnerEnabled: boolean;
    /** True when no check or suite blocked the gate at the last verification. */
    passed: boolean;
    /** What blocked the gate, one line each. */
    findings: string[];
    /** The clone the last verification was keyed on ("" when none). */
    verifiedCloneId: string;
    /** When it ran, ISO 8601. */
    verifiedAt: string;
}

const INPUT_KEYS = [
    "connection",
    "environment",
    "suites",
    "productionHosts",
    "access",
    "jobs",
    "thresholds",
    "severities",
    "enforce",
] as const;

/** The gate refused the instance (`enforce`). */
export class VerificationFailedError extends ServiceNowError {}

/** Dynamic provider for `PostCloneChecks`. */
export const postCloneChecksProvider: pulumi.dynamic.ResourceProvider<PostCloneChecksInputs, PostCloneChecksOutputs> =
    settingsProvider<PostCloneChecksInputs, PostCloneChecksOutputs>({
        schema: PostCloneChecksInputs,
        inputKeys: INPUT_KEYS,
        id: (inputs) => singletonId("post-clone-checks", inputs.connection),
        // Execution switched off behind the stack's back (or by a clone) is drift: the next up turns it on and verifies.
        mustUpdate: (olds) => olds.runnerEnabled === false,
        async apply(client, inputs, prior, journal) {
            const runnerMemory = await convergeProperties(
                client,
                { [RUNNER_PROPERTY]: "true" },
                prior?.runnerMemory ?? {},
                { [RUNNER_PROPERTY]: "boolean" },
                journal,
            );
            const limits = Object.fromEntries(
                CHECK_IDS.map((id) => [id, { threshold: inputs.thresholds[id], severity: inputs.severities[id] }]),
            );
            const report = await verifyInstance(
                client,
                {
                    environment: inputs.environment,
                    suites: inputs.suites,
                    productionHosts: inputs.productionHosts,
                    access: inputs.access,
                    jobs: inputs.jobs,
                    limits,
                },
                { keepRunnerEnabled: true },
            );
            const findings = blockingFindings(report);
            if (inputs.enforce && !report.passed) {
                throw new VerificationFailedError(
                    `verification of ${client.url} failed (${findings.length} finding(s) block the gate):\n${findings.join("\n")}`,
                );
            }
            return {
                ...inputs,
                runnerMemory,
                runnerEnabled: true,
                passed: report.passed,
                findings,
                verifiedCloneId: report.cloneId,
                verifiedAt: report.checkedAt,
            };
        },
        async read(client, props) {
            const live = (await readProperties(client, [RUNNER_PROPERTY])).get(RUNNER_PROPERTY);
            // Execution switched off behind the stack's back is drift: the next up turns it on and verifies again.
            const runnerEnabled = live?.value === "true";
            return { props: { ...props, runnerEnabled }, inputs: pick(props) };
        },
        async restore(client, props) {
            await restoreProperties(client, props.runnerMemory ?? {});
        },
    });

function pick(props: PostCloneChecksOutputs): PostCloneChecksInputs {
    const out: Record<string, unknown> = {};
    for (const k of INPUT_KEYS) out[k] = props[k];
    return out as PostCloneChecksInputs;
}
