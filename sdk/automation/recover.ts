/**
 * Recovery after a killed run: the steps an operator needs before re-running `up`, done and explained. Pulumi leaves
 * three things behind when the CLI or its host dies mid-update: a lock on the stack, pending operations in the
 * checkpoint, and (with the file backend, killed mid-save) an unreadable checkpoint file. The write-ahead journal
 * (provider/crash/write-ahead.ts) keeps what the provider needs to undo its writes; this module clears Pulumi's side so
 * the re-run can use it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import type { Stack } from "@pulumi/pulumi/automation";

/** One pending operation Pulumi recorded for a resource whose create/update/delete never reported back. */
export interface PendingOperation {
    type: string;
    urn: string;
}

/** What recovery found and did. */
export interface RecoveryReport {
    stack: string;
    /** Files of the file backend that were unreadable, each moved aside (kept as a backup) and what replaced it. */
    repairedFiles: { file: string; backup: string; action: string }[];
    /** True when a lock (a run in progress that is no longer running) was released. */
    lockReleased: boolean;
    /** Pending operations found and cleared: the journal lets the re-run redo them safely. */
    pendingOperations: PendingOperation[];
    /** Resource changes the next `up` will make, by operation. */
    nextUp: Record<string, number>;
    /** One line per step, for people. */
    steps: string[];
}

/**
 * Makes a stack usable again after a killed run: repairs the file backend's known unreadable checkpoint (keeping a
 * backup), releases the stale lock, reports and clears pending operations, then previews what a re-run will do.
 *
 * Only run it when no `up`, `destroy` or `refresh` of this stack is still running: releasing the lock of a live run
 * lets two runs write at once.
 *
 * @param backendUrl the stack's backend (`PULUMI_BACKEND_URL`); repairs apply to `file://` backends only.
 */
export async function recoverStack(stack: Stack, backendUrl = process.env.PULUMI_BACKEND_URL): Promise<RecoveryReport> {
    const report: RecoveryReport = {
        stack: stack.name,
        repairedFiles: [],
        lockReleased: false,
        pendingOperations: [],
        nextUp: {},
        steps: [],
    };
    if (backendUrl?.startsWith("file://")) {
        const project = (await stack.workspace.projectSettings()).name;
        report.repairedFiles = repairCheckpoint(fileBackendDir(backendUrl), project, stack.name);
        for (const r of report.repairedFiles)
            report.steps.push(`repaired ${r.file}: ${r.action} (the unreadable file is kept as ${r.backup})`);
    }
    try {
        await stack.cancel();
        report.lockReleased = true;
        report.steps.push("released the lock a killed run left on the stack");
    } catch {
        report.steps.push("no lock to release");
    }
    const state = await stack.exportStack();
    const deployment = state.deployment as { pending_operations?: { type?: string; resource?: { urn?: string } }[] };
    const pending = deployment.pending_operations ?? [];
    report.pendingOperations = pending.map((p) => ({ type: p.type ?? "unknown", urn: p.resource?.urn ?? "" }));
    if (pending.length > 0) {
        // Safe to drop: a pending create's writes are in the write-ahead journal, which the re-run's create finds and
        // continues from; a pending update or delete keeps the resource's last outputs in state.
        deployment.pending_operations = [];
        await stack.importStack(state);
        for (const p of report.pendingOperations)
            report.steps.push(`cleared pending ${p.type} of ${p.urn} (the re-run continues it from the journal)`);
    } else {
        report.steps.push("no pending operations");
    }
    const preview = await stack.preview({ refresh: true });
    report.nextUp = Object.fromEntries(Object.entries(preview.changeSummary ?? {}).map(([k, v]) => [k, v ?? 0]));
    report.steps.push(
        `the next up will: ${
            Object.entries(report.nextUp)
                .map(([k, v]) => `${k} ${v}`)
                .join(", ") || "nothing"
        }`,
    );
    return report;
}

/** The directory of a `file://` backend URL. */
export function fileBackendDir(backendUrl: string): string {
    return fileURLToPath(backendUrl.replace(/\?.*$/, ""));
}

/**
 * The file backend's checkpoint of one stack, made readable again: a 0-byte or unparsable `<stack>.json.attrs` (which
 * makes every command fail with `failed to load checkpoint: EOF`) is moved aside, and an unparsable `<stack>.json` is
 * replaced by Pulumi's own `<stack>.json.bak` when that parses. Every moved file is kept as `<file>.broken-<time>`.
 */
export function repairCheckpoint(
    backendDir: string,
    project: string,
    stackName: string,
): { file: string; backup: string; action: string }[] {
    const dir = path.join(backendDir, ".pulumi", "stacks", project);
    const base = path.join(dir, `${stackName}.json`);
    const stamp = new Date().toISOString().replace(/[:.]/g, "-");
    const repaired: { file: string; backup: string; action: string }[] = [];
    const attrs = `${base}.attrs`;
    if (fs.existsSync(attrs) && !parses(attrs)) {
        const backup = `${attrs}.broken-${stamp}`;
        fs.renameSync(attrs, backup);
        repaired.push({ file: attrs, backup, action: "removed (Pulumi writes it anew)" });
    }
    if (fs.existsSync(base) && !parses(base) && fs.existsSync(`${base}.bak`) && parses(`${base}.bak`)) {
        const backup = `${base}.broken-${stamp}`;
        fs.renameSync(base, backup);
        fs.copyFileSync(`${base}.bak`, base);
        repaired.push({ file: base, backup, action: "replaced by the previous checkpoint Pulumi kept (.bak)" });
    }
    return repaired;
}

function parses(file: string): boolean {
    try {
        const text = fs.readFileSync(file, "utf8");
        if (text.trim() === "") return false;
        JSON.parse(text);
        return true;
    } catch {
        return false;
    }
}
