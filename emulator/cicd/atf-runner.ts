/**
 * Runs an ATF test suite on one emulated instance, as the platform's test runner does for server-side steps: tests in
 * suite order, steps in step order, each "Run Server Side Script" step in the cleanup-script sandbox against the
 * instance, and a suite result with its test and step results and the rolled-up counts of the suite and its children.
 *
 * Platform facts (reference/platform-apis.md §2.4): execution is off unless `sn_atf.runner.enabled` is true; UI steps
 * need a client test runner, otherwise "no scheduled client test runner available"; rolled-up counts "sum data from
 * all tests in the test suite plus all tests in the test suite's descendents".
 */

import { sandboxOf } from "../clone/engine";
import { runServerScript, type SandboxDb } from "../clone/script-sandbox";
import type { InstanceDb } from "../db";
import { glideDateTime, type Row } from "../values";
import { AtfStatus } from "./atf-tables";

/** The property that enables test and test suite execution ("Enable test/test suite execution"). */
export const RUNNER_PROPERTY = "sn_atf.runner.enabled";
/** The property that enables scheduled test and suite execution, which the CI/CD API's documented refusal names. */
export const SCHEDULE_PROPERTY = "sn_atf.schedule.enabled";
/** Name of the step configuration whose script runs on the server. */
export const SERVER_SCRIPT_STEP = "Run Server Side Script";

/** The message a client reads when a UI step cannot run, as ATF tool users quote it. */
const NO_CLIENT_RUNNER = "no scheduled client test runner available";

/** Rolled-up test counts of a suite and its descendants. */
export interface AtfCounts {
    success: number;
    failure: number;
    error: number;
    skip: number;
}

/** What a finished suite run left behind. */
export interface SuiteRunSummary {
    /** sys_id of the `sys_atf_test_suite_result` row of the suite that was asked for. */
    resultId: string;
    suiteName: string;
    status: string;
    /** Whole seconds from start to end. */
    durationSeconds: number;
    counts: AtfCounts;
}

/** Options of {@link runTestSuite}. */
export interface AtfRunOptions {
    /**
     * Clock for the result timestamps.
     *
     * @default Date.now
     */
    now?: () => number;
    /**
     * Time limit of one server-side script step.
     *
     * @default 5000
     */
    scriptTimeoutMs?: number;
    /** Browser and OS the caller asked for; recorded on the result, otherwise unused (no UI steps run here). */
    browserName?: string;
    osName?: string;
}

/**
 * Why a run is refused while test execution is disabled, or undefined when it may run. The scheduled-execution
 * message is the documented failure response of `POST /api/sn_cicd/testsuite/run`; the runner message follows it.
 */
export function executionDisabledReason(db: Pick<InstanceDb, "getProperty">): string | undefined {
    if (db.getProperty(RUNNER_PROPERTY) !== "true") {
        return `Test/suite execution is disabled. Change the value of property '${RUNNER_PROPERTY}' to true to enable it`;
    }
    if (db.getProperty(SCHEDULE_PROPERTY) === "false") {
        return `Scheduled test/suite execution is disabled. Change the value of property '${SCHEDULE_PROPERTY}' to true to enable it`;
    }
    return undefined;
}

/** Finds a suite by sys_id or by name; undefined when none matches. */
export function findSuite(db: InstanceDb, ref: { sysId?: string; name?: string }): Row | undefined {
    if (ref.sysId) return db.get("sys_atf_test_suite", ref.sysId);
    if (ref.name) return db.query("sys_atf_test_suite", `name=${ref.name}`, { limit: 1 })[0];
    return undefined;
}

/**
 * Runs a suite and its active child suites to the end and returns the top suite's result. Synchronous: the caller
 * (the CI/CD route) reports progress through its execution tracker around it.
 */
export function runTestSuite(db: InstanceDb, suite: Row, opts: AtfRunOptions = {}): SuiteRunSummary {
    const now = opts.now ?? Date.now;
    const sandbox = sandboxOf(db);

    const runSuite = (s: Row, parentResult: string, baseResult: string): { id: string; counts: AtfCounts } => {
        const started = now();
        const result = db.insert("sys_atf_test_suite_result", {
            test_suite: s.sys_id,
            parent: parentResult,
            base_suite_result: baseResult,
            status: AtfStatus.Running,
            start_time: glideDateTime(started),
            browser_name: opts.browserName ?? "",
            os_name: opts.osName ?? "",
        });
        const own: AtfCounts = { success: 0, failure: 0, error: 0, skip: 0 };
        for (const member of db.query("sys_atf_test_suite_test", `test_suite=${s.sys_id}^ORDERBYorder`)) {
            const test = db.get("sys_atf_test", member.test ?? "");
            if (!test) continue;
            const status = runTest(test, result.sys_id!);
            bump(own, status);
        }
        const rolled: AtfCounts = { ...own };
        for (const child of db.query("sys_atf_test_suite", `parent=${s.sys_id}^active=true^ORDERBYname`)) {
            const c = runSuite(child, result.sys_id!, baseResult || result.sys_id!);
            for (const k of Object.keys(rolled) as (keyof AtfCounts)[]) rolled[k] += c.counts[k];
        }
        const ended = now();
        db.update("sys_atf_test_suite_result", result.sys_id!, {
            status: suiteStatus(rolled),
            end_time: glideDateTime(ended),
            run_time: formatDuration(ended - started),
            success_count: String(own.success),
            failure_count: String(own.failure),
            error_count: String(own.error),
            skip_count: String(own.skip),
            rolledup_test_success_count: String(rolled.success),
            rolledup_test_failure_count: String(rolled.failure),
            rolledup_test_error_count: String(rolled.error),
            rolledup_test_skip_count: String(rolled.skip),
        });
        return { id: result.sys_id!, counts: rolled };
    };

    const runTest = (test: Row, suiteResult: string): string => {
        const started = now();
        const result = db.insert("sys_atf_test_result", {
            test: test.sys_id,
            parent: suiteResult,
            status: AtfStatus.Running,
            start_time: glideDateTime(started),
        });
        let status: string = AtfStatus.Success;
        let output = "";
        if (test.active === "false") {
            status = AtfStatus.Skipped;
            output = "Test is inactive";
        } else {
            for (const step of db.query("sys_atf_step", `test=${test.sys_id}^active=true^ORDERBYorder`)) {
                if (status !== AtfStatus.Success) {
                    stepResult(result.sys_id!, step, AtfStatus.Skipped, "Not run: an earlier step did not pass");
                    continue;
                }
                const outcome = runStep(step, sandbox, opts.scriptTimeoutMs);
                stepResult(result.sys_id!, step, outcome.status, outcome.output);
                if (outcome.status !== AtfStatus.Success) {
                    status = outcome.status;
                    output = `Step ${step.order} (${step.description || "step"}): ${outcome.output}`;
                }
            }
            if (status === AtfStatus.Success) output = "All steps passed";
        }
        const ended = now();
        db.update("sys_atf_test_result", result.sys_id!, {
            status,
            output,
            end_time: glideDateTime(ended),
            run_time: formatDuration(ended - started),
        });
        return status;
    };

    const stepResult = (testResult: string, step: Row, status: string, output: string): void => {
        db.insert("sys_atf_test_result_step", {
            test_result: testResult,
            step: step.sys_id,
            order: step.order,
            status,
            start_time: glideDateTime(now()),
            output,
            summary: output.split("\n")[0] ?? "",
        });
    };

    const runStep = (step: Row, sb: SandboxDb, timeoutMs?: number): { status: string; output: string } => {
        const config = db.get("sys_atf_step_config", step.step_config ?? "");
        if (!config) return { status: AtfStatus.Error, output: "Step has no step configuration" };
        if (config.step_env === "UI") return { status: AtfStatus.Error, output: NO_CLIENT_RUNNER };
        if (config.name !== SERVER_SCRIPT_STEP) {
            return { status: AtfStatus.Error, output: `Step configuration "${config.name}" is not emulated` };
        }
        const run = runServerScript(wrapStepScript(step.script ?? ""), sb, {
            name: `ATF step ${step.sys_id}`,
            timeoutMs,
            now: () => new Date(now()),
        });
        const logged = run.logs.map((l) => l.message);
        if (!run.ok) return { status: AtfStatus.Failure, output: [run.error ?? "failed", ...logged].join("\n") };
        const outcome = JSON.parse(run.value ?? "{}") as { passed?: boolean; message?: string };
        const message = [outcome.message ?? "", ...logged].filter((m) => m !== "").join("\n");
        return outcome.passed
            ? { status: AtfStatus.Success, output: message }
            : { status: AtfStatus.Failure, output: message || "Step script returned false" };
    };

    const ran = runSuite(suite, "", "");
    const row = db.get("sys_atf_test_suite_result", ran.id)!;
    const seconds = Math.max(
        0,
        Math.round(((Date.parse(`${row.end_time}Z`) || 0) - (Date.parse(`${row.start_time}Z`) || 0)) / 1000),
    );
    return {
        resultId: ran.id,
        suiteName: suite.name ?? "",
        status: row.status ?? "",
        durationSeconds: seconds,
        counts: ran.counts,
    };
}

function bump(counts: AtfCounts, status: string): void {
    if (status === AtfStatus.Success) counts.success++;
    else if (status === AtfStatus.Failure) counts.failure++;
    else if (status === AtfStatus.Skipped) counts.skip++;
    else counts.error++;
}

function suiteStatus(c: AtfCounts): string {
    if (c.failure > 0) return AtfStatus.Failure;
    if (c.error > 0) return AtfStatus.Error;
    return AtfStatus.Success;
}

/** "1 Second", "12 Seconds": the platform's duration wording in results. */
export function formatDuration(ms: number): string {
    const s = Math.max(0, Math.round(ms / 1000));
    return `${s} ${s === 1 ? "Second" : "Seconds"}`;
}

/**
 * Wraps a step script so its outcome comes back as the completion value. The script sees what the platform's
 * template passes (`outputs`, `steps`, `params`, `stepResult`, `assertEqual`); it fails by returning false, by
 * `stepResult.setFailed()`, by a failed `assertEqual`, or by throwing.
 */
function wrapStepScript(script: string): string {
    return `${STEP_PRELUDE}\n__atf.finish(eval(${JSON.stringify(script)}));`;
}

const STEP_PRELUDE = `var __atf = (function () {
    var state = { failed: false, message: "" };
    var stepResult = Object.freeze({
        setOutputMessage: function (m) { state.message = String(m); },
        setSuccess: function () { state.failed = false; },
        setFailed: function () { state.failed = true; },
    });
    function assertEqual(a) {
        var name = a && a.name !== undefined ? String(a.name) : "assertion";
        if (String(a.shouldbe) !== String(a.value)) {
            throw new Error("Assertion failed: " + name + ": expected '" + a.shouldbe + "', got '" + a.value + "'");
        }
    }
    return {
        stepResult: stepResult,
        assertEqual: assertEqual,
        finish: function (returned) {
            return JSON.stringify({ passed: returned !== false && !state.failed, message: state.message });
        },
    };
})();
var outputs = {};
var steps = function () { return {}; };
var params = {};
var stepResult = __atf.stepResult;
var assertEqual = __atf.assertEqual;`;
