/**
 * Runs the real `sn-clone` bin the way a pipeline does (a child process, asynchronously: the emulator serves from the
 * test's own process) and collects its exit code and output, for the CLI integration specs.
 */
import { spawn } from "node:child_process";
import * as path from "node:path";
import { packageRoot } from "../../sdk/toolchain";

/** The packaged CLI entry point. */
export const SN_CLONE_BIN = path.join(packageRoot, "bin", "sn-clone.cjs");

/** What a finished command gave. */
export interface Run {
    code: number | null;
    stdout: string;
    stderr: string;
}

/**
 * Runs a command to its end.
 *
 * @param env the complete environment of the child (callers merge `process.env` themselves when they want it).
 */
export function runCommand(
    command: string,
    args: readonly string[],
    env: NodeJS.ProcessEnv,
    cwd = packageRoot,
): Promise<Run> {
    return new Promise((resolve, reject) => {
        const child = spawn(command, [...args], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => {
            stdout += d;
        });
        child.stderr.on("data", (d) => {
            stderr += d;
        });
        child.on("error", reject);
        child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
}

/** Runs `sn-clone <args>` with this process's environment plus `env`. */
export function snClone(args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
    return runCommand(process.execPath, [SN_CLONE_BIN, ...args], { ...process.env, ...env });
}
