/** `sn-clone drift`: every resource whose live state differs from what the stack declares; exit 2 when any does. */
import * as fs from "node:fs";
import { Option } from "commander";
import { formatDriftJson, formatDriftJunit, formatDriftText } from "../../automation/drift";
import { withEnvironment } from "../../automation/environment";
import { type CliContext, ExitCode } from "../context";

/** Registers `drift` on the program. */
export function registerDrift(ctx: CliContext): void {
    ctx.program
        .command("drift")
        .description(
            "read every resource back from the instance and report what differs from the stack's config (writes " +
                "nothing); exit 2 on drift",
        )
        .argument("<environment>", "the environment (stack)")
        .addOption(new Option("--format <format>", "report format").choices(["text", "json", "junit"]).default("text"))
        .option("-o, --output <file>", "also write the report to this file (e.g. for a CI test report)")
        .action(async (environment: string, o: { format: "text" | "json" | "junit"; output?: string }) =>
            ctx.run(environment, async (opts) => {
                const report = await withEnvironment({ ...opts, create: false }, (env) => env.drift());
                const text =
                    o.format === "json"
                        ? formatDriftJson(report)
                        : o.format === "junit"
                          ? formatDriftJunit(report)
                          : formatDriftText(report);
                ctx.io.stdout.write(text);
                if (o.output) fs.writeFileSync(o.output, text);
                return report.drifted ? ExitCode.Drift : ExitCode.Ok;
            }),
        );
}
