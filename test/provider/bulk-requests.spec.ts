/**
 * Request counts of the bulk resources, read from the emulator's request log: allow-lists resolved once per
 * operation, one read pass per refresh, no empty last page, batch calls in parallel up to the instance's limit, and a
 * fair share of the connection between independent resources. Counts are stable; no assertion reads the clock.
 */
import * as assert from "node:assert/strict";
import { FairLimiter, inLane } from "../../provider/client/fair-limit";
import { setClientTuning } from "../../provider/connection";
import { type ScheduledJobStateInputs, scheduledJobStateProvider } from "../../provider/resources/scheduled-job-state";
import { type UserLockoutInputs, userLockoutProvider } from "../../provider/resources/user-lockout";
import {
    type BulkTarget,
    configureTarget,
    type Emulator,
    logMark,
    startBulkTarget,
    stopBulkEmulator,
} from "../fixtures/bulk/support";

const users = userLockoutProvider;
const jobs = scheduledJobStateProvider;

async function checkedUsers(news: Partial<UserLockoutInputs>): Promise<UserLockoutInputs> {
    const r = await users.check!({} as UserLockoutInputs, news as UserLockoutInputs);
    assert.deepEqual(r.failures ?? [], []);
    return r.inputs as UserLockoutInputs;
}

/** GET requests per table after a mark (a read inside a Batch API call counts as a read of its table). */
function getsByTable(emu: Emulator, mark: number): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const e of emu.stats.requests("acme-dev", mark)) {
        if (e.method !== "GET" || !e.table) continue;
        out.set(e.table, [...(out.get(e.table) ?? []), e.query ?? ""]);
    }
    return out;
}

/** The tables of the allow-list lookups, and how many requests each got. */
const LOOKUP_TABLES = ["sys_user_role", "sys_user_role_contains", "sys_user_has_role", "sys_group_has_role"];

describe("bulk resources' requests", function () {
    this.timeout(120_000);
    let t: BulkTarget;
    beforeEach(async () => {
        t = await startBulkTarget();
    });
    afterEach(async () => {
        setClientTuning({});
        await stopBulkEmulator(t.emu);
    });

    it("resolves the allow-lists once per operation: check, create and a read share one lookup each", async () => {
        const mark = logMark(t.emu, "acme-dev");
        const inputs = await checkedUsers({ allowGroups: ["UAT Participants"] });
        const { id, outs } = await users.create(inputs);
        await users.read!(id, outs);
        const gets = getsByTable(t.emu, mark);
        for (const table of LOOKUP_TABLES) assert.equal(gets.get(table)?.length, 1, `${table} looked up once`);
        assert.equal(gets.get("sys_user_group")?.length, 1, "group names looked up once");
        // Members of the named group (by name), then of the groups holding the allowed role (System Administrators).
        assert.deepEqual(
            gets.get("sys_user_grmember")?.map((q) => q.slice(0, q.indexOf("IN"))),
            ["group.name", "group"],
            "group members looked up once per step",
        );
    });

    it("sends each step of the lookups as one request: check reads in two requests, the first a Batch API call", async () => {
        const mark = logMark(t.emu, "acme-dev");
        await checkedUsers({ allowGroups: ["UAT Participants"], allowUsers: ["trainer.one"] });
        const log = t.emu.stats.requests("acme-dev", mark);
        const requests = log.filter((e) => !e.batch);
        // Step 1: the identity, the dictionary, and every lookup by name (dot-walks); step 2: the members of the
        // groups that hold the allowed role, and the inherited columns when the table extends another (sys_user
        // extends none). A real instance's answers arrive in the same shape, so the count holds there too.
        // A step of one read goes as a plain GET.
        assert.deepEqual(
            requests.map((e) => `${e.method} ${e.path}`),
            ["POST /api/now/v1/batch", "GET /api/now/table/sys_user_grmember"],
        );
        const items = log.filter((e) => e.batch).map((e) => e.table);
        for (const table of ["sys_properties", "sys_db_object", "sys_dictionary", "sys_user_role", "sys_user"])
            assert.ok(items.includes(table), `${table} read inside a batch`);
    });

    it("resolves them again in the next operation (a new configure), which may see a changed instance", async () => {
        const inputs = await checkedUsers({});
        configureTarget(t.emu);
        const mark = logMark(t.emu, "acme-dev");
        await users.check!({} as UserLockoutInputs, inputs);
        assert.equal(getsByTable(t.emu, mark).get("sys_user_role")?.length, 1);
    });

    it("reads the table once per refresh: only the scope, with the values, when no changed row left it", async () => {
        const inputs = await checkedUsers({});
        const { id, outs } = await users.create(inputs);
        const mark = logMark(t.emu, "acme-dev");
        const read = await users.read!(id, outs);
        assert.equal((read.props as unknown as Record<string, unknown>).unlockedCount, 0);
        const reads = getsByTable(t.emu, mark).get("sys_user") ?? [];
        const scans = reads.filter((q) => q.includes("ORDERBYsys_id"));
        assert.deepEqual(scans, ["active=true^ORDERBYsys_id"], "one pass over the scope, none over the whole table");
    });

    it("still reports a user it locked who left the scope as pending unlock, with a second pass only then", async () => {
        const inputs = await checkedUsers({});
        const lockedBefore = new Set(
            (await t.dev.query("sys_user", { query: "locked_out=true", fields: ["sys_id"] })).map((r) => r.sys_id),
        );
        const { id, outs } = await users.create(inputs);
        const locked = await t.dev.query("sys_user", { query: "active=true^locked_out=true", fields: ["sys_id"] });
        const leaver = locked.find((r) => !lockedBefore.has(r.sys_id))!;
        await t.dev.update("sys_user", leaver.sys_id!, { active: "false" });
        const mark = logMark(t.emu, "acme-dev");
        const read = await users.read!(id, outs);
        assert.equal((read.props as unknown as Record<string, unknown>).pendingUnlockCount, 1);
        const scans = (getsByTable(t.emu, mark).get("sys_user") ?? []).filter((q) => q.includes("ORDERBYsys_id"));
        assert.deepEqual(scans, ["active=true^ORDERBYsys_id", "locked_out=true^ORDERBYsys_id"]);
    });

    it("reads no empty last page when the rows fill the pages exactly", async () => {
        const total = await t.dev.count("sys_user_role", "");
        const mark = logMark(t.emu, "acme-dev");
        let rows = 0;
        for await (const page of t.dev.pages("sys_user_role", { pageSize: total, fields: [] })) rows += page.length;
        assert.equal(rows, total);
        assert.equal(getsByTable(t.emu, mark).get("sys_user_role")?.length, 1);
    });

    it("sends batch calls in parallel up to the instance's limit, without a 429", async () => {
        const dev = t.emu.instances.get("acme-dev")!;
        dev.cost.configure({ concurrency: 4, queueDepth: 100, writeRecordMs: 5 });
        configureTarget(t.emu);
        setClientTuning({ concurrency: 4, batchSize: 20, backoff: { baseDelayMs: 5, maxDelayMs: 1500 } });
        dev.cost.reset();
        const inputs = await checkedUsers({});
        const { outs } = await users.create(inputs);
        assert.ok((outs as unknown as { lockedCount: number }).lockedCount > 100);
        const account = dev.cost.snapshot();
        assert.equal(account.peakActive, 4, "four batch calls at once, the instance's limit");
        assert.equal(account.rejected, 0);
    });

    it("lets a second resource's first read through while the first one's batch calls are queued", async () => {
        // One request at a time, 100 ms per batch call: with a first-come-first-served limit, the job resource's
        // first read would wait behind every batch call the user resource had already queued.
        const dev = t.emu.instances.get("acme-dev")!;
        dev.cost.configure({ writeRecordMs: 10 });
        configureTarget(t.emu);
        setClientTuning({ concurrency: 1, batchSize: 10, backoff: { baseDelayMs: 5, maxDelayMs: 1500 } });
        const userInputs = await checkedUsers({});
        const jobInputs = (await jobs.check!({} as ScheduledJobStateInputs, {} as ScheduledJobStateInputs))
            .inputs as ScheduledJobStateInputs;
        const mark = logMark(t.emu, "acme-dev");
        const usersDone = users.create(userInputs);
        const deadline = Date.now() + 30_000;
        while (!t.emu.stats.requests("acme-dev", mark).some((e) => e.method === "POST")) {
            assert.ok(Date.now() < deadline, "the user resource never sent a batch call");
            await new Promise((r) => setTimeout(r, 5));
        }
        await Promise.all([usersDone, jobs.create(jobInputs)]);
        const log = t.emu.stats.requests("acme-dev", mark).filter((e) => !e.batch);
        const firstJobRead = log.findIndex((e) => e.table === "sysauto" && e.method === "GET");
        const userBatches = log.filter((e) => e.method === "POST").length;
        const userBatchesBefore = log.slice(0, firstJobRead).filter((e) => e.method === "POST").length;
        assert.ok(userBatches > 10, `the user resource needs many batch calls (${userBatches})`);
        assert.ok(
            userBatchesBefore <= 3,
            `the job resource read after ${userBatchesBefore} of ${userBatches} batch calls, not after all`,
        );
        assert.equal(dev.cost.snapshot().peakActive, 1);
    });
});

describe("FairLimiter", () => {
    it("starts waiting tasks lane by lane in turn, each lane in arrival order", async () => {
        const limiter = new FairLimiter(1);
        const started: string[] = [];
        let release!: () => void;
        const gate = new Promise<void>((r) => {
            release = r;
        });
        const task = (name: string, wait?: Promise<void>) => async () => {
            started.push(name);
            await wait;
        };
        const all = [
            limiter.run(task("a1", gate), "a"),
            limiter.run(task("a2"), "a"),
            limiter.run(task("a3"), "a"),
            limiter.run(task("b1"), "b"),
            limiter.run(task("b2"), "b"),
        ];
        assert.equal(limiter.activeCount, 1);
        assert.equal(limiter.pendingCount, 4);
        release();
        await Promise.all(all);
        assert.deepEqual(started, ["a1", "a2", "b1", "a3", "b2"]);
    });

    it("takes the lane from the async context set by inLane", async () => {
        const limiter = new FairLimiter(1);
        const started: string[] = [];
        let release!: () => void;
        const gate = new Promise<void>((r) => {
            release = r;
        });
        const first = inLane("x", () => limiter.run(async () => gate));
        const xs = inLane("x", () =>
            Promise.all([1, 2].map((i) => limiter.run(async () => void started.push(`x${i}`)))),
        );
        const y = inLane("y", () => limiter.run(async () => void started.push("y1")));
        release();
        await Promise.all([first, xs, y]);
        assert.deepEqual(started, ["x1", "y1", "x2"]);
    });
});
