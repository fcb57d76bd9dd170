/**
 * `sn-clone`: the environment stacks from a release pipeline or a terminal.
 *
 * Exit codes: 0 done (and no drift), 2 drift found, 3 unsafe target (the production fence refused before writing),
 * 1 any other error.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Command, CommanderError, Option } from "commander";
import { CloneFailedError } from "../automation/clone";
import { formatDriftJson, formatDriftJunit, formatDriftText } from "../automation/drift";
import {
    EnvironmentConfigError,
    EnvironmentOperationError,
    type EnvironmentOptions,
    UnsafeTargetError,
    withEnvironment,
} from "../automation/environment";
import { CLONES_HELP, type HistoryCliOptions, printCloneHistory } from "./clone-history";
import { createProgressView } from "./progress-view";

/** Exit codes of `sn-clone`. */
export const ExitCode = { Ok: 0, Error: 1, Drift: 2, UnsafeTarget: 3 } as const;

/** Where the CLI writes; tests pass their own. */
export interface CliIo {
    stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
    stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
}

interface GlobalOptions {
    workDir?: string;
    backendUrl?: string;
    pulumiHome?: string;
    progress: boolean;
    verbose?: boolean;
}

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
                "Exit codes: 0 done and clean, 2 drift found, 3 unsafe target (refused before writing), 1 error.",
        )
        .option("--work-dir <dir>", "directory of the environment project's Pulumi.yaml (default: this package's)")
        .option(
            "--backend-url <url>",
            "Pulumi backend (default: $PULUMI_BACKEND_URL, else a file backend in the package)",
        )
        .option("--pulumi-home <dir>", "PULUMI_HOME for the Pulumi CLI (default: $PULUMI_HOME or ~/.pulumi)")
        .option("--no-progress", "do not show progress on stderr")
        .option("--verbose", "also show the engine's info messages")
        .exitOverride()
        .configureOutput({
            writeOut: (s) => io.stdout.write(s),
            writeErr: (s) => io.stderr.write(s),
        })
        .showHelpAfterError("(run sn-clone --help for usage)");

    const run = async (environment: string, action: (opts: EnvironmentOptions) => Promise<number>) => {
        const g = program.opts<GlobalOptions>();
        const view = g.progress ? createProgressView(io.stderr, { verbose: g.verbose }) : undefined;
        const controller = new AbortController();
        const onSigint = () => controller.abort(new Error("interrupted"));
        process.once("SIGINT", onSigint);
        try {
            code = await action({
                environment,
                ...(g.workDir ? { workDir: path.resolve(g.workDir) } : {}),
                ...(g.backendUrl ? { backendUrl: g.backendUrl } : {}),
                ...(g.pulumiHome ? { pulumiHome: path.resolve(g.pulumiHome) } : {}),
                ...(view ? { onProgress: view.listener } : {}),
                signal: controller.signal,
            });
        } finally {
            view?.finish();
            process.off("SIGINT", onSigint);
        }
    };

    program
        .command("apply")
        .description("converge the environment's instance to its stack config (optionally cloning production first)")
        .argument("<environment>", "the environment (stack): dev, qa, uat, training...")
        .option("--clone", "request a clone of the source instance into this one first, and wait for it")
        .option("--expect-no-changes", "fail if anything would change (proves the environment is converged)")
        .option("--no-refresh", "skip reading the instance first (faster; drift made behind the stack's back stays)")
        .option("-m, --message <text>", "message recorded in the environment's history")
        .action(
            async (
                environment: string,
                o: { clone?: boolean; expectNoChanges?: boolean; refresh?: boolean; message?: string },
            ) =>
                run(environment, async (opts) => {
                    const result = await withEnvironment(opts, (env) =>
                        env.apply({
                            clone: o.clone,
                            expectNoChanges: o.expectNoChanges,
                            refresh: o.refresh,
                            message: o.message,
                        }),
                    );
                    const out = io.stdout;
                    if (result.clone)
                        out.write(
                            `Cloned into ${environment}: request ${result.clone.id}, completed ${result.clone.completed}\n`,
                        );
                    out.write(
                        `Applied ${environment} in ${result.durationSeconds.toFixed(0)}s: ${describeChanges(result.changes)}\n`,
                    );
                    for (const [k, v] of Object.entries(result.outputs)) out.write(`  ${k}: ${JSON.stringify(v)}\n`);
                    return ExitCode.Ok;
                }),
        );

    program
        .command("preview")
        .description("show what apply would change, without writing anything")
        .argument("<environment>", "the environment (stack)")
        .option("--refresh", "read the instance first, so drift shows as changes")
        .action(async (environment: string, o: { refresh?: boolean }) =>
            run(environment, async (opts) => {
                const result = await withEnvironment({ ...opts, create: false }, (env) =>
                    env.preview({ refresh: o.refresh }),
                );
                io.stdout.write(`Preview of ${environment}: ${describeChanges(result.changes, true)}\n`);
                for (const p of result.planned) {
                    const props = p.properties.length > 0 ? ` (${p.properties.join(", ")})` : "";
                    io.stdout.write(`  ${p.op.padEnd(8)} ${p.type} ${p.name}${props}\n`);
                }
                return ExitCode.Ok;
            }),
        );

    program
        .command("drift")
        .description(
            "read every resource back from the instance and report what differs (writes nothing); exit 2 on drift",
        )
        .argument("<environment>", "the environment (stack)")
        .addOption(new Option("--format <format>", "report format").choices(["text", "json", "junit"]).default("text"))
        .option("-o, --output <file>", "also write the report to this file (e.g. for a CI test report)")
        .action(async (environment: string, o: { format: "text" | "json" | "junit"; output?: string }) =>
            run(environment, async (opts) => {
                const report = await withEnvironment({ ...opts, create: false }, (env) => env.drift());
                const text =
                    o.format === "json"
                        ? formatDriftJson(report)
                        : o.format === "junit"
                          ? formatDriftJunit(report)
                          : formatDriftText(report);
                io.stdout.write(text);
                if (o.output) fs.writeFileSync(o.output, text);
                return report.drifted ? ExitCode.Drift : ExitCode.Ok;
            }),
        );

    program
        .command("destroy")
        .description("remove the environment's resources, putting back on the instance what they changed")
        .argument("<environment>", "the environment (stack)")
        .option("--yes", "confirm (required: destroy unlocks users, re-enables jobs and restores email settings)")
        .action(async (environment: string, o: { yes?: boolean }) =>
            run(environment, async (opts) => {
                if (!o.yes) {
                    io.stderr.write(
                        `sn-clone: destroy puts ${environment} back as it was before the stack (users unlocked, jobs re-enabled, email restored); add --yes to confirm\n`,
                    );
                    return ExitCode.Error;
                }
                const result = await withEnvironment({ ...opts, create: false }, (env) => env.destroy());
                io.stdout.write(`Destroyed ${environment}: ${describeChanges(result.changes)}\n`);
                return ExitCode.Ok;
            }),
        );

    program
        .command("history")
        .description("list the environment's past operations, newest first")
        .argument("<environment>", "the environment (stack)")
        .option("-n, --limit <count>", "how many entries", (v) => Number.parseInt(v, 10), 20)
        .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text"))
        .option("--clones", CLONES_HELP)
        .action(async (environment: string, o: HistoryCliOptions) =>
            run(environment, async (opts) => {
                if (o.clones)
                    return printCloneHistory(io.stdout, { ...opts, limit: o.limit }, o.format, describeChanges);
                const entries = await withEnvironment({ ...opts, create: false, onProgress: undefined }, (env) =>
                    env.history(o.limit),
                );
                if (o.format === "json") {
                    io.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
                    return ExitCode.Ok;
                }
                if (entries.length === 0) io.stdout.write(`${environment} has no history yet\n`);
                for (const h of entries) {
                    io.stdout.write(
                        `  #${String(h.version).padEnd(4)} ${h.kind.padEnd(8)} ${h.result.padEnd(10)} ${h.startTime}  ${describeChanges(h.changes)}${h.message ? `  "${h.message}"` : ""}\n`,
                    );
                }
                return ExitCode.Ok;
            }),
        );

    try {
        await program.parseAsync([...argv]);
        return code;
    } catch (err) {
        return reportError(err, io);
    }
}

/** Prints an error the way a user can act on it and returns the exit code for it. */
function reportError(err: unknown, io: CliIo): number {
    if (err instanceof CommanderError) {
        // Help and version are "errors" to commander; their text is already printed.
        return err.exitCode === 0 ? ExitCode.Ok : ExitCode.Error;
    }
    if (err instanceof UnsafeTargetError) {
        io.stderr.write(`sn-clone: unsafe target, nothing was written by the refused resource:\n  ${err.message}\n`);
        return ExitCode.UnsafeTarget;
    }
    if (
        err instanceof EnvironmentConfigError ||
        err instanceof EnvironmentOperationError ||
        err instanceof CloneFailedError
    ) {
        io.stderr.write(`sn-clone: ${err.message}\n`);
        return ExitCode.Error;
    }
    io.stderr.write(`sn-clone: ${err instanceof Error ? err.message : String(err)}\n`);
    return ExitCode.Error;
}

/** "6 created, 1 unchanged" (or "6 to create" for a preview). */
export function describeChanges(changes: Record<string, number | undefined>, planned = false): string {
    const parts = Object.entries(changes)
        .filter(([, n]) => (n ?? 0) > 0)
        .map(([op, n]) => {
            if (op === "same") return `${n} unchanged`;
            const verb = VERBS[op];
            return `${n} ${verb ? (planned ? `to ${verb[0]}` : verb[1]) : op}`;
        });
    return parts.length > 0 ? parts.join(", ") : "nothing to do";
}

const VERBS: Record<string, [string, string]> = {
    create: ["create", "created"],
    update: ["update", "updated"],
    delete: ["delete", "deleted"],
    replace: ["replace", "replaced"],
};
