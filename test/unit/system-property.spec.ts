import * as assert from "node:assert/strict";
import {
    applyProperties,
    applyRecordChanges,
    planPropertyWrites,
    restoreProperties,
    restoreRecordChanges,
} from "../../provider/adopt";
import { diffInputs } from "../../provider/pulumi/diff";
import { applySystemProperty, systemPropertyProvider } from "../../provider/resources/system-property";
import { FakeClient } from "../fixtures/checklist/fake-client";

describe("the sys_properties adopt-and-restore helper", () => {
    it("plans no write for a property that already has the desired value", () => {
        const live = new Map([["a", { sysId: "1", value: "x" }]]);
        assert.deepEqual(planPropertyWrites(live, { a: "x" }), []);
        assert.deepEqual(planPropertyWrites(live, { a: "y", b: "z" }), [
            { kind: "update", name: "a", sysId: "1", value: "y" },
            { kind: "insert", name: "b", value: "z" },
        ]);
    });

    it("keeps the value seen before its first write even after drift and a second apply", async () => {
        const c = new FakeClient();
        const [row] = c.seed("sys_properties", [{ name: "p", value: "prod" }]);
        const first = await applyProperties(c, { p: "dev" });
        row!.value = "drifted";
        const second = await applyProperties(c, { p: "dev" }, first.memory);
        assert.deepEqual(second.memory, { p: "prod" });
        await restoreProperties(c, second.memory);
        assert.equal(c.rows("sys_properties")[0]!.value, "prod");
    });

    it("deletes on restore the properties it created, and writes nothing for ones already right", async () => {
        const c = new FakeClient();
        c.seed("sys_properties", [{ name: "same", value: "v" }]);
        const applied = await applyProperties(c, { same: "v", fresh: "1" });
        assert.deepEqual(applied.written, ["fresh"]);
        assert.deepEqual(applied.memory, { same: "v", fresh: null });
        const freshId = c.rows("sys_properties").find((r) => r.name === "fresh")!.sys_id;
        c.writes.length = 0;
        await restoreProperties(c, applied.memory);
        assert.deepEqual(c.writes, [`delete sys_properties/${freshId}`]);
        assert.deepEqual(
            c.rows("sys_properties").map((r) => r.name),
            ["same"],
        );
    });

    it("restores only the fields it changed on a record, and skips records already gone", async () => {
        const c = new FakeClient();
        const [a, b] = c.seed("t", [
            { name: "a", active: "true", listener: "true" },
            { name: "b", active: "false", listener: "false" },
        ]);
        const memory = await applyRecordChanges(c, [
            { table: "t", sysId: a!.sys_id!, live: a!, desired: { active: "false", listener: "false" } },
            { table: "t", sysId: b!.sys_id!, live: b!, desired: { active: "false", listener: "false" } },
        ]);
        assert.equal(memory.length, 1, "the record already inactive is not remembered");
        await c.remove("t", "does-not-matter");
        await restoreRecordChanges(c, [...memory, { table: "t", sysId: "gone", previous: { active: "true" } }]);
        assert.deepEqual(
            c.rows("t").map((r) => [r.name, r.active, r.listener]),
            [
                ["a", "true", "true"],
                ["b", "false", "false"],
            ],
        );
    });

    it("compares only input-shaped keys and replaces on identity keys", () => {
        const olds = { name: "a", value: "1", previousValue: "0" };
        assert.equal(diffInputs(olds, { name: "a", value: "1" }, ["name", "value"]).changes, false);
        const d = diffInputs(olds, { name: "b", value: "1" }, ["name", "value"], ["name"]);
        assert.deepEqual(d.replaces, ["name"]);
    });
});

describe("SystemProperty", () => {
    it("adopts an existing property by name and remembers its value", async () => {
        const c = new FakeClient();
        c.seed("sys_properties", [{ name: "glide.ui.session_timeout", value: "30" }]);
        const outs = await applySystemProperty(c, {
            connection: "target",
            name: "glide.ui.session_timeout",
            value: "120",
            type: "integer",
        });
        assert.equal(outs.previousValue, "30");
        assert.equal(outs.created, false);
        assert.deepEqual(
            c.rows("sys_properties").map((r) => [r.name, r.value]),
            [["glide.ui.session_timeout", "120"]],
            "the one existing record now holds the declared value",
        );
    });

    it("fails check when the name is not a property name, naming the property and the value", async () => {
        const r = await systemPropertyProvider.check!({} as never, { name: "bad name!", value: "x" } as never);
        assert.equal(r.failures?.[0]?.property, "name");
        assert.match(r.failures?.[0]?.reason ?? "", /bad name!/);
    });

    it("fails check when value is not a string, saying how to write booleans", async () => {
        const r = await systemPropertyProvider.check!({} as never, { name: "a.b", value: true } as never);
        assert.equal(r.failures?.[0]?.property, "value");
        assert.match(r.failures?.[0]?.reason ?? "", /"true"/);
    });
});
