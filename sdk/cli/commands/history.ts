/** `sn-clone history`: an environment's past operations, newest first, numbered from the first. */
import { Option } from "commander";
import { withEnvironment } from "../../automation/environment";
import { CLONES_HELP, type HistoryCliOptions, printCloneHistory } from "../clone-history";
import { type CliContext, describeChanges, ExitCode } from "../context";

/** Registers `history` on the program. */
export function registerHistory(ctx: CliContext): void {
    ctx.program
        .command("history")
        .description("list the environment's past operations, newest first")
        .argument("<environment>", "the environment (stack)")
        .option("-n, --limit <count>", "how many entries", (v) => Number.parseInt(v, 10), 20)
        .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text"))
        .option("--clones", CLONES_HELP)
        .action(async (environment: string, o: HistoryCliOptions) =>
            ctx.run(environment, async (opts) => {
                if (o.clones)
                    return printCloneHistory(ctx.io.stdout, { ...opts, limit: o.limit }, o.format, describeChanges);
                const entries = await withEnvironment({ ...opts, create: false, onProgress: undefined }, (env) =>
                    env.history(o.limit),
                );
                if (o.format === "json") {
                    ctx.io.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
                    return ExitCode.Ok;
                }
                if (entries.length === 0) ctx.io.stdout.write(`${environment} has no history yet\n`);
                for (const h of entries) {
                    ctx.io.stdout.write(
                        `  #${String(h.version).padEnd(4)} ${h.kind.padEnd(8)} ${h.result.padEnd(10)} ${h.startTime}  ${describeChanges(h.changes)}${h.message ? `  "${h.message}"` : ""}\n`,
                    );
                }
                return ExitCode.Ok;
            }),
        );
}
