/**
 * What every `sn-clone` command module gets: the commander program to register on, where to write, and `run`, which
 * opens nothing itself but hands the action the environment options built from the global flags (backend, work dir,
 * progress display, Ctrl-C) and records the exit code the action returns.
 */
import * as path from "node:path";
import type { Command } from "commander";
import type { EnvironmentOptions } from "../automation/environment";
import { createProgressView } from "./progress-view";

/** Exit codes of `sn-clone`. */
export const ExitCode = { Ok: 0, Error: 1, Drift: 2, UnsafeTarget: 3 } as const;

/** Where the CLI writes; tests pass their own. */
export interface CliIo {
    stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
    stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
}

/** The global flags, as commander parses them. */
export interface GlobalOptions {
    workDir?: string;
    backendUrl?: string;
    pulumiHome?: string;
    progress: boolean;
    verbose?: boolean;
    /** Pulumi's `--yes`: confirms destroy like the command's own `--yes`. */
    yes?: boolean;
    /** Pulumi's `--non-interactive`: sn-clone never prompts, so it changes nothing but is accepted. */
    nonInteractive?: boolean;
}

/** Passed to every command module's `register` function. */
export interface CliContext {
    program: Command;
    io: CliIo;
    /** The global flags (read when an action runs, after parsing). */
    globals(): GlobalOptions;
    /** Runs an action for an environment with the global options applied; its result becomes the exit code. */
    run(environment: string, action: (opts: EnvironmentOptions) => Promise<number>): Promise<void>;
}

/** Builds the context; `setCode` receives each action's exit code. */
export function createContext(program: Command, io: CliIo, setCode: (code: number) => void): CliContext {
    const globals = () => program.opts<GlobalOptions>();
    return {
        program,
        io,
        globals,
        async run(environment, action) {
            const g = globals();
            // Every error of a failed operation is in the error the action throws, which the CLI prints last: the
            // progress view leaves errors out so each is printed once.
            const view = g.progress ? createProgressView(io.stderr, { verbose: g.verbose, errors: false }) : undefined;
            const controller = new AbortController();
            const onSigint = () => controller.abort(new Error("interrupted"));
            process.once("SIGINT", onSigint);
            try {
                setCode(
                    await action({
                        environment,
                        ...(g.workDir ? { workDir: path.resolve(g.workDir) } : {}),
                        ...(g.backendUrl ? { backendUrl: g.backendUrl } : {}),
                        ...(g.pulumiHome ? { pulumiHome: path.resolve(g.pulumiHome) } : {}),
                        ...(view ? { onProgress: view.listener } : {}),
                        signal: controller.signal,
                    }),
                );
            } finally {
                view?.finish();
                process.off("SIGINT", onSigint);
            }
        },
    };
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
