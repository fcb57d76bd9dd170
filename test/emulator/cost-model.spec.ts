/**
 * The emulator's cost model: the API_INT semaphore (threads, queue, 429), per-record charges inside and outside
 * batches, per-instance configuration, identity caches that survive unrelated writes, and ordered pages that stay
 * right after writes. Assertions read the request log and the accounting, never the clock.
 */
import * as assert from "node:assert/strict";
import type { CostAccount, RunningEmulator } from "../../emulator/index";
import { call, start, urlOf } from "./helpers";

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64");

async function costOf(url: string): Promise<CostAccount> {
    return (await call(url, "/emulator/stats")).json.cost as CostAccount;
}

/** Polls the instance's accounting until `ready` holds, or fails after `ms`. */
async function waitForCost(url: string, ready: (c: CostAccount) => boolean, ms = 20_000): Promise<CostAccount> {
    const deadline = Date.now() + ms;
    for (;;) {
        const c = await costOf(url);
        if (ready(c)) return c;
        if (Date.now() > deadline) throw new Error(`cost accounting never got there: ${JSON.stringify(c)}`);
        await new Promise((r) => setTimeout(r, 20));
    }
}

describe("emulator cost model", () => {
    let emu: RunningEmulator;
    let url: string;
    before(async () => {
        emu = await start({ instances: [{ name: "prod" }, { name: "dev", seed: "empty", cost: "hosted" }] });
        url = urlOf(emu);
    });
    afterEach(() => {
        emu.instances.get("prod")!.cost.configure({
            roundTripMs: 0,
            transactionMs: 0,
            readRecordMs: 0,
            writeRecordMs: 0,
            concurrency: 0,
            queueDepth: 0,
        });
    });
    after(() => emu.stop());

    it("is configured per instance: free in process by default, the hosted model where asked", async () => {
        const prod = await call(url, "/emulator/cost");
        const dev = await call(urlOf(emu, "dev"), "/emulator/cost");
        assert.deepEqual(prod.json, {
            roundTripMs: 0,
            transactionMs: 0,
            readRecordMs: 0,
            writeRecordMs: 0,
            concurrency: 0,
            queueDepth: 0,
        });
        assert.equal(dev.json.concurrency, 8);
        assert.equal(dev.json.queueDepth, 100);
        assert.ok(dev.json.roundTripMs > 0 && dev.json.writeRecordMs > 0);
    });

    it("refuses a cost model with a negative value, naming the field and the value", async () => {
        const r = await call(url, "/emulator/cost", { method: "PUT", body: { writeRecordMs: -1 } });
        assert.equal(r.status, 400);
        assert.match(r.json.error.detail, /writeRecordMs must be a non-negative number, got -1/);
        assert.equal((await call(url, "/emulator/cost")).json.writeRecordMs, 0);
    });

    it("queues the transaction beyond the limit, then answers 429 with Retry-After once the queue is full", async () => {
        await call(url, "/emulator/cost", {
            method: "PUT",
            body: { concurrency: 2, queueDepth: 1, transactionMs: 1500 },
        });
        await call(url, "/emulator/stats/reset", { method: "POST" });
        const mark = emu.stats.lastSeq;
        const get = () => call(url, "/api/now/table/sys_user_role?sysparm_limit=1");
        const first = [get(), get(), get()];
        const busy = await waitForCost(url, (c) => c.active === 2 && c.waiting === 1);
        assert.equal(busy.queued, 1, "the third of three concurrent transactions waits");
        const refused = await get();
        assert.equal(refused.status, 429);
        assert.ok(Number(refused.headers.get("retry-after")) >= 1, "Retry-After is at least a second");
        assert.equal(refused.json.status, "failure");
        assert.equal(refused.json.error.message, "Too Many Requests");
        const statuses = (await Promise.all(first)).map((r) => r.status);
        assert.deepEqual(statuses, [200, 200, 200], "queued transactions are served, not dropped");
        const account = await costOf(url);
        assert.equal(account.transactions, 3);
        assert.equal(account.queued, 1);
        assert.equal(account.rejected, 1);
        assert.equal(account.peakActive, 2, "never more than the limit at once");
        const log = emu.stats.requests("prod", mark);
        assert.equal(log.filter((e) => e.queued).length, 1);
        assert.deepEqual(
            log.filter((e) => e.rejected).map((e) => e.status),
            [429],
        );
    });

    it("charges a batch of k writes k record costs and one transaction, the same records as k single requests", async () => {
        await call(url, "/emulator/cost", {
            method: "PUT",
            body: { transactionMs: 7, writeRecordMs: 3, readRecordMs: 1 },
        });
        const db = emu.instances.get("prod")!.db;
        const users = db.query("sys_user", "active=true", { limit: 10 });
        const k = 5;
        const batch = users.slice(0, k);
        const singles = users.slice(k, 2 * k);

        await call(url, "/emulator/stats/reset", { method: "POST" });
        const mark = emu.stats.lastSeq;
        const r = await call(url, "/api/now/v1/batch", {
            method: "POST",
            body: {
                batch_request_id: "cost",
                rest_requests: batch.map((u, i) => ({
                    id: String(i),
                    method: "PATCH",
                    url: `/api/now/table/sys_user/${u.sys_id}`,
                    headers: [{ name: "Content-Type", value: "application/json" }],
                    body: b64({ title: "Charged" }),
                })),
            },
        });
        assert.equal(r.status, 200);
        assert.equal(r.json.serviced_requests.length, k);
        const batched = await costOf(url);
        const items = emu.stats.requests("prod", mark).filter((e) => e.batch);
        assert.equal(items.length, k);
        assert.deepEqual(
            items.map((e) => [e.written, e.processingMs]),
            Array.from({ length: k }, () => [1, 3]),
            "each item pays its record, no transaction",
        );
        const outer = emu.stats.requests("prod", mark).filter((e) => !e.batch);
        assert.deepEqual(
            outer.map((e) => e.processingMs),
            [7],
            "the batch pays one transaction",
        );
        assert.equal(batched.transactions, 1);
        assert.equal(batched.recordsWritten, k);
        assert.equal(batched.processingMs, 7 + k * 3);

        await call(url, "/emulator/stats/reset", { method: "POST" });
        for (const u of singles) {
            const one = await call(url, `/api/now/table/sys_user/${u.sys_id}`, {
                method: "PATCH",
                body: { title: "Charged" },
            });
            assert.equal(one.status, 200);
        }
        const single = await costOf(url);
        assert.equal(
            single.recordsWritten,
            batched.recordsWritten,
            "the same record charge inside and outside a batch",
        );
        assert.equal(single.transactions, k);
        assert.equal(single.processingMs, k * (7 + 3));
    });

    it("charges a list request one read per record returned", async () => {
        await call(url, "/emulator/cost", { method: "PUT", body: { transactionMs: 2, readRecordMs: 1 } });
        const mark = emu.stats.lastSeq;
        const r = await call(url, "/api/now/table/sys_user?sysparm_limit=37&sysparm_fields=sys_id");
        assert.equal(r.json.result.length, 37);
        const [entry] = emu.stats.requests("prod", mark);
        assert.equal(entry!.read, 37);
        assert.equal(entry!.written, 0);
        assert.equal(entry!.processingMs, 2 + 37);
    });

    it("accepts a new password at once and refuses the old one, while other users' logins stay valid", async () => {
        const db = emu.instances.get("prod")!.db;
        const uat = db.query("sys_user", "user_name=uat.lead")[0]!;
        assert.equal(
            (await call(url, "/api/now/table/sys_user_role?sysparm_limit=1", { basic: "uat.lead:admin" })).status,
            200,
        );
        const patch = await call(url, `/api/now/table/sys_user/${uat.sys_id}`, {
            method: "PATCH",
            body: { user_password: "n3w-secret" },
        });
        assert.equal(patch.status, 200);
        assert.equal(
            (await call(url, "/api/now/table/sys_user_role?sysparm_limit=1", { basic: "uat.lead:admin" })).status,
            401,
        );
        assert.equal(
            (await call(url, "/api/now/table/sys_user_role?sysparm_limit=1", { basic: "uat.lead:n3w-secret" })).status,
            200,
        );
        assert.equal((await call(url, "/api/now/table/sys_user_role?sysparm_limit=1")).status, 200);
    });

    it("gives a user a role granted after their first request", async () => {
        const db = emu.instances.get("prod")!.db;
        const user = db.query("sys_user", "user_name=itil.only")[0]!;
        const denied = await call(url, "/api/now/table/sys_user_role", {
            method: "POST",
            basic: "itil.only:admin",
            body: { name: "x_cost_probe" },
        });
        assert.equal(denied.status, 403);
        const admin = db.query("sys_user_role", "name=admin")[0]!;
        db.insert("sys_user_has_role", { user: user.sys_id, role: admin.sys_id });
        const allowed = await call(url, "/api/now/table/sys_user_role", {
            method: "POST",
            basic: "itil.only:admin",
            body: { name: "x_cost_probe" },
        });
        assert.equal(allowed.status, 201);
    });
});

describe("ordered pages", () => {
    let emu: RunningEmulator;
    let url: string;
    before(async () => {
        emu = await start({ users: 400 });
        url = urlOf(emu);
    });
    after(() => emu.stop());

    /** Every matching row, in sys_id order, sorted in the test by (key, sys_id). */
    function expected(query: string, field: string, descending: boolean): string[] {
        const rows = emu.instances.get("prod")!.db.query("sys_user", query);
        return rows
            .slice()
            .sort((a, b) => {
                const x = a[field] ?? "";
                const y = b[field] ?? "";
                const c = x < y ? -1 : x > y ? 1 : 0;
                if (c !== 0) return descending ? -c : c;
                return a.sys_id! < b.sys_id! ? -1 : 1;
            })
            .map((r) => r.sys_id!);
    }

    async function walk(query: string, pageSize: number): Promise<{ ids: string[]; total: string | null }> {
        const ids: string[] = [];
        let total: string | null = null;
        for (let offset = 0; ; offset += pageSize) {
            const r = await call(
                url,
                `/api/now/table/sys_user?sysparm_query=${encodeURIComponent(query)}&sysparm_fields=sys_id&sysparm_limit=${pageSize}&sysparm_offset=${offset}`,
            );
            total ??= r.headers.get("x-total-count");
            ids.push(...r.json.result.map((x: { sys_id: string }) => x.sys_id));
            if (r.json.result.length < pageSize) return { ids, total };
        }
    }

    it("pages by another field in the order a full sort gives, and stays right after inserts, updates and deletes", async () => {
        const db = emu.instances.get("prod")!.db;
        const filter = "active=true";
        for (const descending of [false, true]) {
            const q = `${filter}^${descending ? "ORDERBYDESC" : "ORDERBY"}last_name`;
            assert.deepEqual((await walk(q, 50)).ids, expected(filter, "last_name", descending));
        }
        // Writes that move rows within the order, add rows and remove rows.
        const some = db.query("sys_user", filter, { limit: 30 });
        for (const [i, u] of some.slice(0, 10).entries()) db.update("sys_user", u.sys_id!, { last_name: `Aaa${i}` });
        for (const u of some.slice(10, 15)) db.update("sys_user", u.sys_id!, { last_name: "Zzz" });
        for (const u of some.slice(15, 20)) db.delete("sys_user", u.sys_id!);
        for (let i = 0; i < 5; i++)
            db.insert("sys_user", { user_name: `order.probe${i}`, last_name: "Mmm", active: "true" });
        for (const u of some.slice(20, 25)) db.update("sys_user", u.sys_id!, { active: "false" });
        // The first request after the writes asks for a page deep into the order.
        const deep = await call(
            url,
            `/api/now/table/sys_user?sysparm_query=${encodeURIComponent(`${filter}^ORDERBYlast_name`)}&sysparm_fields=sys_id&sysparm_limit=20&sysparm_offset=100`,
        );
        assert.deepEqual(
            deep.json.result.map((x: { sys_id: string }) => x.sys_id),
            expected(filter, "last_name", false).slice(100, 120),
        );
        assert.equal(deep.headers.get("x-total-count"), String(expected(filter, "last_name", false).length));
        for (const descending of [false, true]) {
            const q = `${filter}^${descending ? "ORDERBYDESC" : "ORDERBY"}last_name`;
            const got = await walk(q, 50);
            const want = expected(filter, "last_name", descending);
            assert.deepEqual(got.ids, want);
            assert.equal(got.total, String(want.length));
        }
    });

    it("applies a sys_id floor to a page ordered by another field", async () => {
        const db = emu.instances.get("prod")!.db;
        const pivot = db.query("sys_user", "active=true", { limit: 1, offset: 100 })[0]!.sys_id!;
        const q = `sys_id>${pivot}^active=true^ORDERBYuser_name`;
        const got = await walk(q, 40);
        assert.deepEqual(got.ids, expected(`sys_id>${pivot}^active=true`, "user_name", false));
    });
});
