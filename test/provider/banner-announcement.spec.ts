import * as assert from "node:assert/strict";
import { instanceBrandingProvider as provider } from "../../provider/resources/instance-branding";
import { createThrough, refreshAndUp, tableSnapshot } from "../fixtures/checklist/harness";
import { useChecklistInstance } from "../support/emulator";

const TABLE = "sys_ux_banner_announcement";

describe("InstanceBranding's Next Experience banner announcement", () => {
    const env = useChecklistInstance();

    it("creates the environment's announcement, switches production's off, repairs drift and restores both", async () => {
        const db = env.instance.db;
        const before = tableSnapshot(env.instance, TABLE);
        const maintenance = db.query(TABLE, "name=Planned maintenance")[0]!;
        assert.equal(maintenance.active, "true", "the clone brought production's banner along");

        const raw = { bannerAnnouncement: { heading: "ACME QA: test data only", summary: "Refreshed monthly" } };
        const { id, outs } = await createThrough(provider, raw);
        const ours = db.get(TABLE, outs.bannerAnnouncementSysId)!;
        assert.deepEqual(
            [ours.name, ours.heading, ours.summary, ours.color, ours.active],
            ["Environment notice", "ACME QA: test data only", "Refreshed monthly", "warning", "true"],
        );
        assert.equal(db.get(TABLE, maintenance.sys_id!)!.active, "false");

        const seq = env.mark();
        const again = await refreshAndUp(provider, id, outs, raw);
        assert.equal(again.diff.changes, false);
        assert.deepEqual(env.writesSince(seq), []);

        db.update(TABLE, maintenance.sys_id!, { active: "true" });
        db.update(TABLE, ours.sys_id!, { heading: "Hello" });
        const repaired = await refreshAndUp(provider, id, again.outs, raw);
        assert.equal(repaired.diff.changes, true);
        assert.equal(repaired.read.inputs.bannerAnnouncement.exclusive, false, "refresh names the other banner");
        assert.equal(db.get(TABLE, maintenance.sys_id!)!.active, "false");
        assert.equal(db.get(TABLE, ours.sys_id!)!.heading, "ACME QA: test data only");

        await provider.delete!(id, repaired.outs);
        assert.deepEqual(tableSnapshot(env.instance, TABLE), before, "created one deleted, production's back on");
    });

    it("adopts an announcement of the same name and gives back its previous text", async () => {
        const db = env.instance.db;
        const existing = db.insert(TABLE, { name: "QA notice", heading: "Old text", active: "false", color: "info" });
        const before = tableSnapshot(env.instance, TABLE);
        const raw = {
            bannerAnnouncement: { name: "QA notice", heading: "New text", color: "critical", exclusive: false },
        };
        const { id, outs } = await createThrough(provider, raw);
        assert.equal(outs.bannerAnnouncementSysId, existing.sys_id);
        assert.equal(db.count(TABLE, "name=QA notice"), 1, "adopted, not duplicated");
        assert.equal(db.get(TABLE, existing.sys_id!)!.heading, "New text");
        assert.equal(db.query(TABLE, "name=Planned maintenance")[0]!.active, "true", "not exclusive: left alone");
        await provider.delete!(id, outs);
        assert.deepEqual(tableSnapshot(env.instance, TABLE), before);
        db.delete(TABLE, existing.sys_id!);
    });

    it("fails check on an empty heading or an unknown colour, naming the property", async () => {
        const r = await provider.check!({} as never, { bannerAnnouncement: { heading: "", color: "purple" } } as never);
        const props = (r.failures ?? []).map((f) => f.property).sort();
        assert.deepEqual(props, ["bannerAnnouncement.color", "bannerAnnouncement.heading"]);
    });
});
