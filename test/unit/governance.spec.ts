/**
 * The pure rules of CloneRun governance: the options' checks, the clone's start inside a window and the platform's
 * minimum gap, and the close notes.
 */
import * as assert from "node:assert/strict";
import { closeNotes, GovernanceInputs, insideWindow, planStart } from "../../provider/clone/governance";

const at = (s: string) => Date.parse(s);
const DAY = 24 * 3600 * 1000;

describe("CloneRun governance rules", () => {
    const parse = (v: unknown) => GovernanceInputs.parse(v);

    it("defaults to a standard change, a one-hour approval timeout that cancels, and the five-day gap", () => {
        const g = parse({});
        assert.equal(g.change.type, "standard");
        assert.deepEqual(g.approval, { timeoutMinutes: 60, pollSeconds: 30, onTimeout: "cancel" });
        assert.equal(g.minGapDays, 5);
    });

    it("fails when a declared start is outside the window, naming the window", () => {
        const r = GovernanceInputs.safeParse({
            window: { start: "02:00", end: "06:00", days: ["sat", "sun"] },
            scheduledStart: "2026-12-02T03:00:00Z", // a Wednesday
        });
        assert.equal(r.success, false);
        assert.deepEqual(r.error!.issues[0]!.path, ["scheduledStart"]);
        assert.match(r.error!.issues[0]!.message, /outside the window \(02:00–06:00 UTC on sat, sun\)/);
    });

    it("fails when change.fields sets a field the governance manages", () => {
        const r = GovernanceInputs.safeParse({ change: { type: "normal", fields: { state: "3" } } });
        assert.equal(r.success, false);
        assert.deepEqual(r.error!.issues[0]!.path, ["change", "fields", "state"]);
    });

    it("starts at the first opening of the window at or after now", () => {
        const g = parse({ window: { start: "22:00", end: "02:00", days: ["fri"] } });
        const plan = planStart(g, at("2026-12-01T12:00:00Z"), []); // a Tuesday
        assert.deepEqual(plan.kind === "start" && new Date(plan.at).toISOString(), "2026-12-04T22:00:00.000Z");
        const inside = planStart(g, at("2026-12-05T01:00:00Z"), []); // Saturday 01:00, the Friday window
        assert.equal(inside.kind === "start" && inside.at, at("2026-12-05T01:00:00Z"));
        assert.ok(insideWindow(g.window!, at("2026-12-05T01:59:00Z")));
        assert.ok(!insideWindow(g.window!, at("2026-12-05T02:00:00Z")));
    });

    it("skips window openings within the gap of a pending clone", () => {
        const g = parse({ window: { start: "02:00", end: "06:00" } });
        const now = at("2026-12-01T00:00:00Z");
        const plan = planStart(g, now, [{ sysId: "a".repeat(32), state: "Scheduled", at: at("2026-12-01T03:00:00Z") }]);
        assert.equal(plan.kind, "start");
        assert.equal(plan.kind === "start" && new Date(plan.at).toISOString(), "2026-12-06T03:00:00.000Z");
    });

    it("refuses a declared start within the gap, naming the other clone and the first start allowed", () => {
        const g = parse({ scheduledStart: "2026-12-03T02:00:00Z" });
        const other = { sysId: "b".repeat(32), state: "Scheduled", at: at("2026-12-01T02:00:00Z") };
        const plan = planStart(g, at("2026-11-30T00:00:00Z"), [other]);
        assert.equal(plan.kind, "refused");
        assert.match(
            plan.kind === "refused" ? plan.message : "",
            new RegExp(
                `clone ${other.sysId} \\(Scheduled\\) starts at 2026-12-01T02:00:00Z; schedule this one for 2026-12-06T02:00:00Z or later`,
            ),
        );
        assert.equal(planStart(parse({ scheduledStart: "2026-12-06T02:00:00Z" }), 0, [other]).kind, "start");
        assert.equal(planStart(parse({ minGapDays: 0 }), at("2026-12-01T02:00:00Z"), [other]).kind, "start");
        assert.equal(planStart(parse({}), other.at + 5 * DAY, [other]).kind, "start");
    });

    it("writes close notes with the clone id, duration, drift and verification", () => {
        const notes = closeNotes({
            cloneId: "c".repeat(32),
            target: "acme-dev",
            durationSeconds: 185,
            drift: ["UserLockout: 12 users locked"],
            verification: "4 of 4 checks passed",
        });
        assert.equal(
            notes,
            [
                `Clone ${"c".repeat(32)} into acme-dev completed in 3 min 5 s.`,
                "Drift after the clone, converged: UserLockout: 12 users locked.",
                "Verification: 4 of 4 checks passed.",
            ].join("\n"),
        );
    });
});
