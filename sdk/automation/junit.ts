/**
 * The one JUnit XML writer of the reports `sn-clone` prints for CI (drift, verify): test suites of test cases, each
 * passing or failing with a message and a body, all text escaped.
 */

/** One test case. */
export interface JunitCase {
    classname: string;
    name: string;
    /** Present when the case failed. */
    failure?: { message: string; type: string; body: string };
    /** What the case found, as `<system-out>`. */
    output?: string;
}

/** One `<testsuite>`. */
export interface JunitSuite {
    name: string;
    /** ISO 8601. */
    timestamp?: string;
    cases: JunitCase[];
}

/** A whole report. */
export interface JunitReport {
    /** The `<testsuites name>`. */
    name: string;
    suites: JunitSuite[];
}

/** Renders a report as JUnit XML. */
export function formatJunit(report: JunitReport): string {
    const failures = (cases: readonly JunitCase[]) => cases.filter((c) => c.failure).length;
    const all = report.suites.flatMap((s) => s.cases);
    const suites = report.suites.map((s) => {
        const cases = s.cases.map((c) => {
            const inner = [
                c.failure
                    ? `      <failure message="${xml(c.failure.message)}" type="${xml(c.failure.type)}">${xml(c.failure.body)}</failure>`
                    : "",
                c.output ? `      <system-out>${xml(c.output)}</system-out>` : "",
            ].filter(Boolean);
            const open = `    <testcase classname="${xml(c.classname)}" name="${xml(c.name)}">`;
            return inner.length > 0 ? `${open}\n${inner.join("\n")}\n    </testcase>` : `${open}</testcase>`;
        });
        const stamp = s.timestamp ? ` timestamp="${xml(s.timestamp)}"` : "";
        return (
            `  <testsuite name="${xml(s.name)}" tests="${s.cases.length}" failures="${failures(s.cases)}"${stamp}>\n` +
            (cases.length > 0 ? `${cases.join("\n")}\n` : "") +
            "  </testsuite>"
        );
    });
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' +
        `<testsuites name="${xml(report.name)}" tests="${all.length}" failures="${failures(all)}">\n` +
        `${suites.join("\n")}\n` +
        "</testsuites>\n"
    );
}

/** Escapes text for an XML attribute or element. */
export function xml(text: string): string {
    return text
        .replaceAll("&", "&amp;")
        .replaceAll("<", "&lt;")
        .replaceAll(">", "&gt;")
        .replaceAll('"', "&quot;")
        .replaceAll("'", "&apos;");
}
