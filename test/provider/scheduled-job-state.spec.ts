import * as assert from "node:assert/strict";
import type { ServiceNowClient } from "../../provider/client/client";
import {
    scheduledJobStateProvider as provider,
    type ScheduledJobStateInputs,
    type ScheduledJobStateOutputs,
} from "../../provider/resources/scheduled-job-state";
import {
    type Emulator,
    logMark,
    snapshot,
    snapshotDiff,
    startBulkTarget,
    stopBulkEmulator,
    writesSince,
} from "../fixtures/bulk/support";

async function checked(news: Record<string, unknown>): Promise<ScheduledJobStateInputs> {
    const r = await provider.check!({} as ScheduledJobStateInputs, news as ScheduledJobStateInputs);
    assert.deepEqual(r.failures ?? [], [], "check passes");
    return r.inputs!;
}

async function jobs(c: ServiceNowClient): Promise<Map<string, Record<string, string>>> {
    const out = new Map<string, Record<string, string>>();
    for await (const page of c.pages("sysauto", {
        fields: ["name", "active", "sys_class_name", "sys_mod_count", "sys_updated_on"],
    })) {
        for (const r of page) out.set(r.sys_id!, r);
    }
    return out;
}

describe("ScheduledJobState", function () {
    this.timeout(60_000);
    let emu: Emulator;
    let dev: ServiceNowClient;

    beforeEach(async () => {
        ({ emu, dev } = await startBulkTarget());
    });
    afterEach(() => stopBulkEmulator(emu));

    it("deactivates every active job across the sysauto family", async () => {
        const before = await jobs(dev);
        const classes = new Set([...before.values()].filter((j) => j.active === "true").map((j) => j.sys_class_name));
        assert.ok(classes.size >= 3, `seed has active jobs of several classes: ${[...classes]}`);
        const { outs } = await provider.create(await checked({}));
        const after = await jobs(dev);
        assert.equal([...after.values()].filter((j) => j.active === "true").length, 0);
        assert.equal(outs!.deactivatedCount, [...before.values()].filter((j) => j.active === "true").length);
        assert.equal(outs!.activeCount, 0);
    });

    it("never touches a job the allow-list names, by name, sys_id or query", async () => {
        const before = await jobs(dev);
        const active = [...before.entries()].filter(([, j]) => j.active === "true");
        const byName = active[0]![1].name!;
        const bySysId = active[1]![0];
        const byQuery = active[2]![1].name!;
        const { id, outs } = await provider.create(
            await checked({ allowNames: [byName], allowSysIds: [bySysId], allowQuery: `name=${byQuery}` }),
        );
        const after = await jobs(dev);
        for (const [sysId, j] of before) {
            if (j.name === byName || sysId === bySysId || j.name === byQuery) {
                assert.deepEqual(after.get(sysId), j, `allowed job ${j.name} is untouched (same sys_mod_count)`);
            }
        }
        assert.ok(outs!.allowedCount >= 3);
        await provider.delete!(id, outs!);
        const restored = await jobs(dev);
        for (const [sysId, j] of before) {
            if (j.name === byName || sysId === bySysId || j.name === byQuery) assert.deepEqual(restored.get(sysId), j);
        }
    });

    it("restores every job field by field on destroy, and an inactive job stays inactive", async () => {
        const before = await snapshot(dev, "sysauto");
        const inactive = [...before.values()].filter((j) => j.active === "false").map((j) => j.sys_id!);
        assert.ok(inactive.length > 0);
        const { id, outs } = await provider.create(await checked({}));
        await provider.delete!(id, outs!);
        assert.deepEqual(snapshotDiff(before, await snapshot(dev, "sysauto")), []);
    });

    it("reports re-activated jobs as drift, and update deactivates only those", async () => {
        const inputs = await checked({ scope: "sys_class_name=sysauto_script" });
        const { id, outs } = await provider.create(inputs);
        const deactivated = [...(await jobs(dev)).entries()].filter(
            ([, j]) => j.sys_class_name === "sysauto_script" && j.active === "false",
        );
        for (const [sysId] of deactivated.slice(0, 2)) await dev.update("sysauto_script", sysId, { active: "true" });

        const read = await provider.read!(id, outs);
        const live = read.props as ScheduledJobStateOutputs;
        assert.equal(live.activeCount, 2, "two jobs re-activated");
        assert.equal((await provider.diff!(id, live, inputs)).changes, true);
        const mark = logMark(emu, "acme-dev");
        const { outs: repaired } = await provider.update!(id, live, inputs);
        assert.equal(writesSince(emu, "acme-dev", mark).filter((w) => w.batch).length, 2);
        assert.equal(repaired!.activeCount, 0);
        assert.equal(repaired!.deactivatedCount, outs!.deactivatedCount);
    });

    it("reactivates only the jobs that leave its scope on update", async () => {
        const before = await jobs(dev);
        const { id, outs } = await provider.create(await checked({}));
        const mark = logMark(emu, "acme-dev");
        const news = await checked({ scope: "sys_class_name!=sysauto_report" });
        const { outs: updated } = await provider.update!(id, outs!, news);
        const after = await jobs(dev);
        const writes = writesSince(emu, "acme-dev", mark).filter((w) => w.batch);
        const reportsGivenBack = [...before.entries()].filter(
            ([, j]) => j.sys_class_name === "sysauto_report" && j.active === "true",
        );
        assert.ok(reportsGivenBack.length > 0);
        assert.equal(writes.length, reportsGivenBack.length, "one write per report job it had deactivated");
        for (const [sysId] of reportsGivenBack) assert.equal(after.get(sysId)!.active, "true");
        for (const j of after.values()) if (j.sys_class_name !== "sysauto_report") assert.equal(j.active, "false");
        assert.equal(updated!.deactivatedCount, outs!.deactivatedCount - reportsGivenBack.length);
    });

    it("fails check naming a job name or sys_id that matches nothing, and a scope that filters on active", async () => {
        const r = await provider.check!(
            {} as ScheduledJobStateInputs,
            {
                allowNames: ["No Such Job"],
                allowSysIds: ["0123456789abcdef0123456789abcdef"],
            } as unknown as ScheduledJobStateInputs,
        );
        const byProperty = new Map((r.failures ?? []).map((f) => [f.property, f.reason]));
        assert.match(byProperty.get("allowNames")!, /"No Such Job"/);
        assert.match(byProperty.get("allowSysIds")!, /0123456789abcdef0123456789abcdef/);
        const scoped = await provider.check!(
            {} as ScheduledJobStateInputs,
            {
                scope: "active=true",
            } as unknown as ScheduledJobStateInputs,
        );
        assert.equal(scoped.failures?.[0]?.property, "scope");
    });

    it("converges through a 429 storm and a burst of 503s during create", async function () {
        this.timeout(180_000);
        emu.faults.configure({
            errorRate: 0.3,
            errorStatuses: [502, 503, 504],
            rateLimits: [{ limit: 20, windowMs: 500 }],
            randomSeed: 9,
        });
        const { id, outs } = await provider.create(await checked({}));
        emu.faults.configure({ errorRate: 0, rateLimits: [] });
        const read = await provider.read!(id, outs);
        assert.equal((read.props as ScheduledJobStateOutputs).activeCount, 0);
    });
});
