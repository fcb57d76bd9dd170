/**
 * The kill suite's harness: run `pulumi up` on a fresh emulator, SIGKILL one process (the CLI, an automation host's
 * process group, or the dynamic-provider processes) once the instance has seen a given number of writes, then recover,
 * re-run `up`, `destroy`, and compare every table field by field with the snapshot taken before the first `up`.
 *
 * Used by test/integration/crash.spec.ts (a few kill points) and bench/kill-suite.ts (many).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import { isWriteRequest, type RunningEmulator, type RunningInstance, startEmulator } from "../../emulator/index";
import { recoverStack } from "../../sdk/automation/recover";
import { bootstrappedToolchain, offlineEnv, packageRoot, resolvePulumiCommand } from "../../sdk/toolchain";
import { snapshotDiff, wholeInstance } from "./snapshot";

/** Which process is killed. */
export type KillKind = "cli" | "host" | "provider";

const TARGET = "acme-qa";
const PASSWORD = "Kill-Suite-Pa55word!";

/** What one kill run observed. */
export interface KillRunResult {
    kind: KillKind;
    /** Writes the instance had seen when the kill was sent, and the total a full up makes. */
    killedAt: number;
    /** Writes that reached the instance more than `graceMs` after the kill (must be 0). */
    lateWrites: number;
    /** Steps recovery reported. */
    recovery: string[];
    /** Fields that differ after recover → up → destroy from the snapshot before the first up (must be empty). */
    differences: string[];
    /** Whether the re-run `up` converged (a second `up` had nothing to change). */
    converged: boolean;
}

/** Starts the emulator every kill run uses: the same seed each time, so runs are comparable. */
export async function startKillTarget(): Promise<{ emu: RunningEmulator; target: RunningInstance }> {
    const emu = await startEmulator({
        instances: [{ name: TARGET, port: 0, seed: "production" }],
        users: 1500,
        jobs: 150,
        adminPassword: PASSWORD,
        randomSeed: 7,
        // Each written record costs a little server time, so a kill lands inside the apply rather than after it.
        cost: { roundTripMs: 0, transactionMs: 0, readRecordMs: 0, writeRecordMs: 2, concurrency: 0, queueDepth: 0 },
    });
    return { emu, target: emu.instances.get(TARGET)! };
}

/** Write requests (batch items included) the instance has logged. */
function writes(emu: RunningEmulator): { seq: number; time: number }[] {
    return emu.stats
        .requests(TARGET)
        .filter((e) => isWriteRequest(e) && e.status < 400)
        .map((e) => ({ seq: e.seq, time: Date.parse(e.time) }));
}

/** A temporary stack of the crash fixture on its own file backend, with the CLI's environment to run it by hand. */
async function tempStack(target: RunningInstance) {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pssc-kill-"));
    const stateDir = path.join(tmp, "state");
    const home = path.join(tmp, "home");
    fs.mkdirSync(stateDir);
    fs.mkdirSync(home);
    const workDir = path.join(packageRoot, "test", "fixtures", "crash");
    const env = offlineEnv({
        PULUMI_BACKEND_URL: `file://${stateDir}`,
        PULUMI_CONFIG_PASSPHRASE: "kill-suite-passphrase",
        PULUMI_HOME: home,
    });
    const stack = await LocalWorkspace.createStack(
        { stackName: `k${process.pid}${Date.now().toString(36)}`, workDir },
        { pulumiCommand: await resolvePulumiCommand(), pulumiHome: home, envVars: env },
    );
    await stack.setAllConfig({
        "servicenow:instanceUrl": { value: target.url },
        "servicenow:username": { value: "admin" },
        "servicenow:password": { value: PASSWORD, secret: true },
        "servicenow:instanceName": { value: TARGET },
        "servicenow:productionInstances": { value: JSON.stringify(["acme"]) },
    });
    const cleanup = async () => {
        await stack.workspace.removeStack(stack.name, { force: true }).catch(() => undefined);
        fs.rmSync(path.join(workDir, `Pulumi.${stack.name}.yaml`), { force: true });
        fs.rmSync(tmp, { recursive: true, force: true });
    };
    return { stack, env, workDir, stateDir, cleanup };
}

/** The pids of every descendant of a process (Linux /proc). */
export function descendants(pid: number): number[] {
    const children = new Map<number, number[]>();
    for (const entry of fs.readdirSync("/proc")) {
        if (!/^\d+$/.test(entry)) continue;
        try {
            const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
            const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
            children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
        } catch {
            // The process ended while we looked.
        }
    }
    const out: number[] = [];
    const walk = (p: number) => {
        for (const c of children.get(p) ?? []) {
            out.push(c);
            walk(c);
        }
    };
    walk(pid);
    return out;
}

/** A process's command line, "" when it is gone. */
export function cmdline(pid: number): string {
    try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
    } catch {
        return "";
    }
}

/** Resolves when the process has exited. */
export function exited(child: ChildProcess): Promise<void> {
    return new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) resolve();
        else child.once("exit", () => resolve());
    });
}

/** Starts `pulumi up` the way the kill kind needs: the CLI itself, or an automation host in its own process group. */
function startUp(kind: KillKind, s: Awaited<ReturnType<typeof tempStack>>): ChildProcess {
    const pulumi = path.join(bootstrappedToolchain()!.root, "bin", "pulumi");
    if (kind === "host") {
        const script = [
            'const { LocalWorkspace, PulumiCommand } = require("@pulumi/pulumi/automation");',
            "(async () => {",
            `  const cmd = await PulumiCommand.get({ root: ${JSON.stringify(path.dirname(path.dirname(pulumi)))}, skipVersionCheck: true });`,
            `  const stack = await LocalWorkspace.selectStack({ stackName: ${JSON.stringify(s.stack.name)}, workDir: ${JSON.stringify(s.workDir)} }, { pulumiCommand: cmd, envVars: ${JSON.stringify(s.env)} });`,
            "  await stack.up();",
            "})().catch(() => process.exit(1));",
        ].join("\n");
        return spawn(process.execPath, ["-e", script], {
            cwd: packageRoot,
            env: { ...process.env, ...s.env },
            detached: true,
            stdio: "ignore",
        });
    }
    return spawn(pulumi, ["up", "--yes", "--skip-preview", "--non-interactive", "--stack", s.stack.name], {
        cwd: s.workDir,
        env: { ...process.env, ...s.env },
        stdio: "ignore",
    });
}

/** Kills the chosen process: the CLI, the host's whole process group, or the dynamic-provider processes only. */
function kill(kind: KillKind, child: ChildProcess): void {
    const pid = child.pid!;
    if (kind === "host") process.kill(-pid, "SIGKILL");
    else if (kind === "cli") process.kill(pid, "SIGKILL");
    else for (const p of descendants(pid)) if (cmdline(p).includes("dynamic-provider")) process.kill(p, "SIGKILL");
}

/** Counts the writes a complete first `up` makes on a fresh instance (to place kill points along it). */
export async function writesOfFullUp(): Promise<number> {
    const { emu, target } = await startKillTarget();
    const s = await tempStack(target);
    try {
        await s.stack.up();
        return writes(emu).length;
    } finally {
        await s.cleanup();
        await emu.stop();
    }
}

/**
 * One kill run: up, kill at `killAfterWrites`, recover, up, a second up (must change nothing), destroy, compare.
 *
 * @param graceMs writes later than this after the kill count as late (the process should have stopped).
 */
export async function killRun(kind: KillKind, killAfterWrites: number, graceMs = 3000): Promise<KillRunResult> {
    const { emu, target } = await startKillTarget();
    const before = wholeInstance(target.db);
    const s = await tempStack(target);
    try {
        const child = startUp(kind, s);
        const done = exited(child);
        const deadline = Date.now() + 300_000;
        let finished = false;
        void done.then(() => {
            finished = true;
        });
        while (!finished && writes(emu).length < killAfterWrites && Date.now() < deadline)
            await new Promise((r) => setTimeout(r, 10));
        const killedAt = writes(emu).length;
        const killTime = Date.now();
        if (!finished) kill(kind, child);
        await done;
        if (kind === "cli" || kind === "host") {
            // The providers the dead engine started must stop by themselves; give them the grace period to do so.
            await new Promise((r) => setTimeout(r, graceMs + 1000));
        }
        const lateWrites = writes(emu).filter((w) => w.time > killTime + graceMs).length;
        const report = await recoverStack(s.stack, s.env.PULUMI_BACKEND_URL);
        await s.stack.up();
        const second = await s.stack.preview();
        const converged = Object.entries(second.changeSummary ?? {}).every(([op, n]) => op === "same" || !n);
        await s.stack.destroy();
        return {
            kind,
            killedAt,
            lateWrites,
            recovery: report.steps,
            differences: snapshotDiff(before, wholeInstance(target.db)),
            converged,
        };
    } finally {
        // A provider process that outlived its engine would keep the test alive: make sure none is left.
        for (const p of descendants(process.pid))
            if (cmdline(p).includes("dynamic-provider")) process.kill(p, "SIGKILL");
        await s.cleanup();
        await emu.stop();
    }
}

/** Used by the bench to print which processes were left (there must be none). */
export function leftoverProviders(): string[] {
    try {
        return execFileSync("pgrep", ["-af", "dynamic-provider"], { encoding: "utf8" })
            .trim()
            .split("\n")
            .filter(Boolean);
    } catch {
        return [];
    }
}

export type { Stack };
