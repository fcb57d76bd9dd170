/** `sn-clone apply`: converge an environment's instance to its stack config, optionally cloning first. */
import { withEnvironment } from "../../automation/environment";
import { type CliContext, describeChanges, ExitCode } from "../context";

/** Registers `apply` on the program. */
export function registerApply(ctx: CliContext): void {
    ctx.program
        .command("apply")
        .description("converge the environment's instance to its stack config (optionally cloning production first)")
        .argument("<environment>", "the environment (stack): dev, qa, uat, training...")
        .option(
            "--clone",
            "request a clone of the source instance into this one first, and wait for it; says first what the clone " +
                "would destroy on the instance and parks the update sets environment:inFlight carries",
        )
        .option(
            "--require-no-loss",
            "with --clone: refuse, writing nothing, if the clone would destroy work the stack does not carry " +
                "(as environment:clone.requireNoLoss does)",
        )
        .option(
            "--expect-no-changes",
            "prove the environment is converged: preview first and stop, writing nothing, if anything would change (exit 2)",
        )
        .option("--no-refresh", "skip reading the instance first (faster; drift made behind the stack's back stays)")
        .option("-m, --message <text>", "message recorded in the environment's history")
        .action(
            async (
                environment: string,
                o: {
                    clone?: boolean;
                    requireNoLoss?: boolean;
                    expectNoChanges?: boolean;
                    refresh?: boolean;
                    message?: string;
                },
            ) =>
                ctx.run(environment, async (opts) => {
                    if (o.requireNoLoss && !o.clone) {
                        ctx.io.stderr.write("sn-clone: --require-no-loss applies to --clone; add --clone or drop it\n");
                        return ExitCode.Error;
                    }
                    const result = await withEnvironment(opts, (env) =>
                        env.apply({
                            clone: o.clone ? { requireNoLoss: o.requireNoLoss } : false,
                            expectNoChanges: o.expectNoChanges,
                            refresh: o.refresh,
                            message: o.message,
                        }),
                    );
                    const out = ctx.io.stdout;
                    if (result.clone) {
                        out.write(`Before the clone, ${result.clone.lossReport.join("\n")}\n`);
                        if (result.clone.parkedUpdateSets.length > 0) {
                            out.write(
                                `Parked on the holding instance: ${result.clone.parkedUpdateSets.map((n) => `"${n}"`).join(", ")}\n`,
                            );
                        }
                        out.write(
                            `Cloned into ${environment}: request ${result.clone.id}, completed ${result.clone.completed}\n`,
                        );
                    }
                    out.write(
                        `Applied ${environment} in ${result.durationSeconds.toFixed(0)}s: ${describeChanges(result.changes)}\n`,
                    );
                    for (const [k, v] of Object.entries(result.outputs)) out.write(`  ${k}: ${JSON.stringify(v)}\n`);
                    return ExitCode.Ok;
                }),
        );
}
