import * as assert from "node:assert/strict";
import type { RunningEmulator } from "../../emulator/index";
import { call, start, urlOf } from "./helpers";

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64");
const unb64 = (s: string) => JSON.parse(Buffer.from(s, "base64").toString("utf8"));

describe("Batch API", () => {
    let emu: RunningEmulator;
    let url: string;
    before(async () => {
        emu = await start({ batchQuotaMs: 200 });
        url = urlOf(emu);
    });
    after(() => emu.stop());

    it("runs each item with Base64 bodies and reports per-item status, body and headers", async () => {
        const prop = emu.instances.get("prod")!.db.query("sys_properties", "name=css.base.color")[0]!;
        const r = await call(url, "/api/now/v1/batch", {
            method: "POST",
            body: {
                batch_request_id: "b1",
                rest_requests: [
                    {
                        id: "1",
                        method: "PATCH",
                        url: `/api/now/table/sys_properties/${prop.sys_id}?sysparm_fields=value`,
                        headers: [{ name: "Content-Type", value: "application/json" }],
                        body: b64({ value: "#00ff00" }),
                    },
                    { id: "2", method: "GET", url: "/api/now/table/sys_nonexistent", exclude_response_headers: true },
                    { id: "3", method: "POST", url: "/api/now/table/sys_properties", body: b64({ name: "x.batch" }) },
                ],
            },
        });
        assert.equal(r.status, 200);
        assert.equal(r.json.batch_request_id, "b1");
        assert.deepEqual(r.json.unserviced_requests, []);
        const [one, two, three] = r.json.serviced_requests;
        assert.equal(one.id, "1");
        assert.equal(one.status_code, 200);
        assert.equal(one.status_text, "OK");
        assert.deepEqual(unb64(one.body), { result: { value: "#00ff00" } });
        assert.ok(one.headers.some((h: { name: string; value: string }) => h.name === "Content-Type"));
        assert.equal(typeof one.execution_time, "number");
        assert.equal(two.status_code, 400);
        assert.deepEqual(two.headers, []);
        assert.equal(unb64(two.body).error.message, "Invalid table sys_nonexistent");
        assert.equal(three.status_code, 201);
        assert.equal(emu.instances.get("prod")!.db.getProperty("css.base.color"), "#00ff00");
    });

    it("returns the items it could not run within the time quota as unserviced_requests", async () => {
        emu.faults.configure({ latencyMs: 120 });
        try {
            const items = [1, 2, 3, 4].map((i) => ({
                id: String(i),
                method: "GET",
                url: "/api/now/table/sys_user_role?sysparm_limit=1",
            }));
            const r = await call(url, "/api/now/v1/batch", {
                method: "POST",
                body: { batch_request_id: "q", rest_requests: items },
            });
            assert.equal(r.status, 200);
            const done = r.json.serviced_requests.map((s: { id: string }) => s.id);
            const left = r.json.unserviced_requests.map((s: { id: string }) => s.id);
            assert.ok(left.length > 0, "some items are left over");
            assert.deepEqual([...done, ...left], ["1", "2", "3", "4"]);
        } finally {
            emu.faults.configure({ latencyMs: 0 });
        }
    });

    it("requires authentication for the whole batch", async () => {
        const r = await call(url, "/api/now/v1/batch", { method: "POST", basic: null, body: { rest_requests: [] } });
        assert.equal(r.status, 401);
    });

    it("applies each item's ACL to the caller", async () => {
        const r = await call(url, "/api/now/v1/batch", {
            method: "POST",
            basic: "itil.only:admin",
            body: {
                rest_requests: [
                    { id: "a", method: "POST", url: "/api/now/table/sys_properties", body: b64({ name: "x" }) },
                ],
            },
        });
        assert.equal(r.json.serviced_requests[0].status_code, 403);
    });
});

describe("Aggregate (stats) API", () => {
    let emu: RunningEmulator;
    let url: string;
    before(async () => {
        emu = await start();
        url = urlOf(emu);
    });
    after(() => emu.stop());

    it("counts matching records and returns the count as a string", async () => {
        const r = await call(
            url,
            "/api/now/stats/sys_user?sysparm_count=true&sysparm_query=active=true^locked_out=false",
        );
        assert.equal(r.status, 200);
        const expected = emu.instances.get("prod")!.db.count("sys_user", "active=true^locked_out=false");
        assert.deepEqual(r.json, { result: { stats: { count: String(expected) } } });
    });

    it("groups counts with sysparm_group_by", async () => {
        const r = await call(url, "/api/now/stats/sysauto?sysparm_count=true&sysparm_group_by=active");
        const byValue = Object.fromEntries(
            r.json.result.map((g: { stats: { count: string }; groupby_fields: { field: string; value: string }[] }) => {
                assert.equal(g.groupby_fields[0]!.field, "active");
                return [g.groupby_fields[0]!.value, g.stats.count];
            }),
        );
        const db = emu.instances.get("prod")!.db;
        assert.deepEqual(byValue, {
            true: String(db.count("sysauto", "active=true")),
            false: String(db.count("sysauto", "active=false")),
        });
    });

    it("computes min and max", async () => {
        const r = await call(
            url,
            "/api/now/stats/sys_user?sysparm_min_fields=failed_attempts&sysparm_max_fields=user_name",
        );
        const users = emu.instances.get("prod")!.db.query("sys_user");
        const attempts = users.map((u) => Number(u.failed_attempts || 0));
        const names = users.map((u) => u.user_name!).sort();
        assert.deepEqual(r.json.result.stats, {
            min: { failed_attempts: String(Math.min(...attempts)) },
            max: { user_name: names[names.length - 1] },
        });
    });

    it("answers an unknown table with the 400 envelope", async () => {
        const r = await call(url, "/api/now/stats/nope?sysparm_count=true");
        assert.equal(r.status, 400);
        assert.equal(r.json.error.message, "Invalid table nope");
    });
});
