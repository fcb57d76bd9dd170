import * as assert from "node:assert/strict";
import type { RunningEmulator } from "../../emulator/index";
import { call, start, urlOf } from "./helpers";

describe("faults", () => {
    let emu: RunningEmulator;
    let url: string;
    before(async () => {
        emu = await start();
        url = urlOf(emu);
    });
    afterEach(() => {
        emu.faults.configure({
            rateLimits: [],
            errorRate: 0,
            resetRate: 0,
            hibernating: false,
            latencyMs: 0,
            strictHeaders: false,
        });
    });
    after(() => emu.stop());

    it("sends no rate-limit headers when no rule matches", async () => {
        const r = await call(url, "/api/now/table/sys_user_role?sysparm_limit=1");
        assert.equal(r.headers.get("x-ratelimit-limit"), null);
    });

    it("answers 429 with Retry-After and X-RateLimit-* once a rule's allowance is used", async () => {
        emu.faults.configure({
            rateLimits: [{ id: "a".repeat(32), table: "sys_user_role", method: "GET", limit: 2, windowMs: 60_000 }],
        });
        const ok = await call(url, "/api/now/table/sys_user_role?sysparm_limit=1");
        assert.equal(ok.status, 200);
        assert.equal(ok.headers.get("x-ratelimit-limit"), "2");
        assert.equal(ok.headers.get("x-ratelimit-rule"), "a".repeat(32));
        const reset = Number(ok.headers.get("x-ratelimit-reset"));
        assert.ok(reset * 1000 > Date.now() - 1000);
        await call(url, "/api/now/table/sys_user_role?sysparm_limit=1");
        const limited = await call(url, "/api/now/table/sys_user_role?sysparm_limit=1");
        assert.equal(limited.status, 429);
        assert.ok(Number(limited.headers.get("retry-after")) >= 1);
        assert.equal(limited.headers.get("x-ratelimit-limit"), "2");
        assert.equal(limited.json.error.message, "Rate limit exceeded");
        assert.equal(limited.json.status, "failure");
        const other = await call(url, "/api/now/table/sys_user?sysparm_limit=1");
        assert.equal(other.status, 200, "other tables are not governed by the rule");
    });

    it("uses the platform's hourly wording for an hour-long window", async () => {
        emu.faults.configure({ rateLimits: [{ limit: 0 }] });
        const r = await call(url, "/api/now/table/sys_user?sysparm_limit=1");
        assert.equal(
            r.text,
            '{"error":{"message":"Rate limit exceeded","detail":"Rate limit of 0 requests per hour for Table API exceeded"},"status":"failure"}',
        );
    });

    it("prefers a rule for the single user over an all-users rule", async () => {
        emu.faults.configure({ rateLimits: [{ limit: 0 }, { user: "admin", limit: 5, windowMs: 60_000 }] });
        assert.equal((await call(url, "/api/now/table/sys_user?sysparm_limit=1")).status, 200);
        assert.equal(
            (await call(url, "/api/now/table/sys_user?sysparm_limit=1", { basic: "itil.only:admin" })).status,
            429,
        );
    });

    it("counts each batch item against the rules, as separate REST requests", async () => {
        emu.faults.configure({ rateLimits: [{ table: "sys_user_role", limit: 1, windowMs: 60_000 }] });
        const item = (id: string) => ({ id, method: "GET", url: "/api/now/table/sys_user_role?sysparm_limit=1" });
        const r = await call(url, "/api/now/v1/batch", {
            method: "POST",
            body: { rest_requests: [item("1"), item("2")] },
        });
        assert.deepEqual(
            r.json.serviced_requests.map((s: { status_code: number }) => s.status_code),
            [200, 429],
        );
    });

    it("injects 5xx answers in a sequence that repeats for the same seed", async () => {
        const run = async () => {
            emu.faults.configure({ errorRate: 0.5, randomSeed: 42 });
            const statuses: number[] = [];
            for (let i = 0; i < 12; i++)
                statuses.push((await call(url, "/api/now/table/sys_user_role?sysparm_limit=1")).status);
            return statuses;
        };
        const a = await run();
        const b = await run();
        assert.deepEqual(a, b);
        assert.ok(a.some((s) => s >= 502 && s <= 504));
        assert.ok(a.includes(200));
    });

    it("resets connections without a response", async () => {
        emu.faults.configure({ resetRate: 1 });
        await assert.rejects(call(url, "/api/now/table/sys_user_role?sysparm_limit=1"));
    });

    it("serves the hibernation page with 200 text/html while hibernating", async () => {
        emu.faults.configure({ hibernating: true });
        const r = await call(url, "/api/now/table/sys_user?sysparm_limit=1");
        assert.equal(r.status, 200);
        assert.match(r.headers.get("content-type")!, /^text\/html/);
        assert.match(r.text, /Instance Hibernating page/);
    });

    it("enforces Accept and Content-Type in strict header mode, and only then", async () => {
        const noAccept = async () => {
            const res = await fetch(`${url}/api/now/table/sys_user?sysparm_limit=1`, {
                headers: { Authorization: `Basic ${Buffer.from("admin:admin").toString("base64")}`, Accept: "" },
            });
            return res.status;
        };
        assert.equal(await noAccept(), 200);
        emu.faults.configure({ strictHeaders: true });
        assert.equal(await noAccept(), 400);
        const text = await call(url, "/api/now/table/sys_properties", {
            method: "POST",
            body: '{"name":"x.strict"}',
            headers: { "Content-Type": "text/plain" },
        });
        assert.equal(text.status, 415);
        const ok = await call(url, "/api/now/table/sys_properties", { method: "POST", body: { name: "x.strict" } });
        assert.equal(ok.status, 201);
    });

    it("changes at runtime through PUT /emulator/faults", async () => {
        const put = await call(url, "/emulator/faults", { method: "PUT", body: { hibernating: true } });
        assert.equal(put.status, 200);
        assert.equal(put.json.hibernating, true);
        assert.match((await call(url, "/api/now/table/sys_user")).text, /Hibernating/);
        await call(url, "/emulator/faults", { method: "PUT", body: { hibernating: false } });
        assert.equal((await call(url, "/api/now/table/sys_user?sysparm_limit=1")).status, 200);
    });
});

describe("observability", () => {
    let emu: RunningEmulator;
    let url: string;
    before(async () => {
        emu = await start({ instances: [{ name: "prod" }, { name: "dev" }] });
        url = urlOf(emu);
    });
    after(() => emu.stop());

    it("counts requests by method and table, per instance, and resets", async () => {
        await call(url, "/emulator/stats/reset", { method: "POST" });
        await call(url, "/api/now/table/sys_user?sysparm_limit=1");
        await call(url, "/api/now/table/sys_user?sysparm_limit=1");
        await call(url, "/api/now/table/sys_properties", { method: "POST", body: { name: "x.count" } });
        await call(urlOf(emu, "dev"), "/api/now/table/sys_user?sysparm_limit=1");
        const s = await call(url, "/emulator/stats");
        assert.equal(s.json.instance, "prod");
        assert.equal(s.json.total, 3);
        assert.deepEqual(s.json.byMethod, { GET: 2, POST: 1 });
        assert.deepEqual(s.json.byTable, { sys_user: { GET: 2 }, sys_properties: { POST: 1 } });
        const reset = await call(url, "/emulator/stats/reset", { method: "POST" });
        assert.equal(reset.json.total, 0);
    });

    it("logs requests with sequence numbers so a test can prove no write happened", async () => {
        const since = (await call(url, "/emulator/requests")).json.lastSeq;
        await call(url, "/api/now/table/sys_user?sysparm_limit=1");
        await call(url, "/api/now/table/sys_nonexistent");
        const log = await call(url, `/emulator/requests?since=${since}`);
        const entries = log.json.requests;
        assert.equal(entries.length, 2);
        assert.deepEqual(
            entries.map((e: { method: string; table: string; status: number; user: string }) => [
                e.method,
                e.table,
                e.status,
                e.user,
            ]),
            [
                ["GET", "sys_user", 200, "admin"],
                ["GET", "sys_nonexistent", 400, "admin"],
            ],
        );
        assert.ok(entries[0].seq > since);
        assert.ok(!entries.some((e: { method: string }) => e.method !== "GET"), "no write happened");
    });

    it("logs batch items individually", async () => {
        const since = (await call(url, "/emulator/requests")).json.lastSeq;
        await call(url, "/api/now/v1/batch", {
            method: "POST",
            body: { rest_requests: [{ id: "1", method: "GET", url: "/api/now/table/sys_user_role?sysparm_limit=1" }] },
        });
        const entries = (await call(url, `/emulator/requests?since=${since}`)).json.requests;
        assert.deepEqual(
            entries.map((e: { method: string; path: string; batch?: boolean }) => [e.method, e.path, Boolean(e.batch)]),
            [
                ["GET", "/api/now/table/sys_user_role", true],
                ["POST", "/api/now/v1/batch", false],
            ],
        );
    });
});
