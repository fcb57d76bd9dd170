import * as assert from "node:assert/strict";
import { SEEDED_OAUTH_CLIENT } from "../../emulator/index";
import { ServiceNowClient } from "../../provider/client/client";
import {
    AuthError,
    BadRequestError,
    ConnectionConfigError,
    NonJsonResponseError,
    NotFoundError,
    TransportError,
} from "../../provider/client/errors";
import { type Emulator, logMark, startBulkEmulator, urlOf } from "../fixtures/bulk/support";

describe("ServiceNowClient", function () {
    this.timeout(60_000);
    let emu: Emulator;
    let url: string;
    const fast = { backoff: { baseDelayMs: 5, maxDelayMs: 1500 } };
    const basic = (password = "admin") =>
        new ServiceNowClient({
            url,
            credentials: { kind: "basic", username: "admin", password },
            instanceName: "acme-dev",
            ...fast,
        });

    before(async () => {
        emu = await startBulkEmulator({ users: 250 });
        url = urlOf(emu, "acme-dev");
    });
    afterEach(() => emu.faults.configure({ errorRate: 0, resetRate: 0, rateLimits: [], hibernating: false }));
    after(async () => emu.stop());

    it("walks every row exactly once by keyset, even when rows are inserted while it walks", async () => {
        const c = basic();
        const original = emu.instances
            .get("acme-dev")!
            .db.exportRows("sys_user")
            .map((r) => r.sys_id!);
        // Inserted after the first page: one row sorts before the walk's position (an offset walk would then see a
        // row twice), one after it (a keyset walk must reach it); sys_ids given on POST are honoured.
        const behind = `${"0".repeat(31)}1`;
        const ahead = `${"f".repeat(31)}e`;
        const seen: string[] = [];
        let inserted = false;
        for await (const page of c.pages("sys_user", { fields: ["user_name"], pageSize: 40 })) {
            seen.push(...page.map((r) => r.sys_id!));
            if (!inserted) {
                await c.insert("sys_user", { sys_id: behind, user_name: "walker.behind", active: "false" });
                await c.insert("sys_user", { sys_id: ahead, user_name: "walker.ahead", active: "false" });
                inserted = true;
            }
        }
        try {
            assert.equal(new Set(seen).size, seen.length, "no row repeats");
            assert.deepEqual([...seen].sort(), [...original, ahead].sort(), "every original row, and the one ahead");
        } finally {
            await c.remove("sys_user", behind);
            await c.remove("sys_user", ahead);
        }
    });

    it("counts with the Stats API and counts its own requests", async () => {
        const c = basic();
        const before = c.requestCount;
        const n = await c.count("sys_user", "active=true");
        const rows = await c.query("sys_user", { query: "active=true", fields: ["sys_id"] });
        assert.equal(n, rows.length);
        assert.equal(c.requestCount - before, 2);
    });

    it("maps a missing record to NotFoundError, and deleting it again succeeds", async () => {
        const c = basic();
        await assert.rejects(c.getRecord("sys_user", "0".repeat(32)), NotFoundError);
        await c.remove("sys_user", "0".repeat(32));
    });

    it("maps an unknown table to BadRequestError", async () => {
        await assert.rejects(basic().query("sys_nonexistent"), BadRequestError);
    });

    it("fails with AuthError on a wrong password, and the password is not in the message", async () => {
        await assert.rejects(basic("wrong-Pa55word").query("sys_user", { limit: 1 }), (e: Error) => {
            assert.ok(e instanceof AuthError);
            assert.doesNotMatch(`${e.message} ${String(e.cause ?? "")} ${e.stack}`, /wrong-Pa55word/);
            return true;
        });
    });

    it("authenticates with the OAuth password grant and reuses the token; a refused client gets AuthError", async () => {
        const password = new ServiceNowClient({
            url,
            credentials: { kind: "oauth", ...SEEDED_OAUTH_CLIENT, username: "admin", password: "admin" },
        });
        const mark = logMark(emu, "acme-dev");
        assert.equal(await password.liveInstanceName(), "acme-dev");
        assert.equal(await password.liveInstanceName(), "acme-dev");
        assert.equal(
            emu.stats.requests("acme-dev", mark).filter((e) => e.path.includes("oauth_token")).length <= 1,
            true,
        );
        const wrong = new ServiceNowClient({
            url,
            credentials: { kind: "oauth", clientId: "nope", clientSecret: "x-secret" },
        });
        await assert.rejects(
            wrong.query("sys_user", { limit: 1 }),
            (e: Error) => e instanceof AuthError && !e.message.includes("x-secret"),
        );
    });

    it("renews an OAuth token the instance stopped accepting, once, and carries on", async () => {
        const admin = basic();
        const [entity] = await admin.query("oauth_entity", {
            query: `client_id=${SEEDED_OAUTH_CLIENT.clientId}`,
            fields: ["sys_id", "access_token_lifespan"],
        });
        // A one-second token: the instance answers expires_in 0, so the client keeps using it until refused.
        await admin.update("oauth_entity", entity!.sys_id!, { access_token_lifespan: "1" });
        try {
            const c = new ServiceNowClient({
                url,
                credentials: { kind: "oauth", ...SEEDED_OAUTH_CLIENT, username: "admin", password: "admin" },
            });
            assert.equal(await c.liveInstanceName(), "acme-dev");
            // Until the token expires every call succeeds with it; once it has, one call must see the 401, renew and
            // still answer. Call until the log shows that refusal (a deadline, not a sleep, so a slow machine waits).
            const mark = logMark(emu, "acme-dev");
            const deadline = Date.now() + 20_000;
            let statuses: number[] = [];
            while (!statuses.includes(401)) {
                assert.ok(Date.now() < deadline, `the instance never refused the one-second token: ${statuses}`);
                assert.equal(await c.liveInstanceName(), "acme-dev", "every call answers, across the renewal");
                statuses = emu.stats.requests("acme-dev", mark).map((e) => e.status);
                if (!statuses.includes(401)) await new Promise((r) => setTimeout(r, 50)); // polling interval
            }
            const tokens = emu.stats.requests("acme-dev", mark).filter((e) => e.path.includes("oauth_token"));
            assert.ok(
                tokens.length >= 1 && tokens.every((e) => e.status === 200),
                "renewed once the token was refused",
            );
        } finally {
            await admin.update("oauth_entity", entity!.sys_id!, {
                access_token_lifespan: entity!.access_token_lifespan ?? "",
            });
        }
    });

    it("says so clearly when a hibernating instance answers with an HTML page", async () => {
        emu.faults.configure({ hibernating: true });
        await assert.rejects(basic().query("sys_user", { limit: 1 }), (e: Error) => {
            assert.ok(e instanceof NonJsonResponseError);
            assert.match(e.message, /text\/html.*hibernating/);
            return true;
        });
    });

    it("sends small reads issued together as one Batch API call, each with its own answer or error", async () => {
        const c = basic();
        const mark = logMark(emu, "acme-dev");
        const [roles, groups, bad] = await Promise.allSettled([
            c.query("sys_user_role", { query: "name=admin", fields: ["name"], coalesce: true }),
            c.query("sys_user_group", { query: "nameSTARTSWITHUAT", fields: ["name"], coalesce: true }),
            c.query("no_such_table", { query: "", coalesce: true }),
        ]);
        assert.deepEqual(roles.status === "fulfilled" && roles.value.map((r) => r.name), ["admin"]);
        assert.deepEqual(groups.status === "fulfilled" && groups.value.map((r) => r.name), ["UAT Participants"]);
        assert.ok(bad.status === "rejected" && bad.reason instanceof BadRequestError, String(bad));
        assert.match((bad as PromiseRejectedResult).reason.message, /GET no_such_table/);
        const log = emu.stats.requests("acme-dev", mark);
        assert.deepEqual(
            log.filter((e) => !e.batch).map((e) => `${e.method} ${e.path}`),
            ["POST /api/now/v1/batch"],
        );
        assert.deepEqual(
            log.filter((e) => e.batch).map((e) => e.method),
            ["GET", "GET", "GET"],
        );
        // A read issued alone goes as a plain GET.
        const next = logMark(emu, "acme-dev");
        await c.query("sys_user_role", { query: "name=admin", coalesce: true });
        assert.deepEqual(
            emu.stats.requests("acme-dev", next).map((e) => `${e.method} ${e.path}`),
            ["GET /api/now/table/sys_user_role"],
        );
    });

    it("gives every coalesced read the hibernation message when the instance sleeps, without a second round", async () => {
        emu.faults.configure({ hibernating: true });
        const c = basic();
        const reads = ["sys_user_role", "sys_user_group"].map((t) => c.query(t, { coalesce: true }));
        for (const read of reads) {
            await assert.rejects(read, (e: Error) => {
                assert.ok(e instanceof NonJsonResponseError);
                assert.match(e.message, /hibernating/);
                return true;
            });
        }
        assert.equal(c.requestCount, 1, "one batch call, no read sent again on its own");
    });

    it("retries reads through 503s, resets and a 429 storm honouring Retry-After", async () => {
        const c = basic();
        emu.faults.configure({
            errorRate: 0.4,
            resetRate: 0.2,
            rateLimits: [{ limit: 3, windowMs: 500 }],
            randomSeed: 5,
        });
        const total = emu.instances.get("acme-dev")!.db.count("sys_user");
        const active = emu.instances.get("acme-dev")!.db.count("sys_user", "active=true");
        assert.ok(active < total, "two different counts, so a reply to the wrong request shows");
        const mark = logMark(emu, "acme-dev");
        for (let i = 0; i < 8; i++) {
            assert.equal(await c.count("sys_user"), total);
            assert.equal(await c.count("sys_user", "active=true"), active);
        }
        const statuses = emu.stats.requests("acme-dev", mark).map((e) => e.status);
        assert.ok(statuses.includes(429) && statuses.some((s) => s >= 502), `saw ${[...new Set(statuses)]}`);
    });

    it("never sends an insert twice after a 503: it may have run", async () => {
        const c = basic();
        await c.assertWritable("sys_user");
        emu.faults.configure({ errorRate: 1, errorStatuses: [503] });
        const mark = logMark(emu, "acme-dev");
        await assert.rejects(c.insert("sys_user", { user_name: "once.only" }), TransportError);
        const posts = emu.stats.requests("acme-dev", mark).filter((e) => e.method === "POST");
        assert.equal(posts.length, 1);
    });

    it("refuses plain http to a remote host unless allowed", () => {
        const credentials = { kind: "basic" as const, username: "u", password: "p" };
        assert.throws(
            () => new ServiceNowClient({ url: "http://acme.example.com", credentials }),
            ConnectionConfigError,
        );
        assert.doesNotThrow(
            () => new ServiceNowClient({ url: "http://acme.example.com", credentials, allowInsecureHttp: true }),
        );
        assert.doesNotThrow(() => new ServiceNowClient({ url: "http://127.0.0.1:1", credentials }));
    });
});

describe("ServiceNowClient batch updates", function () {
    this.timeout(60_000);
    let emu: Emulator;

    before(async () => {
        emu = await startBulkEmulator({ users: 150, batchQuotaMs: 1 });
    });
    after(async () => emu.stop());

    it("sends again what the Batch API left unserviced until every update is written", async () => {
        const c = new ServiceNowClient({
            url: urlOf(emu, "acme-dev"),
            credentials: { kind: "basic", username: "admin", password: "admin" },
            instanceName: "acme-dev",
            batchSize: 100,
        });
        // Each written record costs 2 ms of processing, so a 1 ms quota leaves items of every batch unserviced.
        emu.instances.get("acme-dev")!.cost.configure({ writeRecordMs: 2 });
        const rows = await c.query("sys_user", { query: "active=true", fields: ["sys_id"], limit: 100 });
        const mark = logMark(emu, "acme-dev");
        const result = await c.batchUpdate(
            "sys_user",
            rows.map((r) => ({ sysId: r.sys_id!, values: { title: "Batched" } })),
        );
        emu.instances.get("acme-dev")!.cost.configure({ writeRecordMs: 0 });
        assert.equal(result.updated.length, rows.length);
        const batchCalls = emu.stats.requests("acme-dev", mark).filter((e) => e.method === "POST" && !e.batch);
        assert.ok(batchCalls.length > 1, `took ${batchCalls.length} batch calls`);
        const titled = await c.count("sys_user", "title=Batched");
        assert.equal(titled, rows.length);
    });
});
