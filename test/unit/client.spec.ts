import * as assert from "node:assert/strict";
import { decodeRanges, encodeRanges, exactRanges, inRanges } from "../../provider/bulk/ranges";
import { type FlagField, oursPredicate, plan, recordOf, type Survey } from "../../provider/bulk/reconcile";
import { AuthHeaderSource } from "../../provider/client/auth";
import {
    AccessDeniedError,
    AuthError,
    errorForStatus,
    NotFoundError,
    RateLimitedError,
    TransportError,
} from "../../provider/client/errors";
import { andQuery, inQuery, keysetQuery, queryFields } from "../../provider/client/query";
import { retryDelayMs, serverHintMs, shouldRetry } from "../../provider/client/retry";
import { configureConnections, connectionOptions, resetConnections } from "../../provider/connection";

describe("client retry policy", () => {
    it("retries a 429 even for a POST, because the limiter refuses before the request runs", () => {
        assert.equal(shouldRetry({ status: 429, idempotent: false }), true);
    });
    it("retries 502, 503 and 504 only for idempotent requests", () => {
        for (const status of [502, 503, 504]) {
            assert.equal(shouldRetry({ status, idempotent: true }), true);
            assert.equal(shouldRetry({ status, idempotent: false }), false);
        }
    });
    it("never retries a 400, 401, 403 or 404", () => {
        for (const status of [400, 401, 403, 404, 500]) assert.equal(shouldRetry({ status, idempotent: true }), false);
    });
    it("retries a reset or timeout only when repeating is harmless, and a refused connection always", () => {
        assert.equal(shouldRetry({ code: "ECONNRESET", idempotent: true }), true);
        assert.equal(shouldRetry({ code: "ECONNRESET", idempotent: false }), false);
        assert.equal(shouldRetry({ code: "ETIMEDOUT", idempotent: false }), false);
        assert.equal(shouldRetry({ code: "ECONNREFUSED", idempotent: false }), true);
    });
    it("waits what Retry-After asks, in seconds or as an HTTP date", () => {
        const now = Date.parse("2026-01-01T00:00:00Z");
        assert.equal(serverHintMs({ "retry-after": "3" }, now), 3000);
        assert.equal(serverHintMs({ "Retry-After": "Thu, 01 Jan 2026 00:00:05 GMT" }, now), 5000);
        assert.equal(
            retryDelayMs(1, { "retry-after": "2" }, {}, now, () => 0),
            2000,
        );
    });
    it("falls back to X-RateLimit-Reset when there is no Retry-After", () => {
        const now = 1_000_000_000_000;
        assert.equal(serverHintMs({ "x-ratelimit-reset": String(now / 1000 + 7) }, now), 7000);
    });
    it("caps any wait at maxDelayMs, whatever the server asks", () => {
        assert.equal(
            retryDelayMs(1, { "retry-after": "3600" }, { maxDelayMs: 5000 }, 0, () => 0),
            5000,
        );
    });
    it("backs off exponentially with full jitter when the server gives no hint", () => {
        assert.equal(
            retryDelayMs(1, undefined, { baseDelayMs: 100 }, 0, () => 0.999),
            99,
        );
        assert.equal(
            retryDelayMs(4, undefined, { baseDelayMs: 100 }, 0, () => 0.999),
            799,
        );
        assert.equal(
            retryDelayMs(4, undefined, { baseDelayMs: 100 }, 0, () => 0),
            0,
        );
    });
});

describe("encoded query helpers", () => {
    it("adds the keyset condition and order, replacing the caller's order", () => {
        assert.equal(keysetQuery("active=true^ORDERBYname", "abc"), "active=true^sys_id>abc^ORDERBYsys_id");
        assert.equal(keysetQuery("", undefined), "ORDERBYsys_id");
        assert.equal(keysetQuery("", "abc"), "sys_id>abc^ORDERBYsys_id");
    });
    it("adds the keyset condition to every ^NQ part so no part repeats rows", () => {
        assert.equal(keysetQuery("a=1^NQb=2", "x"), "a=1^sys_id>x^NQb=2^sys_id>x^ORDERBYsys_id");
    });
    it("ANDs queries across ^NQ parts", () => {
        assert.equal(andQuery("a=1^NQb=2", "c=3"), "a=1^c=3^NQb=2^c=3");
        assert.equal(andQuery(undefined, "", "c=3"), "c=3");
    });
    it("doubles a caret inside IN values so a name cannot add query terms", () => {
        assert.equal(inQuery("name", ["a^ORactive=true", "b"]), "nameINa^^ORactive=true,b");
    });
    it("names the fields a query filters on", () => {
        assert.deepEqual(queryFields("active=true^locked_outISEMPTY^ORnameSTARTSWITHa^NQdepartment.name=IT").sort(), [
            "active",
            "department.name",
            "locked_out",
            "name",
        ]);
    });
});

describe("error mapping", () => {
    it("maps each status to its error class, keeping ServiceNow's own words", () => {
        assert.ok(errorForStatus(401, "GET sys_user", "https://x", "User Not Authenticated") instanceof AuthError);
        assert.ok(errorForStatus(403, "PATCH sys_user/1", "https://x", undefined) instanceof AccessDeniedError);
        assert.ok(errorForStatus(404, "GET sys_user/1", "https://x", undefined) instanceof NotFoundError);
        const rl = errorForStatus(429, "GET sys_user", "https://x", "Rate limit exceeded");
        assert.ok(rl instanceof RateLimitedError && rl.retryable);
        assert.ok(errorForStatus(503, "GET sys_user", "https://x", undefined) instanceof TransportError);
        assert.match(errorForStatus(403, "PATCH sys_user/1", "https://x", "ACL Exception").message, /ACL Exception/);
    });
});

describe("range record of changed rows", () => {
    const ids = Array.from({ length: 400 }, (_, i) => (i * 7919 + 13).toString(16).padStart(32, "0")).sort();
    it("says exactly which rows of the surveyed table are members, for any pattern", () => {
        for (const pattern of [(i: number) => i % 3 !== 0, (i: number) => i % 50 === 7, () => true, () => false]) {
            const ranges = decodeRanges(encodeRanges(ids, pattern));
            ids.forEach((id, i) => {
                assert.equal(inRanges(ranges, id), pattern(i), `id ${i}`);
            });
        }
    });
    it("stops at the part of the table walked so far: nothing after it is a member, known or not yet", () => {
        const walked = ids.slice(0, 200);
        const last = walked.at(-1)!;
        for (const next of [ids[200], undefined]) {
            const ranges = decodeRanges(encodeRanges(walked, () => true, { id: next }));
            for (const id of walked) assert.ok(inRanges(ranges, id), `${id} walked`);
            for (const id of ids.slice(200)) assert.equal(inRanges(ranges, id), false, `${id} after the walked part`);
        }
        // With the next row unknown, the last run ends at the last row walked, not one id later.
        const ranges = decodeRanges(encodeRanges(walked, () => true, { id: undefined }));
        const above = `${last.slice(0, 31)}${(Number.parseInt(last.at(-1)!, 16) + 1).toString(16)}`;
        if (!last.endsWith("f")) assert.equal(inRanges(ranges, above), false, `${above} just after ${last}`);
    });
    it("names single rows exactly, and nothing between them", () => {
        const some = ids.filter((_, i) => i % 2 === 0);
        const ranges = decodeRanges(exactRanges(some));
        for (const [i, id] of ids.entries()) assert.equal(inRanges(ranges, id), i % 2 === 0, `id ${i}`);
    });
    it("costs far less than listing ids when most rows are members", () => {
        const text = encodeRanges(ids, (i) => i % 40 !== 0);
        assert.ok(text.length < ids.length * 4, `${text.length} chars for ${ids.length} ids`);
    });
});

describe("bulk plan", () => {
    const flag: FlagField = { table: "sys_user", field: "locked_out", enforced: "true", original: "false" };
    const row = (n: number, value: string) => ({
        sysId: n.toString(16).padStart(32, "0"),
        value,
        createdOn: "2026-01-01 00:00:00",
        cls: "sys_user",
    });
    const id = (n: number) => n.toString(16).padStart(32, "0");
    const survey = (values: string[], inScope: number[]): Survey => ({
        rows: values.map((v, i) => row(i, v)),
        inScope: new Set(inScope.map(id)),
        asOf: "2026-01-02 00:00:00",
    });

    it("locks users in scope, leaves the exempt, out-of-scope and already locked ones alone", () => {
        const s = survey(["false", "false", "true", "false"], [0, 1, 2]);
        const p = plan(flag, s, new Set([id(1)]), undefined);
        assert.deepEqual(
            p.enforce.map((w) => w.sysId),
            [id(0)],
        );
        assert.deepEqual([...p.ours], [id(0)]);
        assert.equal(p.exemptInScope, 1);
    });
    it("unlocks only what it locked once a user becomes exempt, and keeps a pre-locked user locked", () => {
        const first = survey(["false", "true"], [0, 1]);
        const record = recordOf(first, plan(flag, first, new Set(), undefined).ours);
        const later = survey(["true", "true"], [0, 1]);
        const p = plan(flag, later, new Set([id(0), id(1)]), record);
        assert.deepEqual(
            p.revert.map((w) => [w.sysId, w.value]),
            [[id(0), "false"]],
        );
    });
    it("does not count a row created after the record as changed by it", () => {
        const s = survey(["false", "false"], [0, 1]);
        const record = recordOf(s, new Set([id(0), id(1)]));
        const ours = oursPredicate(record);
        assert.equal(ours({ ...row(0, "true"), createdOn: "2026-01-03 00:00:00" }), false);
        assert.equal(ours(row(0, "true")), true);
    });
});

describe("connection settings", () => {
    const env = { ...process.env };
    afterEach(() => {
        process.env = { ...env };
        resetConnections();
    });
    const config = (values: Record<string, string>) => ({
        get: (k: string) => values[k],
        require: (k: string) => {
            const v = values[k];
            if (v === undefined) throw new Error(`missing ${k}`);
            return v;
        },
    });

    it("names the config key and the environment variable when the URL is missing", () => {
        delete process.env.SERVICENOW_INSTANCE_URL;
        configureConnections(config({}));
        assert.throws(() => connectionOptions("target"), /servicenow:instanceUrl.*SERVICENOW_INSTANCE_URL/);
        assert.throws(
            () => connectionOptions("source"),
            /servicenow:sourceInstanceUrl.*SERVICENOW_SOURCE_INSTANCE_URL/,
        );
    });
    it("uses OAuth when a client id is set, and environment variables when config is absent", () => {
        process.env.SERVICENOW_SOURCE_INSTANCE_URL = "https://prod.example.com";
        process.env.SERVICENOW_SOURCE_CLIENT_ID = "cid";
        process.env.SERVICENOW_SOURCE_CLIENT_SECRET = "s3cret-value";
        configureConnections(config({ "servicenow:productionInstances": '["prod", "https://prod.example.com"]' }));
        const o = connectionOptions("source");
        assert.equal(o.credentials.kind, "oauth");
        assert.deepEqual(o.productionInstances, ["prod", "https://prod.example.com"]);
    });
    it("never puts a secret into the message of a configuration error", () => {
        configureConnections(
            config({ "servicenow:instanceUrl": "https://dev.example.com", "servicenow:password": "hunter2-secret" }),
        );
        assert.throws(
            () => connectionOptions("target"),
            (e: Error) => !e.message.includes("hunter2-secret") && /servicenow:username/.test(e.message),
        );
    });
});

describe("OAuth token handling", () => {
    const fakeHttp = (answers: { status: number; data: unknown }[]) => {
        const grants: string[] = [];
        const http = {
            post: async (_url: string, body: string) => {
                grants.push(new URLSearchParams(body).get("grant_type")!);
                return answers.shift() ?? { status: 500, data: {} };
            },
        };
        return { http: http as unknown as import("axios").AxiosInstance, grants };
    };
    const creds = {
        kind: "oauth" as const,
        clientId: "c",
        clientSecret: "s3cr3t",
        username: "u",
        password: "pw-secret",
    };

    it("uses the password grant, reuses the token, and refreshes it within a minute of expiry", async () => {
        let now = 0;
        const { http, grants } = fakeHttp([
            { status: 200, data: { access_token: "a1", refresh_token: "r1", expires_in: 1799 } },
            { status: 200, data: { access_token: "a2", refresh_token: "r2", expires_in: 1799 } },
        ]);
        const src = new AuthHeaderSource(creds, http, "https://x", () => now);
        assert.equal(await src.header(), "Bearer a1");
        now = 1000_000;
        assert.equal(await src.header(), "Bearer a1");
        now = 1_750_000;
        assert.equal(await src.header(), "Bearer a2");
        assert.deepEqual(grants, ["password", "refresh_token"]);
    });
    it("falls back to the original grant when the refresh token is refused", async () => {
        const { http, grants } = fakeHttp([
            { status: 200, data: { access_token: "a1", refresh_token: "r1", expires_in: 1799 } },
            { status: 401, data: { error: "server_error", error_description: "access_denied" } },
            { status: 200, data: { access_token: "a3", expires_in: 1799 } },
        ]);
        const src = new AuthHeaderSource(creds, http, "https://x");
        await src.header();
        src.invalidate();
        assert.equal(await src.header(), "Bearer a3");
        assert.deepEqual(grants, ["password", "refresh_token", "password"]);
    });
    it("reports a refused grant as AuthError without the client secret or password", async () => {
        const { http } = fakeHttp([
            { status: 401, data: { error: "server_error", error_description: "access_denied" } },
        ]);
        const src = new AuthHeaderSource(creds, http, "https://x");
        await assert.rejects(src.header(), (e: Error) => {
            assert.ok(e instanceof AuthError);
            assert.doesNotMatch(e.message, /s3cr3t|pw-secret/);
            return true;
        });
    });
});
