import * as assert from "node:assert/strict";
import { InstanceDb } from "../../emulator/db";
import type { RunningEmulator } from "../../emulator/index";
import { seedInstance } from "../../emulator/seed";
import { start } from "./helpers";

describe("seeds", () => {
    let emu: RunningEmulator;
    before(async () => {
        emu = await start({ instances: [{ name: "prod" }, { name: "dev" }], users: 500, jobs: 120 });
    });
    after(() => emu.stop());

    describe("production", () => {
        const db = () => emu.instances.get("prod")!.db;

        it("has the instance's own name and production properties with email on", () => {
            assert.equal(db().getProperty("instance_name"), "prod");
            assert.equal(db().getProperty("glide.installation.production"), "true");
            assert.equal(db().getProperty("glide.email.smtp.active"), "true");
            assert.equal(db().getProperty("glide.email.read.active"), "true");
            assert.equal(db().getProperty("glide.db.clone.allow_clone_target"), "false");
            assert.ok(db().getProperty("glide.product.description"));
            assert.ok(db().getProperty("css.base.color"));
            assert.equal(db().getProperty("glide.email.test.user"), undefined);
        });

        it("has the requested number of users, some locked out or inactive, with roles and groups", () => {
            assert.equal(db().count("sys_user"), 500);
            assert.ok(db().count("sys_user", "locked_out=true") > 0);
            assert.ok(db().count("sys_user", "active=false") > 0);
            assert.ok(db().count("sys_user", "web_service_access_only=true") >= 8);
            for (const g of ["System Administrators", "UAT Participants", "Trainees"]) {
                const group = db().query("sys_user_group", `name=${g}`)[0]!;
                assert.ok(db().count("sys_user_grmember", `group=${group.sys_id}`) > 0, g);
            }
            assert.ok(db().count("sys_user_has_role", "role.name=mid_server") >= 1);
        });

        it("has scheduled jobs across the sysauto family, most active, with schedule items", () => {
            assert.equal(db().count("sysauto"), 120);
            assert.ok(db().count("sysauto", "active=true") > 120 * 0.7);
            for (const c of ["sysauto_script", "sysauto_report", "sysauto_template", "scheduled_import_set"]) {
                assert.ok(db().count(c) > 0, c);
            }
            assert.equal(db().count("sys_trigger"), db().count("sysauto", "active=true"));
        });

        it("points LDAP, REST and SOAP configuration at production hosts", () => {
            assert.ok(
                db()
                    .query("ldap_server_config")
                    .every((r) => r.active === "true" && r.server_url.includes("acme-corp.com")),
            );
            assert.ok(db().count("ldap_server_url") >= 2);
            assert.ok(db().count("sys_rest_message_fn", "rest_endpointLIKEacme") > 0);
            assert.ok(db().count("sys_soap_message_function", "soap_endpointLIKEacme-corp.com") > 0);
        });

        it("has MID servers (one Down) with output queued for them", () => {
            assert.ok(db().count("ecc_agent", "status=Down") >= 1);
            assert.ok(db().count("ecc_queue", "queue=output^state=ready") > 0);
            for (const a of db().query("ecc_agent"))
                assert.equal(db().count("sys_user", `user_name=${a.user_name}`), 1);
        });

        it("has the platform's default clone configuration", () => {
            for (const t of ["syslog", "sys_audit", "sys_email", "wf_context"])
                assert.equal(db().count("clone_data_exclude", `name=${t}`), 1, t);
            for (const p of ["Core Instance Properties", "Semaphores", "Email Accounts"]) {
                assert.equal(db().count("clone_data_preserver", `name=${p}`), 1, p);
            }
            const disable = db().query("clone_cleanup_script", "name=Disable emails")[0]!;
            assert.equal(
                disable.script,
                'gs.setProperty("glide.email.read.active", false);gs.setProperty("glide.email.smtp.active", false);',
            );
            assert.equal(db().count("clone_cleanup_script", "name=Clear scheduled job node association"), 1);
            const profile = db().query("clone_profile", "default_profile=true")[0]!;
            assert.equal(
                db().count("clone_profile_exclusions", `profile=${profile.sys_id}`),
                db().count("clone_data_exclude"),
            );
            assert.equal(db().count("sn_instance_clone_request"), 0);
            assert.ok(db().tableInfo("sn_instance_clone_request").fields.has("rollback_deadline"));
        });

        it("lists every instance of the process in the instance table", () => {
            const rows = db().query("instance", "ORDERBYinstance_name");
            assert.deepEqual(
                rows.map((r) => [r.instance_name, r.instance_url]),
                [
                    ["dev", emu.instances.get("dev")!.url],
                    ["prod", emu.instances.get("prod")!.url],
                ],
            );
        });

        it("has welcome page content and update sets in every state", () => {
            assert.ok(db().count("welcome_page_content", "active=true") >= 1);
            for (const s of ["in progress", "complete", "ignore"])
                assert.ok(db().count("sys_update_set", `state=${s}`) > 0, s);
        });
    });

    describe("empty", () => {
        const db = () => emu.instances.get("dev")!.db;

        it("is a base system: admin, its MID user, non-production properties", () => {
            assert.equal(db().getProperty("instance_name"), "dev");
            assert.equal(db().getProperty("glide.installation.production"), "false");
            assert.equal(db().getProperty("glide.db.clone.allow_clone_target"), "true");
            assert.deepEqual(
                db()
                    .query("sys_user", "ORDERBYuser_name")
                    .map((u) => u.user_name),
                ["admin", "mid.dev"],
            );
            assert.equal(db().query("ecc_agent")[0]!.user_name, "mid.dev");
            assert.equal(db().count("sysauto"), 0);
            assert.ok(db().count("sys_email_account") > 0);
            assert.equal(db().count("instance"), 2);
        });
    });

    it("is deterministic for a random seed, sys_ids included", () => {
        const make = (seed: number) => {
            const db = new InstanceDb({ name: "p" });
            seedInstance(db, { kind: "production", users: 50, jobs: 20, randomSeed: seed });
            return db
                .query("sys_user", "ORDERBYuser_name")
                .map((u) => `${u.sys_id}:${u.user_name}:${u.sys_created_on}`);
        };
        assert.deepEqual(make(7), make(7));
        assert.notDeepEqual(make(7), make(8));
    });

    it("honours a custom welcome page content table name", () => {
        const db = new InstanceDb({ name: "w", welcomeTable: "sys_ui_welcome" });
        seedInstance(db, { kind: "empty", welcomeTable: "sys_ui_welcome" });
        assert.equal(db.count("sys_ui_welcome"), 1);
        assert.equal(db.schema.has("welcome_page_content"), false);
    });
});
