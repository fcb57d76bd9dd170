/**
 * `sn-clone history <env> --clones`: the clones into the environment's target next to its Pulumi operations.
 */
import { cloneHistory, type EnvironmentCloneHistory } from "../automation/clone-history";
import type { EnvironmentOptions, HistoryEntry } from "../automation/environment";

/** Help text of `--clones`. */
export const CLONES_HELP = "also list the clones into the target: state, times, duration, profile, errors, warnings";

/** Options of `sn-clone history`. */
export interface HistoryCliOptions {
    limit: number;
    format: "text" | "json";
    clones?: boolean;
}

/** Seconds as "42 s", "3 min 5 s", "2 h 10 min". */
function duration(s: number): string {
    if (s < 60) return `${s} s`;
    if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ""}`;
    const m = Math.round(s / 60);
    return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/**
 * Reads and prints the environment's operations and the clones into its target; resolves to exit code 0.
 *
 * @param describeChanges renders an operation's resource changes the way `sn-clone history` does.
 */
export async function printCloneHistory(
    out: NodeJS.WritableStream,
    opts: EnvironmentOptions & { limit: number },
    format: "text" | "json",
    describeChanges: (changes: HistoryEntry["changes"]) => string,
): Promise<number> {
    const h = await cloneHistory({ ...opts, onProgress: undefined });
    writeCloneHistory(out, h, format, describeChanges);
    return 0;
}

/** Writes the history as text (operations, then clones with their error and warnings) or as one JSON document. */
export function writeCloneHistory(
    out: NodeJS.WritableStream,
    h: EnvironmentCloneHistory,
    format: "text" | "json",
    describeChanges: (changes: HistoryEntry["changes"]) => string,
): void {
    if (format === "json") {
        out.write(`${JSON.stringify(h, null, 2)}\n`);
        return;
    }
    out.write(`Operations on ${h.environment}:\n`);
    if (h.operations.length === 0) out.write("  none yet\n");
    for (const op of h.operations) {
        const message = op.message ? `  "${op.message}"` : "";
        out.write(
            `  #${String(op.version).padEnd(4)} ${op.kind.padEnd(8)} ${op.result.padEnd(10)} ${op.startTime}  ${describeChanges(op.changes)}${message}\n`,
        );
    }
    out.write(`Clones into ${h.target} (from ${h.source}):\n`);
    if (h.clones.length === 0) out.write("  none recorded\n");
    for (const c of h.clones) {
        const when = c.completedAt || c.startedAt || c.scheduledAt || c.requestedAt;
        const took = c.completedAt ? `, ${duration(c.durationSeconds)}` : "";
        const profile = c.profile ? `, profile ${c.profile}` : "";
        out.write(`  ${c.cloneId}  ${c.state.padEnd(11)} ${when}${took}${profile}\n`);
        if (c.scheduledAt && !c.startedAt) out.write(`      scheduled for ${c.scheduledAt}\n`);
        if (c.errorMessage) out.write(`      error: ${c.errorMessage}\n`);
        for (const w of c.warnings) out.write(`      ${w}\n`);
    }
}
