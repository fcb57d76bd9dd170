/** `sn-clone preview`: what apply would change, per resource and property, without writing anything. */
import { withEnvironment } from "../../automation/environment";
import { type CliContext, describeChanges, ExitCode } from "../context";

/** Registers `preview` on the program. */
export function registerPreview(ctx: CliContext): void {
    ctx.program
        .command("preview")
        .description("show what apply would change, without writing anything")
        .argument("<environment>", "the environment (stack)")
        .option("--refresh", "read the instance first, so drift shows as changes")
        .option("--json", "print the planned changes as JSON, with each property that differs (detailedDiff)")
        .action(async (environment: string, o: { refresh?: boolean; json?: boolean }) =>
            ctx.run(environment, async (opts) => {
                const result = await withEnvironment({ ...opts, create: false }, (env) =>
                    env.preview({ refresh: o.refresh }),
                );
                if (o.json) {
                    ctx.io.stdout.write(`${JSON.stringify(result, (_k, v) => (v === undefined ? null : v), 2)}\n`);
                    return ExitCode.Ok;
                }
                ctx.io.stdout.write(`Preview of ${environment}: ${describeChanges(result.changes, true)}\n`);
                for (const p of result.planned) {
                    const props = p.properties.length > 0 ? ` (${p.properties.join(", ")})` : "";
                    ctx.io.stdout.write(`  ${p.op.padEnd(8)} ${p.type} ${p.name}${props}\n`);
                }
                return ExitCode.Ok;
            }),
        );
}
