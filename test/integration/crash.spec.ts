import * as assert from "node:assert/strict";
import { type KillKind, killRun, writesOfFullUp } from "../support/kill-run";

// The bounded kill suite: one kill point per process kind, spread over the apply. bench/kill-suite.ts runs many more
// points per kind (npm run bench:kill). Each run ends with destroy and a field-by-field comparison of every table.
describe("a killed up still leaves a way back (SIGKILL, then recover, up, destroy)", function () {
    this.timeout(900_000);
    let total = 0;

    before(async () => {
        total = await writesOfFullUp();
        assert.ok(total > 100, `a full up made only ${total} writes; the kill points need more`);
    });

    const points: [KillKind, number][] = [
        ["cli", 0.4],
        ["host", 0.65],
        ["provider", 0.2],
    ];
    for (const [kind, fraction] of points) {
        it(`restores every field after the ${kind} is killed at ${Math.round(fraction * 100)} % of the writes`, async () => {
            const r = await killRun(kind, Math.round(total * fraction));
            assert.ok(r.killedAt < total, `the kill came after the apply had finished (${r.killedAt} of ${total})`);
            assert.equal(r.lateWrites, 0, `${r.lateWrites} writes reached the instance after the kill`);
            assert.ok(r.converged, `the re-run up did not converge; recovery said: ${r.recovery.join("; ")}`);
            assert.deepEqual(r.differences.slice(0, 20), [], `${r.differences.length} fields differ after destroy`);
        });
    }
});
