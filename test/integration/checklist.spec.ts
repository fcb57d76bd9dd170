import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { type RunningEmulator, type RunningInstance, startEmulator } from "../../emulator";
import { packageRoot } from "../../sdk/toolchain";
import { tableSnapshot } from "../fixtures/checklist/harness";
import { withTempStack } from "../support/pulumi";

const TARGET = "acme-qa";
const SMTP_PASSWORD = "relay-Pa55-for-integration-test";
const PRODUCTION_HOSTS = [
    "api.payments.acme-corp.com",
    "dw.acme-corp.com",
    "sap-pi.acme-corp.com",
    "cmdb-legacy.acme-corp.com",
    "ebs.acme-corp.com",
    "wd5-services.myworkday.com",
];
/** Everything the six resources touch, as an administrator would list it. */
const TABLES = [
    "sys_properties",
    "welcome_page_content",
    "ldap_server_config",
    "scheduled_import_set",
    "sys_user",
    "sys_user_has_role",
    "ecc_queue",
    "ecc_agent_issue",
    "sys_rest_message",
    "sys_rest_message_fn",
    "sys_soap_message_function",
    "sys_email_account",
];

/**
 * The instance as it would be compared after destroy. The SMTP account's password is left out: the platform never
 * returns a stored password, so the one the policy replaced cannot be put back (documented on EmailPolicy).
 */
function snapshot(instance: RunningInstance) {
    return TABLES.map((t) =>
        tableSnapshot(instance, t).map((r) => {
            if (t !== "sys_email_account") return r;
            const { password: _ignored, ...rest } = r;
            return rest;
        }),
    );
}

function activeEndpointsOnProduction(instance: RunningInstance): string[] {
    const db = instance.db;
    const all = [
        ...db.query("sys_rest_message", "").map((r) => r.rest_endpoint ?? ""),
        ...db.query("sys_rest_message_fn", "").map((r) => r.rest_endpoint ?? ""),
        ...db.query("sys_soap_message_function", "").map((r) => r.soap_endpoint ?? ""),
    ];
    return all.filter((e) => PRODUCTION_HOSTS.some((h) => e.toLowerCase().includes(`//${h}`)));
}

function midUserReady(instance: RunningInstance, name: string): boolean {
    const db = instance.db;
    const u = db.query("sys_user", `user_name=${name}`)[0];
    if (u?.active !== "true" || u.locked_out === "true") return false;
    const role = db.query("sys_user_role", "name=mid_server")[0]!;
    return db.query("sys_user_has_role", `user=${u.sys_id}^role=${role.sys_id}`).length > 0;
}

describe("the post-clone checklist through the real Pulumi CLI", function () {
    this.timeout(600_000);
    let emulator: RunningEmulator;
    let instance: RunningInstance;

    before(async () => {
        const compiled = path.join(packageRoot, "dist", "test", "fixtures", "checklist", "index.js");
        assert.ok(fs.existsSync(compiled), `${compiled} is missing: run \`npm run build\` (npm test does) first`);
        emulator = await startEmulator({
            instances: [{ name: TARGET, port: 0, seed: "production" }],
            users: 40,
            jobs: 20,
        });
        instance = emulator.instances.get(TARGET)!;
        // As after a real clone: production's sys_user has no account for one of this instance's MID servers.
        const db = instance.db;
        const missing = db.query("sys_user", "user_name=mid.user.02")[0]!;
        for (const g of db.query("sys_user_has_role", `user=${missing.sys_id}`))
            db.delete("sys_user_has_role", g.sys_id!);
        db.delete("sys_user", missing.sys_id!);
    });

    after(async () => {
        await emulator?.stop();
    });

    it("applies all six, is idempotent, shows and repairs drift, and destroy returns the instance to its snapshot", async () => {
        const before = snapshot(instance);
        const db = instance.db;
        await withTempStack(
            "checklist",
            {
                "servicenow:instanceUrl": { value: instance.url },
                "servicenow:username": { value: "admin" },
                "servicenow:password": { value: "admin", secret: true },
                "servicenow:instanceName": { value: TARGET },
                "servicenow:productionInstances": { value: "acme-prod" },
                "checklist:smtpPassword": { value: SMTP_PASSWORD, secret: true },
            },
            async ({ stack, readState }) => {
                const up = await stack.up();
                assert.equal(up.summary.result, "succeeded");

                // What an administrator checks after the post-clone run.
                assert.equal(db.getProperty("glide.email.smtp.active"), "true");
                assert.equal(db.getProperty("glide.email.test.user"), "qa-inbox@example.com", "mail is redirected");
                assert.equal(db.getProperty("glide.email.read.active"), "false");
                assert.equal(db.getProperty("glide.product.description"), "ACME QA (non-production)");
                assert.deepEqual(
                    db.query("welcome_page_content", "active=true").map((r) => r.text),
                    ["<p>This is QA. Data is copied from production every month.</p>"],
                );
                assert.deepEqual(db.query("ldap_server_config", "active=true"), [], "LDAP is inactive");
                assert.equal(db.query("scheduled_import_set", "nameSTARTSWITHLDAP^active=true").length, 0);
                for (const u of ["mid.user.01", "mid.user.02", "mid.user.03", "mid.user.04"]) {
                    assert.ok(midUserReady(instance, u), `MID user ${u} is present, active and has mid_server`);
                }
                assert.deepEqual(up.outputs.createdMidUsers?.value, ["mid.user.02"]);
                assert.deepEqual(up.outputs.downMidServers?.value, ["mid-prod-04"]);
                assert.deepEqual(activeEndpointsOnProduction(instance), [], "no active endpoint on a production host");
                assert.equal(db.getProperty("glide.ui.session_timeout"), "480");

                const state = readState();
                assert.ok(!state.includes(SMTP_PASSWORD), "the state holds no SMTP password");

                await stack.up({ expectNoChanges: true });

                // Drift behind Pulumi's back: someone puts production's banner back and re-enables an LDAP server.
                db.setProperty("glide.product.description", "ACME Production");
                const ldap = db.query("ldap_server_config", "name=ACME CORP LDAP")[0]!;
                db.update("ldap_server_config", ldap.sys_id!, { active: "true" });
                const preview = await stack.preview({ refresh: true, diff: true });
                assert.equal(preview.changeSummary.update, 2, "both drifted resources would be updated");
                // The refresh names the drifted property and the record; the update names the property it puts back.
                assert.match(preview.stdout, /~ bannerText\s*: "ACME Production" => "ACME QA \(non-production\)"/);
                assert.match(preview.stdout, /~ active\s*: true => false/);
                assert.match(preview.stdout, /driftedServers\s*: \[\s*\+ \[0\]: "ACME CORP LDAP"/);
                assert.equal(db.getProperty("glide.product.description"), "ACME Production", "preview writes nothing");

                await stack.up({ refresh: true });
                assert.equal(db.getProperty("glide.product.description"), "ACME QA (non-production)");
                assert.equal(db.get("ldap_server_config", ldap.sys_id!)?.active, "false");
                await stack.up({ refresh: true, expectNoChanges: true });

                await stack.destroy();
                assert.deepEqual(snapshot(instance), before, "destroy returns the instance to its snapshot");
                assert.ok(!readState().includes(SMTP_PASSWORD));
            },
        );
    });
});
