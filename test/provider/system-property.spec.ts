import * as assert from "node:assert/strict";
import { systemPropertyProvider as provider } from "../../provider/resources/system-property";
import { createThrough, refreshAndUp } from "../fixtures/checklist/harness";
import { useChecklistInstance } from "../support/emulator";

describe("SystemProperty against the emulator", () => {
    const env = useChecklistInstance();

    it("adopts an existing property, repairs drift, and restores the previous value on destroy", async () => {
        const db = env.instance.db;
        const raw = { name: "glide.product.name", value: "ACME QA" };
        const { id, outs } = await createThrough(provider, raw);
        assert.equal(db.getProperty("glide.product.name"), "ACME QA");
        assert.equal(outs.previousValue, "ServiceNow");

        const seq = env.mark();
        const again = await refreshAndUp(provider, id, outs, raw);
        assert.equal(again.diff.changes, false, "a second apply has nothing to do");
        assert.deepEqual(env.writesSince(seq), []);

        db.setProperty("glide.product.name", "Someone changed it");
        const repaired = await refreshAndUp(provider, id, again.outs, raw);
        assert.equal(
            (repaired.read.inputs as { value: string }).value,
            "Someone changed it",
            "refresh names the drift",
        );
        assert.equal(repaired.diff.changes, true);
        assert.equal(db.getProperty("glide.product.name"), "ACME QA");
        assert.equal(repaired.outs.previousValue, "ServiceNow", "the value before the first write is kept");

        await provider.delete!(id, repaired.outs);
        assert.equal(db.getProperty("glide.product.name"), "ServiceNow");
    });

    it("creates a property that does not exist and deletes it on destroy", async () => {
        const { id, outs } = await createThrough(provider, { name: "x_acme.qa.marker", value: "1", type: "integer" });
        assert.equal(env.instance.db.getProperty("x_acme.qa.marker"), "1");
        assert.equal(outs.created, true);
        await provider.delete!(id, outs);
        assert.equal(env.instance.db.query("sys_properties", "name=x_acme.qa.marker").length, 0);
    });

    it("refuses a bad name at check, naming the property and the value, and writes nothing", async () => {
        const seq = env.mark();
        const r = await provider.check!({} as never, { name: "glide product name", value: "x" } as never);
        assert.equal(r.failures?.[0]?.property, "name");
        assert.match(r.failures?.[0]?.reason ?? "", /"glide product name"/);
        assert.deepEqual(env.writesSince(seq), []);
    });

    it("refuses a type that is not a sys_properties type, listing the real ones, and writes nothing", async () => {
        const seq = env.mark();
        const r = await provider.check!(
            {} as never,
            { name: "x_acme.flag", value: "true", type: "true|false" } as never,
        );
        assert.equal(r.failures?.[0]?.property, "type");
        assert.match(r.failures?.[0]?.reason ?? "", /boolean.*\(received "true\|false"\)/);
        assert.deepEqual(env.writesSince(seq), []);
    });
});
