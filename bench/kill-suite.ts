/**
 * The long kill suite: SIGKILL of the CLI, of an automation host's process group and of the dynamic-provider
 * processes, each at KILL_POINTS points spread over the writes of a first `up` (default 10), then recover, `up`,
 * `destroy`, and every table compared field by field with the snapshot taken before. Prints one line per run and the
 * counts per kind; exits non-zero when any run left a difference, a late write or a non-converged re-run.
 *
 * Run: npm run bench:kill  (KILL_POINTS=3 KILL_KINDS=cli,provider for a shorter run)
 */
import { type KillKind, killRun, leftoverProviders, writesOfFullUp } from "../test/support/kill-run";

async function main(): Promise<void> {
    const points = Number(process.env.KILL_POINTS ?? 10);
    const kinds = (process.env.KILL_KINDS ?? "cli,host,provider").split(",") as KillKind[];
    const total = await writesOfFullUp();
    console.log(`a full first up makes ${total} writes; killing at ${points} points per kind (${kinds.join(", ")})`);
    const tally = new Map<KillKind, { ok: number; runs: number }>();
    for (const kind of kinds) {
        for (let i = 0; i < points; i++) {
            // Points spread from 3 % to 97 % of the writes.
            const at = Math.max(1, Math.round(total * (0.03 + (0.94 * i) / Math.max(1, points - 1))));
            const r = await killRun(kind, at);
            const ok = r.lateWrites === 0 && r.converged && r.differences.length === 0;
            const t = tally.get(kind) ?? { ok: 0, runs: 0 };
            tally.set(kind, { ok: t.ok + (ok ? 1 : 0), runs: t.runs + 1 });
            console.log(
                `${kind.padEnd(8)} kill after ${String(r.killedAt).padStart(5)} of ${total} writes: ` +
                    `${ok ? "restored" : "FAILED"} (late writes ${r.lateWrites}, converged ${r.converged}, ` +
                    `differing fields ${r.differences.length})${ok ? "" : `\n    ${r.differences.slice(0, 5).join("\n    ")}`}`,
            );
        }
    }
    for (const [kind, t] of tally) console.log(`${kind}: ${t.ok} of ${t.runs} kill points restored exactly`);
    const left = leftoverProviders();
    if (left.length > 0) console.log(`provider processes still running: ${left.length}`);
    if ([...tally.values()].some((t) => t.ok < t.runs)) process.exitCode = 1;
}

main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
});
