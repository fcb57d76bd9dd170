/**
 * The verification report: the built-in checks and the ATF suites of one run of `sn-clone verify` (or of a
 * PostCloneChecks resource), whether the gate passed, a terminal rendering people enjoy reading, and the test cases
 * the shared JSON/JUnit report writer turns into one test case per suite and per check.
 */
import { blocksGate, type CheckOutcome } from "./checks";

/** Exit code of `sn-clone verify` when the gate fails (0 ok, 1 usage or error, 2 drift, 3 unsafe target). */
export const EXIT_VERIFICATION_FAILED = 4;

/** One test of an ATF suite run. */
export interface AtfTestOutcome {
    name: string;
    /** success | failure | error | skipped, as the platform's test result says. */
    status: string;
    output: string;
}

/** One ATF suite run. */
export interface AtfSuiteOutcome {
    name: string;
    /** sys_id of the `sys_atf_test_suite_result`, or "" when the run never started. */
    resultId: string;
    /** `test_suite_status` (success, failure, error), or "refused"/"error" when the run did not complete. */
    status: string;
    counts: { success: number; failure: number; error: number; skip: number };
    tests: AtfTestOutcome[];
    /** Failed plus errored tests tolerated. */
    threshold: number;
    passed: boolean;
    message: string;
}

/** Everything one verification found. */
export interface VerificationReport {
    environment: string;
    /** The clone the checks are keyed on (its sys_id), or "" when the instance records none. */
    cloneId: string;
    /** When that clone started, UTC `YYYY-MM-DD HH:MM:SS`. */
    cloneStarted: string;
    /** When the verification ran, ISO 8601. */
    checkedAt: string;
    /** True when no check or suite blocks the gate. */
    passed: boolean;
    checks: CheckOutcome[];
    suites: AtfSuiteOutcome[];
}

/** Decides a suite's outcome from its rolled-up counts and per-test results. */
export function suiteOutcome(
    run: Omit<AtfSuiteOutcome, "passed" | "message" | "threshold">,
    threshold = 0,
): AtfSuiteOutcome {
    const bad = run.counts.failure + run.counts.error;
    const completed = run.resultId !== "";
    const passed = completed && bad <= threshold;
    const failing = run.tests.filter((t) => t.status === "failure" || t.status === "error");
    let message: string;
    if (!completed) message = `Suite "${run.name}" did not run: ${run.tests[0]?.output ?? run.status}`;
    else if (bad === 0)
        message = `Suite "${run.name}" passed: ${run.counts.success} passed, ${run.counts.skip} skipped`;
    else {
        const names = failing.map((t) => `"${t.name}" (${t.status}: ${firstLine(t.output)})`).join(", ");
        message = `Suite "${run.name}" ${passed ? "passed within its threshold" : "failed"}: ${bad} of ${
            run.counts.success + bad + run.counts.skip
        } tests did not pass: ${names}`;
    }
    return { ...run, threshold, passed, message };
}

/** Assembles the report and decides the gate. */
export function verificationReport(
    parts: Omit<VerificationReport, "passed" | "checkedAt"> & { checkedAt?: string },
): VerificationReport {
    const passed = parts.checks.every((c) => !blocksGate(c)) && parts.suites.every((s) => s.passed);
    return { ...parts, checkedAt: parts.checkedAt ?? new Date().toISOString(), passed };
}

/** What blocks the gate, one line each, for an error message or a summary. */
export function blockingFindings(report: VerificationReport): string[] {
    return [
        ...report.checks.filter(blocksGate).map((c) => `${c.id}: ${c.message}`),
        ...report.suites.filter((s) => !s.passed).map((s) => `atf "${s.name}": ${s.message}`),
    ];
}

/** One JUnit test case: per check and per suite, failing when it blocks the gate. */
export interface VerificationTestCase {
    /** The test suite it belongs to in the JUnit file ("checks" or "atf"). */
    group: "checks" | "atf";
    /** Stable name: the check id, or the suite's name. */
    name: string;
    /** The text of the failure, or undefined when the case passed (warnings pass, with their text as output). */
    failure?: string;
    /** What the case found, shown as system-out. */
    output: string;
}

/** The report as test cases, one per check and one per ATF suite. */
export function verificationTestCases(report: VerificationReport): VerificationTestCase[] {
    return [
        ...report.checks.map((c) => ({
            group: "checks" as const,
            name: c.id,
            failure: blocksGate(c) ? `[${c.severity}] ${c.message}` : undefined,
            output: `${c.title}: ${c.message}`,
        })),
        ...report.suites.map((s) => ({
            group: "atf" as const,
            name: s.name,
            failure: s.passed ? undefined : s.message,
            output: [s.message, ...s.tests.map((t) => `${t.status}: ${t.name}: ${firstLine(t.output)}`)].join("\n"),
        })),
    ];
}

/** Options of {@link formatVerificationText}. */
export interface TextOptions {
    /**
     * ANSI colours (for a terminal).
     *
     * @default false
     */
    color?: boolean;
}

/**
 * The report for a person at a terminal: a headline, then each check and suite with a mark (✔ passed, ✖ blocks the
 * gate, ▲ warning), what it found, and the records to look at, indented under it.
 */
export function formatVerificationText(report: VerificationReport, opts: TextOptions = {}): string {
    const c = palette(opts.color ?? false);
    const lines: string[] = [];
    const epoch = report.cloneId
        ? `clone ${report.cloneId.slice(0, 8)}… started ${report.cloneStarted} UTC`
        : "no clone on record";
    lines.push(c.bold(`Verification of ${report.environment}`) + c.dim(` (${epoch})`), "");
    lines.push(c.bold("Checks"));
    for (const check of report.checks) {
        const mark = check.passed ? c.green("✔") : check.severity === "warning" ? c.yellow("▲") : c.red("✖");
        const tag = check.passed ? "" : c.dim(` [${check.severity}]`);
        lines.push(`  ${mark} ${check.title}${tag}`);
        if (!check.passed) {
            lines.push(`      ${check.message.split(": ")[0]}`);
            for (const o of check.offenders.slice(0, 10)) lines.push(c.dim(`        • ${o}`));
            if (check.offenderCount > 10) lines.push(c.dim(`        … and ${check.offenderCount - 10} more`));
            // The message ends with what to do ("…; apply environment:access or …"): keep it in view.
            const fix = check.message.includes("; ") ? check.message.slice(check.message.lastIndexOf("; ") + 2) : "";
            if (fix) lines.push(`      → ${fix}`);
        } else lines.push(c.dim(`      ${check.message}`));
    }
    if (report.suites.length > 0) {
        lines.push("", c.bold("ATF suites"));
        for (const s of report.suites) {
            const counts = `${s.counts.success} passed, ${s.counts.failure} failed, ${s.counts.error} errored, ${s.counts.skip} skipped`;
            lines.push(
                `  ${s.passed ? c.green("✔") : c.red("✖")} ${s.name} ${c.dim(`(${s.resultId ? counts : s.status})`)}`,
            );
            for (const t of s.tests.filter((x) => x.status !== "success")) {
                lines.push(
                    `      ${t.status === "skipped" ? c.dim("–") : c.red("✖")} ${t.name}: ${firstLine(t.output)}`,
                );
            }
            if (!s.resultId) lines.push(`      ${s.message}`);
        }
    }
    const blocking = blockingFindings(report).length;
    const warnings = report.checks.filter((x) => !x.passed && x.severity === "warning").length;
    lines.push(
        "",
        report.passed
            ? c.green(
                  c.bold(
                      `✔ Ready: every check and suite passed${warnings ? ` (${warnings} warning${warnings === 1 ? "" : "s"})` : ""}`,
                  ),
              )
            : c.red(c.bold(`✖ Not ready: ${blocking} finding${blocking === 1 ? "" : "s"} block the gate`)),
    );
    return `${lines.join("\n")}\n`;
}

function firstLine(text: string): string {
    return (text.split("\n")[0] ?? "").trim();
}

function palette(on: boolean) {
    const wrap = (code: string) => (s: string) => (on ? `\u001b[${code}m${s}\u001b[0m` : s);
    return { bold: wrap("1"), dim: wrap("2"), red: wrap("31"), green: wrap("32"), yellow: wrap("33") };
}
