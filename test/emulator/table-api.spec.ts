import * as assert from "node:assert/strict";
import type { RunningEmulator } from "../../emulator/index";
import { call, start, urlOf } from "./helpers";

describe("Table API", () => {
    let emu: RunningEmulator;
    let url: string;
    before(async () => {
        emu = await start();
        url = urlOf(emu);
    });
    after(() => emu.stop());

    describe("GET list", () => {
        it("returns every value as a string and references as link/value objects", async () => {
            const r = await call(url, "/api/now/table/sys_user_has_role?sysparm_limit=1");
            assert.equal(r.status, 200);
            assert.equal(r.headers.get("content-type"), "application/json;charset=UTF-8");
            const rec = r.json.result[0];
            for (const [k, v] of Object.entries(rec)) {
                if (k === "user" || k === "role" || (k === "granted_by" && v !== "")) continue;
                assert.equal(typeof v, "string", `${k} should be a string`);
            }
            assert.deepEqual(rec.role, {
                link: `${url}/api/now/table/sys_user_role/${rec.role.value}`,
                value: rec.role.value,
            });
            assert.match(rec.sys_id, /^[0-9a-f]{32}$/);
            assert.match(rec.sys_created_on, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
        });

        it("sends X-Total-Count for the whole query and a Link header with absolute first/next/last URLs", async () => {
            const r = await call(
                url,
                "/api/now/table/sys_user?sysparm_query=active=true&sysparm_limit=50&sysparm_fields=sys_id",
            );
            const total = Number(r.headers.get("x-total-count"));
            assert.equal(total, emu.instances.get("prod")!.db.count("sys_user", "active=true"));
            assert.equal(r.json.result.length, 50);
            const link = r.headers.get("link")!;
            const rels = link.split(",").map((p) => /;rel="(\w+)"$/.exec(p)![1]);
            assert.deepEqual(rels, ["first", "next", "last"]);
            assert.ok(
                link.startsWith(
                    `<${url}/api/now/table/sys_user?sysparm_query=active%3Dtrue&sysparm_fields=sys_id&sysparm_offset=0&sysparm_limit=50>;rel="first"`,
                ),
            );
            assert.ok(link.includes(`sysparm_offset=50&sysparm_limit=50>;rel="next"`));
            assert.ok(
                link.includes(`sysparm_offset=${Math.floor((total - 1) / 50) * 50}&sysparm_limit=50>;rel="last"`),
            );
        });

        it("adds prev on a middle page and omits Link when one page holds everything", async () => {
            const mid = await call(
                url,
                "/api/now/table/sys_user?sysparm_limit=10&sysparm_offset=20&sysparm_fields=sys_id",
            );
            assert.ok(mid.headers.get("link")!.includes(`sysparm_offset=10&sysparm_limit=10>;rel="prev"`));
            const one = await call(url, "/api/now/table/sys_user_role?sysparm_fields=name");
            assert.equal(one.headers.get("link"), null);
        });

        it("drops X-Total-Count with sysparm_no_count and Link with sysparm_suppress_pagination_header", async () => {
            const r = await call(
                url,
                "/api/now/table/sys_user?sysparm_limit=5&sysparm_no_count=true&sysparm_suppress_pagination_header=true",
            );
            assert.equal(r.headers.get("x-total-count"), null);
            assert.equal(r.headers.get("link"), null);
            assert.equal(r.json.result.length, 5);
        });

        it("defaults sysparm_limit to 10000", async () => {
            const db = emu.instances.get("prod")!.db;
            const missing = 10005 - db.count("syslog");
            for (let i = 0; i < missing; i++) db.insert("syslog", { message: `filler ${i}` });
            const r = await call(url, "/api/now/table/syslog?sysparm_fields=sys_id");
            assert.equal(r.json.result.length, 10000);
            assert.equal(r.headers.get("x-total-count"), "10005");
        });

        it("pages by keyset with sys_id>X^ORDERBYsys_id in sys_id order", async () => {
            const first = await call(
                url,
                "/api/now/table/sys_user?sysparm_query=ORDERBYsys_id&sysparm_limit=3&sysparm_fields=sys_id",
            );
            const ids = first.json.result.map((r: Record<string, string>) => r.sys_id);
            assert.deepEqual(ids, [...ids].sort());
            const next = await call(
                url,
                `/api/now/table/sys_user?sysparm_query=sys_id>${ids[2]}^ORDERBYsys_id&sysparm_limit=2&sysparm_fields=sys_id`,
            );
            const all = emu.instances
                .get("prod")!
                .db.query("sys_user", "ORDERBYsys_id", { limit: 5 })
                .map((r) => r.sys_id);
            assert.deepEqual(
                next.json.result.map((r: Record<string, string>) => r.sys_id),
                all.slice(3, 5),
            );
        });

        it("returns child-class rows with their sys_class_name when a parent table is queried", async () => {
            const r = await call(url, "/api/now/table/sysauto?sysparm_fields=name,sys_class_name");
            const classes = new Set(r.json.result.map((x: Record<string, string>) => x.sys_class_name));
            for (const c of ["sysauto_script", "sysauto_report", "sysauto_template", "scheduled_import_set"])
                assert.ok(classes.has(c), c);
            const scripts = await call(url, "/api/now/table/sysauto_script?sysparm_fields=sys_class_name,script");
            assert.ok(
                scripts.json.result.every(
                    (x: Record<string, string>) => x.sys_class_name === "sysauto_script" && x.script !== undefined,
                ),
            );
        });

        it("returns only the parent's columns when a parent table is queried", async () => {
            const r = await call(
                url,
                "/api/now/table/sysauto?sysparm_query=sys_class_name=sysauto_script&sysparm_limit=1",
            );
            assert.equal(r.json.result[0].script, undefined);
        });

        it("flattens dot-walked sysparm_fields and ignores invalid ones", async () => {
            const r = await call(
                url,
                "/api/now/table/sys_user_has_role?sysparm_fields=user.user_name,role.name,nonsense&sysparm_limit=1&sysparm_query=user.user_name=admin",
            );
            assert.deepEqual(Object.keys(r.json.result[0]).sort(), ["role.name", "user.user_name"]);
            assert.equal(r.json.result[0]["user.user_name"], "admin");
            assert.equal(r.json.result[0]["role.name"], "admin");
        });

        it("renders display values with sysparm_display_value=true and all", async () => {
            const t = await call(
                url,
                "/api/now/table/sys_user_has_role?sysparm_fields=role,user&sysparm_display_value=true&sysparm_query=user.user_name=admin",
            );
            assert.deepEqual(Object.keys(t.json.result[0].role), ["display_value", "link"]);
            assert.equal(t.json.result[0].role.display_value, "admin");
            assert.equal(t.json.result[0].user.display_value, "System Administrator");
            const a = await call(
                url,
                "/api/now/table/sys_user?sysparm_fields=user_name,ldap_server&sysparm_display_value=all&sysparm_query=user_name=admin",
            );
            assert.deepEqual(a.json.result[0].user_name, { display_value: "admin", value: "admin" });
            assert.deepEqual(a.json.result[0].ldap_server, { display_value: "", value: "" });
        });

        it("displays choice labels for stored choice values", async () => {
            const r = await call(
                url,
                "/api/now/table/sys_trigger?sysparm_fields=state&sysparm_display_value=all&sysparm_limit=1&sysparm_query=state=0",
            );
            assert.deepEqual(r.json.result[0].state, { display_value: "Ready", value: "0" });
        });

        it("returns references as bare values with sysparm_exclude_reference_link=true", async () => {
            const r = await call(
                url,
                "/api/now/table/sys_user_has_role?sysparm_fields=role&sysparm_exclude_reference_link=true&sysparm_limit=1",
            );
            assert.match(r.json.result[0].role, /^[0-9a-f]{32}$/);
        });

        it("accepts name-value pairs instead of sysparm_query", async () => {
            const r = await call(url, "/api/now/table/sys_user?user_name=admin&sysparm_fields=user_name");
            assert.deepEqual(r.json.result, [{ user_name: "admin" }]);
        });

        it("ignores unknown fields in a query, matching every row, unless glide.invalid_query.returns_no_rows is true", async () => {
            const all = await call(url, "/api/now/table/sys_user_role?sysparm_fields=name");
            const typo = await call(url, "/api/now/table/sys_user_role?sysparm_query=nmae=admin&sysparm_fields=name");
            assert.equal(typo.json.result.length, all.json.result.length);
            const db = emu.instances.get("prod")!.db;
            db.setProperty("glide.invalid_query.returns_no_rows", "true");
            try {
                const strict = await call(
                    url,
                    "/api/now/table/sys_user_role?sysparm_query=nmae=admin&sysparm_fields=name",
                );
                assert.deepEqual(strict.json.result, []);
                assert.equal(strict.headers.get("x-total-count"), "0");
            } finally {
                db.setProperty("glide.invalid_query.returns_no_rows", "false");
            }
        });

        it("answers an empty query with 200 and [] on v2 and unversioned, 404 on v1", async () => {
            for (const prefix of ["/api/now/table", "/api/now/v2/table"]) {
                const r = await call(url, `${prefix}/sys_user?sysparm_query=user_name=nobody.at.all`);
                assert.equal(r.status, 200);
                assert.equal(r.text, '{"result":[]}');
            }
            const v1 = await call(url, "/api/now/v1/table/sys_user?sysparm_query=user_name=nobody.at.all");
            assert.equal(v1.status, 404);
        });

        it("answers HEAD with the GET headers and no body", async () => {
            const r = await call(url, "/api/now/table/sys_user?sysparm_limit=1", { method: "HEAD" });
            assert.equal(r.status, 200);
            assert.equal(r.text, "");
            assert.ok(Number(r.headers.get("x-total-count")) > 1);
        });
    });

    describe("errors", () => {
        it("answers an unknown table with 400 and the exact envelope", async () => {
            const r = await call(url, "/api/now/table/sys_nonexistent");
            assert.equal(r.status, 400);
            assert.equal(
                r.text,
                '{"error":{"message":"Invalid table sys_nonexistent","detail":"Table sys_nonexistent does not exist"},"status":"failure"}',
            );
        });

        it("answers a missing record with 404 No Record found for GET, PUT, PATCH and DELETE", async () => {
            const body =
                '{"error":{"message":"No Record found","detail":"Record doesn\'t exist or ACL restricts the record retrieval"},"status":"failure"}';
            for (const method of ["GET", "PUT", "PATCH", "DELETE"]) {
                const r = await call(url, `/api/now/table/sys_user/${"0".repeat(32)}`, {
                    method,
                    body: method === "GET" || method === "DELETE" ? undefined : {},
                });
                assert.equal(r.status, 404, method);
                assert.equal(r.text, body, method);
            }
        });

        it("answers an unknown API path with 400", async () => {
            const r = await call(url, "/api/now/nothing/here");
            assert.equal(r.status, 400);
            assert.equal(r.json.error.message, "Requested URI does not represent any resource");
        });
    });

    describe("writes", () => {
        it("creates with POST: 201, Location, sys fields set by the instance, defaults, sys_ fields in the body ignored", async () => {
            const r = await call(url, "/api/now/table/sys_properties", {
                method: "POST",
                body: {
                    name: "x.emulator.test",
                    value: "1",
                    sys_created_by: "mallory",
                    sys_mod_count: "9",
                    bogus: "ignored",
                },
            });
            assert.equal(r.status, 201);
            const rec = r.json.result;
            assert.equal(r.headers.get("location"), `${url}/api/now/table/sys_properties/${rec.sys_id}`);
            assert.equal(rec.sys_created_by, "admin");
            assert.equal(rec.sys_updated_by, "admin");
            assert.equal(rec.sys_mod_count, "0");
            assert.equal(rec.sys_created_on, rec.sys_updated_on);
            assert.equal(rec.type, "string");
            assert.equal(rec.is_private, "false");
            assert.equal(rec.bogus, undefined);
        });

        it("honours a caller-supplied sys_id on POST, and processes only the first record of an array", async () => {
            const id = "abcdef0123456789abcdef0123456789";
            const r = await call(url, "/api/now/table/sys_properties", {
                method: "POST",
                body: [{ sys_id: id, name: "x.first" }, { name: "x.second" }],
            });
            assert.equal(r.json.result.sys_id, id);
            const second = await call(url, "/api/now/table/sys_properties?name=x.second");
            assert.deepEqual(second.json.result, []);
        });

        it("updates partially with PUT and PATCH, bumping sys_mod_count on each real change", async () => {
            const created = await call(url, "/api/now/table/sys_properties", {
                method: "POST",
                body: { name: "x.update", value: "a", description: "keep" },
            });
            const id = created.json.result.sys_id;
            const put = await call(url, `/api/now/table/sys_properties/${id}`, { method: "PUT", body: { value: "b" } });
            assert.equal(put.status, 200);
            assert.equal(put.json.result.value, "b");
            assert.equal(put.json.result.description, "keep");
            assert.equal(put.json.result.sys_mod_count, "1");
            const patch = await call(url, `/api/now/table/sys_properties/${id}`, {
                method: "PATCH",
                body: { description: "" },
            });
            assert.equal(patch.json.result.description, "");
            assert.equal(patch.json.result.sys_mod_count, "2");
        });

        it("does not write an update that changes nothing: sys_mod_count and sys_updated_on stay", async () => {
            const created = await call(url, "/api/now/table/sys_properties", {
                method: "POST",
                body: { name: "x.noop", value: "same" },
            });
            const id = created.json.result.sys_id;
            const again = await call(url, `/api/now/table/sys_properties/${id}`, {
                method: "PATCH",
                body: { value: "same" },
            });
            assert.equal(again.status, 200);
            assert.equal(again.json.result.sys_mod_count, "0");
            assert.equal(again.json.result.sys_updated_on, created.json.result.sys_updated_on);
        });

        it("deletes with 204 and no body, after which the record is 404", async () => {
            const created = await call(url, "/api/now/table/sys_properties", {
                method: "POST",
                body: { name: "x.delete" },
            });
            const id = created.json.result.sys_id;
            const del = await call(url, `/api/now/table/sys_properties/${id}`, { method: "DELETE" });
            assert.equal(del.status, 204);
            assert.equal(del.text, "");
            assert.equal((await call(url, `/api/now/table/sys_properties/${id}`)).status, 404);
        });

        it("suppresses the body with X-no-response-body and honours X-http-method-override", async () => {
            const r = await call(url, "/api/now/table/sys_properties", {
                method: "POST",
                body: { name: "x.quiet" },
                headers: { "X-no-response-body": "true" },
            });
            assert.equal(r.status, 201);
            assert.equal(r.text, "");
            const id = r.headers.get("location")!.split("/").pop();
            const o = await call(url, `/api/now/table/sys_properties/${id}`, {
                method: "POST",
                body: { value: "v" },
                headers: { "X-http-method-override": "PATCH" },
            });
            assert.equal(o.status, 200);
            assert.equal(o.json.result.value, "v");
        });

        it("stores booleans as true/false and answers a malformed body with 400", async () => {
            const r = await call(url, "/api/now/table/sys_properties", {
                method: "POST",
                body: { name: "x.bool", is_private: true },
            });
            assert.equal(r.json.result.is_private, "true");
            const bad = await call(url, "/api/now/table/sys_properties", { method: "POST", body: "{not json" });
            assert.equal(bad.status, 400);
        });

        it("stores a reference given by display value when sysparm_input_display_value=true", async () => {
            const r = await call(
                url,
                "/api/now/table/incident?sysparm_input_display_value=true&sysparm_fields=caller_id.user_name",
                {
                    method: "POST",
                    body: { short_description: "x", caller_id: "System Administrator" },
                },
            );
            assert.equal(r.json.result["caller_id.user_name"], "admin");
        });

        it("auto-numbers task records", async () => {
            const r = await call(url, "/api/now/table/incident", {
                method: "POST",
                body: { short_description: "printer" },
            });
            assert.match(r.json.result.number, /^INC\d{7}$/);
        });
    });
});
