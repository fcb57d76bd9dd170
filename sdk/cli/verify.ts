/**
 * `sn-clone verify <env>` and `apply --verify`: the post-clone checks and the environment's ATF suites, reported for a
 * person (text), for scripts (JSON) or for CI (JUnit, through the same writer as drift); exit 4 when the gate fails.
 */
import * as fs from "node:fs";
import { type Command, Option } from "commander";
import type { EnvironmentOptions } from "../automation/environment";
import { withEnvironment } from "../automation/environment";
import { formatJunit } from "../automation/junit";
import {
    EXIT_VERIFICATION_FAILED,
    formatVerificationText,
    type VerificationReport,
    verificationTestCases,
    verifySession,
} from "../automation/verify";

/** Output formats of a verification report. */
export type VerifyFormat = "text" | "json" | "junit";

/** What the command needs from the CLI: the program, where to write, and the runner of environment actions. */
export interface VerifyCli {
    program: Command;
    io: { stdout: NodeJS.WritableStream & { isTTY?: boolean } };
    run(environment: string, action: (opts: EnvironmentOptions) => Promise<number>): Promise<void>;
}

/** Renders a report in a format (text in colour when asked). */
export function renderVerification(report: VerificationReport, format: VerifyFormat, color = false): string {
    if (format === "json") return `${JSON.stringify(report, null, 2)}\n`;
    if (format === "junit") return verificationJunit(report);
    return formatVerificationText(report, { color });
}

/** JUnit XML: a test suite of checks and one of ATF suites, one test case per check and per suite. */
export function verificationJunit(report: VerificationReport): string {
    const cases = verificationTestCases(report);
    return formatJunit({
        name: "verify",
        suites: (["checks", "atf"] as const).map((group) => ({
            name: `${report.environment}.${group}`,
            timestamp: report.checkedAt,
            cases: cases
                .filter((c) => c.group === group)
                .map((c) => ({
                    classname: `${report.environment}.${group}`,
                    name: c.name,
                    output: c.output,
                    ...(c.failure
                        ? {
                              failure: {
                                  message: c.failure.split("\n")[0] ?? "",
                                  type: "verification",
                                  body: c.failure,
                              },
                          }
                        : {}),
                })),
        })),
    });
}

/** Registers `verify`, and `--verify` on `apply` (run after a successful apply, its result the exit code). */
export function registerVerify(cli: VerifyCli): void {
    const verifyAndReport = (environment: string, format: VerifyFormat, output?: string) =>
        cli.run(environment, async (opts) => {
            const report = await withEnvironment({ ...opts, create: false }, (session) => verifySession(session));
            cli.io.stdout.write(renderVerification(report, format, format === "text" && cli.io.stdout.isTTY === true));
            if (output) fs.writeFileSync(output, renderVerification(report, format));
            return report.passed ? 0 : EXIT_VERIFICATION_FAILED;
        });

    cli.program
        .command("verify")
        .description(
            "run the post-clone checks and the environment's ATF suites on its instance (writes nothing but " +
                "sn_atf.runner.enabled while suites run); exit 4 when a check or a suite blocks the gate",
        )
        .argument("<environment>", "the environment (stack)")
        .addOption(new Option("--format <format>", "report format").choices(["text", "json", "junit"]).default("text"))
        .option("-o, --output <file>", "also write the report to this file (e.g. for a CI test report)")
        .action((environment: string, o: { format: VerifyFormat; output?: string }) =>
            verifyAndReport(environment, o.format, o.output),
        );

    const apply = cli.program.commands.find((c) => c.name() === "apply");
    apply
        ?.option("--verify", "verify the environment as the last step (exit 4 when the gate fails)")
        // Runs only when apply succeeded (a failed apply rejects before post-action hooks).
        .hook("postAction", async (command) => {
            if (!command.opts<{ verify?: boolean }>().verify) return;
            cli.io.stdout.write("\n");
            await verifyAndReport(String(command.args[0]), "text");
        });
}
