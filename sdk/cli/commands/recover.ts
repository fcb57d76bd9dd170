/** `sn-clone recover`: after a killed run, make the environment's stack usable again and say what the next up will do. */
import { Option } from "commander";
import { recoverEnvironment } from "../../automation/recover";
import { type CliContext, ExitCode } from "../context";

/** Registers `recover` on the program. */
export function registerRecover(ctx: CliContext): void {
    ctx.program
        .command("recover")
        .description(
            "after a killed apply or destroy: repair an unreadable checkpoint (keeping a backup), release the stale " +
                "lock, clear pending operations, and preview what a re-run will do (run it only when no other run of " +
                "this environment is alive)",
        )
        .argument("<environment>", "the environment (stack)")
        .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text"))
        .action(async (environment: string, o: { format: "text" | "json" }) =>
            ctx.run(environment, async (opts) => {
                const report = await recoverEnvironment(opts);
                if (o.format === "json") ctx.io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
                else {
                    ctx.io.stdout.write(`Recovered ${environment}:\n`);
                    for (const step of report.steps) ctx.io.stdout.write(`  - ${step}\n`);
                    ctx.io.stdout.write(`Next: sn-clone apply ${environment} (converges) or destroy (restores).\n`);
                }
                return ExitCode.Ok;
            }),
        );
}
