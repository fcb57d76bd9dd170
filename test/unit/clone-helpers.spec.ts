import * as assert from "node:assert/strict";
import { differingFields as changedFields, isSysId, rememberFields } from "../../provider/adopt";
import { epochOf, formatDuration, isoTime, progressLine, secondsBetween } from "../../provider/clone/run";
import { scriptSyntaxProblem } from "../../provider/clone/script-syntax";
import { scriptOrders } from "../../provider/resources/clone-profile";

describe("clone helpers", () => {
    describe("scriptSyntaxProblem", () => {
        it("accepts a valid cleanup script, top-level statements included", () => {
            assert.equal(scriptSyntaxProblem('var gr = new GlideRecord("sys_user");\ngr.query();\n'), undefined);
        });

        it("names the line and shows its text for a syntax error", () => {
            const p = scriptSyntaxProblem('gs.log("one");\n\nif (x {\n  gs.log("two");\n}');
            assert.ok(p);
            assert.equal(p.line, 3);
            assert.equal(p.text, "if (x {");
            assert.match(p.message, /^SyntaxError: /);
        });

        it("never runs the script it checks", () => {
            (globalThis as Record<string, unknown>).__cloneSyntaxRan = false;
            assert.equal(scriptSyntaxProblem("globalThis.__cloneSyntaxRan = true;"), undefined);
            assert.equal((globalThis as Record<string, unknown>).__cloneSyntaxRan, false);
        });
    });

    describe("the clone epoch and times", () => {
        it("is the clone's sys_id at its completion time, marked when the clone was rolled back", () => {
            const row = { sys_id: "a".repeat(32), state: "Completed", completed: "2026-03-01 04:05:06" };
            assert.equal(epochOf(row), `${"a".repeat(32)}@2026-03-01T04:05:06Z`);
            assert.equal(
                epochOf({ ...row, state: "Rolled back" }),
                `${"a".repeat(32)}@2026-03-01T04:05:06Z+rolled-back`,
            );
        });

        it("reads platform date-times as UTC and measures durations between them", () => {
            assert.equal(isoTime("2026-03-01 23:59:00"), "2026-03-01T23:59:00Z");
            assert.equal(isoTime(""), "");
            assert.equal(secondsBetween("2026-03-01 23:59:00", "2026-03-02 00:01:30"), 150);
            assert.equal(secondsBetween("", "2026-03-02 00:01:30"), 0);
        });

        it("prints state, phase and percentage only while the clone is active", () => {
            const id = "b".repeat(32);
            assert.equal(
                progressLine({ sys_id: id, state: "Active", phase: "Copy data", percent_complete: "30" }, "dev"),
                `clone ${id} into dev: Active, Copy data, 30%`,
            );
            assert.equal(
                progressLine({ sys_id: id, state: "Scheduled", phase: "" }, "dev"),
                `clone ${id} into dev: Scheduled`,
            );
        });

        it("formats timeouts in the unit a person would use", () => {
            assert.equal(formatDuration(45_000), "45 s");
            assert.equal(formatDuration(30 * 60_000), "30 min");
            assert.equal(formatDuration(485 * 60_000), "8 h 5 min");
        });
    });

    describe("record memory", () => {
        it("writes only differing fields and remembers the first value seen, not a later drifted one", () => {
            const live = { name: "P", table: "sys_user", condition: "a=1" };
            assert.deepEqual(changedFields(live, { table: "sys_user", condition: "a=2" }), { condition: "a=2" });
            const first = rememberFields({ sysId: "x", created: false, previous: {} }, live, ["condition"]);
            const second = rememberFields(first, { ...live, condition: "drifted" }, ["condition"]);
            assert.deepEqual(second.previous, { condition: "a=1" });
            assert.deepEqual(
                rememberFields({ sysId: "x", created: true, previous: {} }, live, ["condition"]).previous,
                {},
            );
        });

        it("tells sys_ids from names", () => {
            assert.equal(isSysId("0123456789abcdef0123456789abcdef"), true);
            assert.equal(isSysId("Core Instance Properties"), false);
        });
    });

    describe("profile script order", () => {
        it("gives list position as order unless a script names its own", () => {
            assert.deepEqual(
                scriptOrders(["A", { script: "B", active: false }, { script: "C", order: 50, active: true }]),
                [
                    { ref: "A", order: 100, active: true },
                    { ref: "B", order: 200, active: false },
                    { ref: "C", order: 50, active: true },
                ],
            );
        });
    });
});
