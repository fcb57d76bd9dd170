import * as assert from "node:assert/strict";
import type { RunningEmulator } from "../../emulator/index";
import { call, start, urlOf } from "./helpers";

const UNAUTHENTICATED =
    '{"error":{"message":"User Not Authenticated","detail":"Required to provide Auth information"},"status":"failure"}';
const DENIED = '{"error_description":"access_denied","error":"server_error"}';

function form(values: Record<string, string>): CallBody {
    return {
        body: new URLSearchParams(values).toString(),
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
    };
}
type CallBody = { body: string; headers: Record<string, string> };

describe("authentication and permissions", () => {
    let emu: RunningEmulator;
    let url: string;
    before(async () => {
        emu = await start({ adminPassword: "s3cret" });
        url = urlOf(emu);
    });
    after(() => emu.stop());

    it("answers a request without credentials with 401 and the exact envelope", async () => {
        const r = await call(url, "/api/now/table/sys_user", { basic: null });
        assert.equal(r.status, 401);
        assert.equal(r.text, UNAUTHENTICATED);
    });

    it("answers a wrong password with the same 401", async () => {
        const r = await call(url, "/api/now/table/sys_user", { basic: "admin:admin" });
        assert.equal(r.status, 401);
        assert.equal(r.text, UNAUTHENTICATED);
    });

    it("takes a user name literally: encoded-query syntax in it matches no one", async () => {
        const r = await call(url, "/api/now/table/sys_user", { basic: "nobody^ORuser_name=admin:s3cret" });
        assert.equal(r.status, 401);
    });

    it("accepts Basic credentials of an active user", async () => {
        const r = await call(url, "/api/now/table/sys_user?sysparm_limit=1", { basic: "admin:s3cret" });
        assert.equal(r.status, 200);
    });

    it("refuses locked-out and inactive users with 401", async () => {
        for (const user of ["locked.user", "inactive.user"]) {
            const r = await call(url, "/api/now/table/sys_user?sysparm_limit=1", { basic: `${user}:s3cret` });
            assert.equal(r.status, 401, user);
            assert.equal(r.text, UNAUTHENTICATED);
        }
    });

    it("refuses a user as soon as they are locked out", async () => {
        const db = emu.instances.get("prod")!.db;
        const u = db.insert("sys_user", { user_name: "soon.locked", user_password: "pw" });
        assert.equal(
            (await call(url, "/api/now/table/sys_user?sysparm_limit=1", { basic: "soon.locked:pw" })).status,
            200,
        );
        db.update("sys_user", u.sys_id!, { locked_out: true });
        assert.equal(
            (await call(url, "/api/now/table/sys_user?sysparm_limit=1", { basic: "soon.locked:pw" })).status,
            401,
        );
    });

    it("lets web_service_access_only integration users use REST", async () => {
        const r = await call(url, "/api/now/table/sys_user?sysparm_limit=1", { basic: "integration.01:s3cret" });
        assert.equal(r.status, 200);
    });

    it("refuses an itil-only user writing sys_properties with the 403 ACL envelope", async () => {
        const r = await call(url, "/api/now/table/sys_properties", {
            basic: "itil.only:s3cret",
            method: "POST",
            body: { name: "x" },
        });
        assert.equal(r.status, 403);
        assert.equal(
            r.text,
            '{"error":{"message":"Operation Failed","detail":"ACL Exception Insert Failed due to security constraints"},"status":"failure"}',
        );
        const prop = emu.instances.get("prod")!.db.query("sys_properties", "name=glide.email.smtp.active")[0]!;
        const u = await call(url, `/api/now/table/sys_properties/${prop.sys_id}`, {
            basic: "itil.only:s3cret",
            method: "PATCH",
            body: { value: "false" },
        });
        assert.equal(u.status, 403);
        assert.equal(u.json.error.detail, "ACL Exception Update Failed due to security constraints");
        const d = await call(url, `/api/now/table/sys_properties/${prop.sys_id}`, {
            basic: "itil.only:s3cret",
            method: "DELETE",
        });
        assert.equal(d.json.error.detail, "ACL Exception Delete Failed due to security constraints");
        assert.equal(emu.instances.get("prod")!.db.getProperty("glide.email.smtp.active"), "true");
    });

    it("lets an itil user write tasks, which its role covers", async () => {
        const r = await call(url, "/api/now/table/incident", {
            basic: "itil.only:s3cret",
            method: "POST",
            body: { short_description: "x" },
        });
        assert.equal(r.status, 201);
    });

    it("answers a query on a table the user may not read with 403 Insufficient rights and a null detail", async () => {
        const r = await call(url, "/api/now/table/clone_profile", { basic: "itil.only:s3cret" });
        assert.equal(r.status, 403);
        assert.equal(
            r.text,
            '{"error":{"message":"Insufficient rights to query records","detail":null},"status":"failure"}',
        );
    });

    it("grants roles through group membership", async () => {
        const r = await call(url, "/api/now/table/clone_profile", { basic: "clone.admin:s3cret" });
        assert.equal(r.status, 200);
        assert.equal(r.json.result[0].name, "System Profile");
    });

    it("refuses to delete an inherited role grant", async () => {
        const inherited = emu.instances.get("prod")!.db.query("sys_user_has_role", "inherited=true", { limit: 1 })[0]!;
        const r = await call(url, `/api/now/table/sys_user_has_role/${inherited.sys_id}`, {
            basic: "admin:s3cret",
            method: "DELETE",
        });
        assert.equal(r.status, 403);
        assert.deepEqual(
            emu.instances.get("prod")!.db.get("sys_user_has_role", inherited.sys_id!),
            inherited,
            "the grant is still there, unchanged",
        );
    });

    it("never returns password fields", async () => {
        const r = await call(
            url,
            "/api/now/table/sys_user?sysparm_query=user_name=admin&sysparm_fields=user_name,user_password",
            { basic: "admin:s3cret" },
        );
        assert.deepEqual(r.json.result, [{ user_name: "admin" }]);
    });

    describe("OAuth", () => {
        const client = { client_id: "emulator-client", client_secret: "emulator-secret" };

        it("issues a bearer token for the password grant with expires_in 1799 as a number", async () => {
            const r = await call(url, "/oauth_token.do", {
                method: "POST",
                basic: null,
                ...form({ grant_type: "password", ...client, username: "admin", password: "s3cret" }),
            });
            assert.equal(r.status, 200);
            assert.deepEqual(Object.keys(r.json), [
                "scope",
                "token_type",
                "expires_in",
                "refresh_token",
                "access_token",
            ]);
            assert.equal(r.json.expires_in, 1799);
            assert.equal(r.json.token_type, "Bearer");
            const use = await call(url, "/api/now/table/sys_user?sysparm_limit=1", { bearer: r.json.access_token });
            assert.equal(use.status, 200);
        });

        it("refreshes a token with the refresh_token grant", async () => {
            const first = await call(url, "/oauth_token.do", {
                method: "POST",
                basic: null,
                ...form({ grant_type: "password", ...client, username: "admin", password: "s3cret" }),
            });
            const r = await call(url, "/oauth_token.do", {
                method: "POST",
                basic: null,
                ...form({ grant_type: "refresh_token", ...client, refresh_token: first.json.refresh_token }),
            });
            assert.equal(r.status, 200);
            assert.notEqual(r.json.access_token, first.json.access_token);
        });

        it("refuses bad client secrets, bad passwords and unknown refresh tokens with 401 access_denied", async () => {
            const attempts: Record<string, string>[] = [
                {
                    grant_type: "password",
                    client_id: "emulator-client",
                    client_secret: "wrong",
                    username: "admin",
                    password: "s3cret",
                },
                { grant_type: "password", ...client, username: "admin", password: "wrong" },
                { grant_type: "refresh_token", ...client, refresh_token: "nope" },
            ];
            for (const a of attempts) {
                const r = await call(url, "/oauth_token.do", { method: "POST", basic: null, ...form(a) });
                assert.equal(r.status, 401);
                assert.equal(r.text, DENIED);
            }
        });

        it("refuses client_credentials until glide.oauth.inbound.client.credential.grant_type.enabled is true", async () => {
            const grant = form({ grant_type: "client_credentials", ...client });
            const off = await call(url, "/oauth_token.do", { method: "POST", basic: null, ...grant });
            assert.equal(off.status, 401);
            assert.equal(off.text, DENIED);
            emu.instances
                .get("prod")!
                .db.setProperty("glide.oauth.inbound.client.credential.grant_type.enabled", "true");
            const on = await call(url, "/oauth_token.do", { method: "POST", basic: null, ...grant });
            assert.equal(on.status, 200);
            assert.equal(on.json.refresh_token, undefined);
            assert.equal(
                (await call(url, "/api/now/table/sys_user?sysparm_limit=1", { bearer: on.json.access_token })).status,
                200,
            );
        });

        it("stops accepting a token once it has expired", async () => {
            const db = emu.instances.get("prod")!.db;
            const entity = db.query("oauth_entity", "client_id=emulator-client")[0]!;
            db.update("oauth_entity", entity.sys_id!, { access_token_lifespan: "1" });
            try {
                const r = await call(url, "/oauth_token.do", {
                    method: "POST",
                    basic: null,
                    ...form({ grant_type: "password", ...client, username: "admin", password: "s3cret" }),
                });
                assert.equal(r.json.expires_in, 0);
                await new Promise((res) => setTimeout(res, 1100));
                const use = await call(url, "/api/now/table/sys_user?sysparm_limit=1", { bearer: r.json.access_token });
                assert.equal(use.status, 401);
                assert.equal(use.text, UNAUTHENTICATED);
            } finally {
                db.update("oauth_entity", entity.sys_id!, { access_token_lifespan: "1800" });
            }
        });
    });
});
