/** `sn-clone destroy`: remove an environment's resources, putting back on the instance what they changed. */
import { withEnvironment } from "../../automation/environment";
import { type CliContext, describeChanges, ExitCode } from "../context";

/** Registers `destroy` on the program. */
export function registerDestroy(ctx: CliContext): void {
    ctx.program
        .command("destroy")
        .description("remove the environment's resources, putting back on the instance what they changed")
        .argument("<environment>", "the environment (stack)")
        .option("-y, --yes", "confirm (required: destroy unlocks users, re-enables jobs and restores email settings)")
        .action(async (environment: string, o: { yes?: boolean }) =>
            ctx.run(environment, async (opts) => {
                if (!o.yes && !ctx.globals().yes) {
                    ctx.io.stderr.write(
                        `sn-clone: destroy puts ${environment} back as it was before the stack (users unlocked, jobs re-enabled, email restored); add --yes to confirm\n`,
                    );
                    return ExitCode.Error;
                }
                const result = await withEnvironment({ ...opts, create: false }, (env) => env.destroy());
                ctx.io.stdout.write(`Destroyed ${environment}: ${describeChanges(result.changes)}\n`);
                return ExitCode.Ok;
            }),
        );
}
