/**
 * The pipelined convergence of the bulk resources (provider/bulk/pipeline.ts): writes start while the table is still
 * being read, the write-ahead journal names every row before it is written and never drops it afterwards, and a run
 * stopped part-way is finished by the next one and then reverted exactly by destroy. Read from the request log and the
 * instance's rows; no assertion reads the clock.
 */
import * as assert from "node:assert/strict";
import { converge } from "../../provider/bulk/policy";
import { type FlagField, oursPredicate, type SurveyRow } from "../../provider/bulk/reconcile";
import type { ServiceNowClient } from "../../provider/client/client";
import { userLockoutProvider as provider, type UserLockoutInputs } from "../../provider/resources/user-lockout";
import {
    configureTarget,
    type Emulator,
    logMark,
    observer,
    snapshot,
    snapshotDiff,
    startBulkEmulator,
    stopBulkEmulator,
} from "../fixtures/bulk/support";

const FLAG: FlagField = { table: "sys_user", field: "locked_out", enforced: "true", original: "false" };

/** Every user's creation time, to test rows against a change record as the provider does. */
async function createdOn(c: ServiceNowClient): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for await (const page of c.pages("sys_user", { fields: ["sys_created_on"], pageSize: 10_000 })) {
        for (const r of page) out.set(r.sys_id!, r.sys_created_on ?? "");
    }
    return out;
}

describe("bulk convergence, pipelined", function () {
    this.timeout(120_000);
    let emu: Emulator;
    let dev: ServiceNowClient;

    beforeEach(async () => {
        emu = await startBulkEmulator({ users: 4000, jobs: 20 });
        configureTarget(emu);
        dev = observer(emu);
    });
    afterEach(() => stopBulkEmulator(emu));

    /** While on, a row read costs the instance a millisecond: the scope's pages (1,000, 2,000, the rest) take seconds. */
    const slowReads = (on: boolean) => emu.instances.get("acme-dev")!.cost.configure({ readRecordMs: on ? 1 : 0 });

    it("writes the first page's rows while the scope is still read, each named by the journal before and after", async () => {
        const created = await createdOn(dev);
        const saves: { seq: number; ours: (row: SurveyRow) => boolean }[] = [];
        // The account the test connects as stays unlocked, as the resource's allow-list would keep it.
        const [admin] = await dev.query("sys_user", { query: "user_name=admin", fields: ["sys_id"] });
        const mark = logMark(emu, "acme-dev");
        slowReads(true);
        const done = await converge(dev, FLAG, "active=true", new Set([admin!.sys_id!]), undefined, (covering) => {
            saves.push({ seq: emu.stats.lastSeq, ours: oursPredicate(covering) });
        });
        slowReads(false);
        assert.equal(done.error, undefined);
        const log = emu.stats.requests("acme-dev", mark);
        const items = log.filter((e) => e.batch && e.method === "PATCH" && e.status === 200);
        const scopePages = log.filter((e) => !e.batch && e.method === "GET" && e.query?.startsWith("active=true"));
        assert.ok(scopePages.length >= 3, `the scope was read in ${scopePages.length} pages`);
        assert.ok(
            items[0]!.seq < scopePages.at(-1)!.seq,
            "the first rows were written before the scope's last page was answered",
        );
        assert.ok(saves.length >= 2, `the journal was saved ${saves.length} times, not once per step`);
        assert.equal(items.length, done.counts.changedCount);
        for (const item of items) {
            const sysId = item.path.split("/").pop()!;
            const row: SurveyRow = { sysId, createdOn: created.get(sysId)!, value: "true", cls: "sys_user" };
            const before = saves.filter((s) => s.seq < item.seq);
            assert.ok(before.at(-1)?.ours(row), `${sysId} was written before the journal named it`);
            for (const later of saves.filter((s) => s.seq > item.seq)) {
                assert.ok(later.ours(row), `${sysId} was dropped from the journal after it was written`);
            }
        }
    });

    it("finishes a run stopped part-way on the next create, and destroy then restores every user", async () => {
        const before = await snapshot(dev, "sys_user");
        const checked = await provider.check!({} as UserLockoutInputs, {} as UserLockoutInputs);
        const inputs = checked.inputs!;
        const mark = logMark(emu, "acme-dev");
        slowReads(true);
        const first = provider.create(inputs);
        // The instance goes away once the first rows are written, while the scope is still being read.
        const deadline = Date.now() + 60_000;
        while (!emu.stats.requests("acme-dev", mark).some((e) => e.batch && e.status === 200)) {
            assert.ok(Date.now() < deadline, "the first create never wrote");
            await new Promise((r) => setTimeout(r, 5));
        }
        emu.faults.configure({ hibernating: true });
        await assert.rejects(first);
        emu.faults.configure({ hibernating: false });
        slowReads(false);
        const lockedByFirst = [...snapshotDiff(before, await snapshot(dev, "sys_user"))];
        assert.ok(lockedByFirst.length > 0, "the stopped run wrote some rows");

        configureTarget(emu);
        const { id, outs } = await provider.create(inputs);
        assert.equal(outs!.unlockedCount, 0, "the re-run converged");
        await provider.delete!(id, outs!);
        assert.deepEqual(snapshotDiff(before, await snapshot(dev, "sys_user")), [], "every user as before");
    });
});
