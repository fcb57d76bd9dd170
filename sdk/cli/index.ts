/**
 * `sn-clone`: the environment stacks from a release pipeline or a terminal.
 *
 * Exit codes: 0 done (and no drift), 2 drift found (or `apply --expect-no-changes` found changes and wrote nothing),
 * 3 unsafe target (the production fence refused before writing), 4 verification failed (`verify`,
 * `apply --verify`), 1 any other error.
 *
 * Each command lives in its own module under `commands/` and is registered below with one line.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Command, CommanderError } from "commander";
import { CloneFailedError } from "../automation/clone";
import { formatDriftText } from "../automation/drift";
import {
    EnvironmentConfigError,
    EnvironmentOperationError,
    engineFailureText,
    NotConvergedError,
    UnsafeTargetError,
} from "../automation/environment";
import { packageRoot } from "../toolchain";
import { registerApply } from "./commands/apply";
import { registerDestroy } from "./commands/destroy";
import { registerDrift } from "./commands/drift";
import { registerHistory } from "./commands/history";
import { registerPreview } from "./commands/preview";
import { type CliIo, createContext, ExitCode } from "./context";
import { registerVerify } from "./verify";

export { type CliIo, describeChanges, ExitCode } from "./context";

/**
 * Runs the CLI and resolves to its exit code (never calls process.exit).
 *
 * @param argv full argv, e.g. `process.argv`.
 */
export async function main(argv: readonly string[], io: CliIo = process): Promise<number> {
    let code: number = ExitCode.Ok;
    const program = new Command("sn-clone")
        .description(
            "Apply, preview, check for drift, destroy and list the history of the post-clone environment stacks " +
                "(dev, qa, uat, training) of pulumi-servicenow-clone.\n\n" +
                "Exit codes: 0 done and clean, 2 drift found, 3 unsafe target (refused before writing), " +
                "4 verification failed (verify, apply --verify), 1 error.",
        )
        .version(packageVersion(), "-V, --version", "print the version of sn-clone")
        .option("--work-dir <dir>", "directory of the environment project's Pulumi.yaml (default: this package's)")
        .option(
            "--backend-url <url>",
            "Pulumi backend (default: $PULUMI_BACKEND_URL, the backend of `pulumi login`, else a file backend in " +
                "<your project>/.pulumi-state)",
        )
        .option("--pulumi-home <dir>", "PULUMI_HOME for the Pulumi CLI (default: $PULUMI_HOME or ~/.pulumi)")
        .option("--no-progress", "do not show progress on stderr")
        .option("--verbose", "also show the engine's info messages")
        .option("-y, --yes", "as in Pulumi: confirm without asking (destroy needs it)")
        .option("--non-interactive", "as in Pulumi: never prompt (sn-clone never does; accepted for scripts)")
        .exitOverride()
        .configureOutput({
            writeOut: (s) => io.stdout.write(s),
            writeErr: (s) => io.stderr.write(s),
        })
        .showHelpAfterError("(run sn-clone --help for usage)");

    const ctx = createContext(program, io, (c) => {
        code = c;
    });
    registerApply(ctx);
    registerPreview(ctx);
    registerDrift(ctx);
    registerDestroy(ctx);
    registerHistory(ctx);
    registerVerify(ctx);

    try {
        await program.parseAsync([...argv]);
        return code;
    } catch (err) {
        return reportError(err, io);
    }
}

/** The version in package.json (the CLI ships inside the package). */
function packageVersion(): string {
    try {
        return (JSON.parse(fs.readFileSync(path.join(packageRoot, "package.json"), "utf8")) as { version: string })
            .version;
    } catch {
        return "unknown";
    }
}

/** Prints an error the way a user can act on it and returns the exit code for it. */
function reportError(err: unknown, io: CliIo): number {
    if (err instanceof CommanderError) {
        // Help and version are "errors" to commander; their text is already printed.
        return err.exitCode === 0 ? ExitCode.Ok : ExitCode.Error;
    }
    if (err instanceof UnsafeTargetError) {
        io.stderr.write(`sn-clone: unsafe target, nothing was written:\n  ${err.message}\n`);
        return ExitCode.UnsafeTarget;
    }
    if (err instanceof NotConvergedError) {
        io.stdout.write(formatDriftText(err.report));
        io.stderr.write(`sn-clone: ${err.message}\n`);
        return ExitCode.Drift;
    }
    if (
        err instanceof EnvironmentConfigError ||
        err instanceof EnvironmentOperationError ||
        err instanceof CloneFailedError
    ) {
        io.stderr.write(`sn-clone: ${err.message}\n`);
        return ExitCode.Error;
    }
    // Anything else (e.g. the CLI refused to open the stack) without the Automation API's command-line wrapping.
    io.stderr.write(`sn-clone: ${engineFailureText(err)}\n`);
    return ExitCode.Error;
}
