import * as assert from "node:assert/strict";
import { instanceBrandingProvider as provider } from "../../provider/resources/instance-branding";
import { createThrough, refreshAndUp, tableSnapshot } from "../fixtures/checklist/harness";
import { useChecklistInstance } from "../support/emulator";

const WELCOME = "welcome_page_content";

describe("InstanceBranding against the emulator", () => {
    const env = useChecklistInstance();

    it("labels the clone, repairs drift, and restores production's banner, colour and welcome page on destroy", async () => {
        const db = env.instance.db;
        const propsBefore = tableSnapshot(env.instance, "sys_properties");
        const welcomeBefore = tableSnapshot(env.instance, WELCOME);
        const raw = {
            bannerText: "ACME QA (non-production)",
            baseColor: "#8a2be2",
            welcomeText: "<p>This is QA.</p>",
        };
        const { id, outs } = await createThrough(provider, raw);
        assert.equal(db.getProperty("glide.product.description"), "ACME QA (non-production)");
        assert.equal(db.getProperty("css.base.color"), "#8a2be2");
        const active = db.query(WELCOME, "active=true");
        assert.deepEqual(
            active.map((r) => [r.short_description, r.text]),
            [["Environment notice", "<p>This is QA.</p>"]],
            "only the environment's notice is shown",
        );

        const seq = env.mark();
        const again = await refreshAndUp(provider, id, outs, raw);
        assert.equal(again.diff.changes, false);
        assert.deepEqual(env.writesSince(seq), []);

        db.setProperty("glide.product.description", "ACME Production");
        const prodWelcome = db.query(WELCOME, "short_description=Welcome to ACME IT Services")[0]!;
        db.update(WELCOME, prodWelcome.sys_id!, { active: "true" });
        const repaired = await refreshAndUp(provider, id, again.outs, raw);
        const inputs = repaired.read.inputs as { bannerText: string; exclusiveWelcome: boolean };
        assert.equal(inputs.bannerText, "ACME Production", "refresh names bannerText");
        assert.equal(inputs.exclusiveWelcome, false, "refresh names exclusiveWelcome");
        assert.equal(db.getProperty("glide.product.description"), "ACME QA (non-production)");
        assert.equal(db.get(WELCOME, prodWelcome.sys_id!)?.active, "false");

        await provider.delete!(id, repaired.outs);
        assert.deepEqual(tableSnapshot(env.instance, "sys_properties"), propsBefore);
        assert.deepEqual(
            tableSnapshot(env.instance, WELCOME).map((r) => [r.sys_id, r.active, r.text]),
            welcomeBefore.map((r) => [r.sys_id, r.active, r.text]),
            "the notice it created is gone and production's is active again",
        );
    });

    it("refuses a colour that is not a CSS hex colour, naming baseColor, and writes nothing", async () => {
        const seq = env.mark();
        const r = await provider.check!({} as never, { baseColor: "purple" } as never);
        assert.equal(r.failures?.[0]?.property, "baseColor");
        assert.match(r.failures?.[0]?.reason ?? "", /"purple"/);
        assert.deepEqual(env.writesSince(seq), []);
    });
});
