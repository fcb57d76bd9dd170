/**
 * Conformance of the CI/CD API core: envelopes, execution trackers from Pending to a final state, the
 * one-operation-at-a-time queue, the role check, unknown ids, and the API with its plugin inactive.
 */
import * as assert from "node:assert/strict";
import { injectCicdFault } from "../../emulator/cicd/faults";
import type { RunningEmulator } from "../../emulator/index";
import { call, type Reply, start, urlOf } from "./helpers";

const PROGRESS_KEYS = [
    "error",
    "links",
    "percent_complete",
    "status",
    "status_detail",
    "status_label",
    "status_message",
];

/** Polls a progress id until it reaches a final status, recording every status seen. */
async function settle(base: string, id: string, seen: string[] = []): Promise<Reply> {
    for (let i = 0; i < 400; i++) {
        const r = await call(base, `/api/sn_cicd/progress/${id}`);
        assert.equal(r.status, 200, r.text);
        const status = r.json.result.status as string;
        if (seen.at(-1) !== status) seen.push(status);
        if (["2", "3", "4"].includes(status)) return r;
        await new Promise((res) => setTimeout(res, 10));
    }
    throw new Error(`tracker ${id} did not settle`);
}

async function pluginActive(base: string, id: string): Promise<string> {
    const r = await call(base, `/api/now/table/v_plugin?sysparm_query=id=${id}&sysparm_fields=active`);
    return r.json.result[0].active;
}

describe("CI/CD API core (emulator)", () => {
    let emu: RunningEmulator;
    let base: string;

    before(async () => {
        emu = await start({ cicdStepMs: 15 });
        base = urlOf(emu);
        const db = emu.instances.get("prod")!.db;
        const role = db.query("sys_user_role", "name=sn_cicd.sys_ci_automation")[0]!;
        const bot = db.insert("sys_user", { user_name: "ci.bot", user_password: "pw", active: "true" });
        db.insert("sys_user_has_role", { user: bot.sys_id, role: role.sys_id });
        db.insert("sys_user", { user_name: "plain.user", user_password: "pw", active: "true" });
    });
    after(() => emu.stop());

    it("answers a starting call with a Pending tracker in the documented envelope", async () => {
        const r = await call(base, "/api/sn_cicd/plugin/com.glide.domain.msp_extensions.installer/activate", {
            method: "POST",
        });
        assert.equal(r.status, 200, r.text);
        const result = r.json.result;
        assert.deepEqual(Object.keys(result).sort(), PROGRESS_KEYS);
        assert.equal(result.status, "0");
        assert.equal(result.status_label, "Pending");
        assert.equal(result.percent_complete, 0);
        assert.match(
            result.links.progress.url,
            new RegExp(`^${base}/api/sn_cicd/progress/${result.links.progress.id}$`),
        );
        assert.match(result.links.source.url, /\/api\/now\/table\/sys_plugins\/[0-9a-f]{32}$/);
        await settle(base, result.links.progress.id);
    });

    it("advances a tracker from pending through running to successful, and the plugin is then active", async () => {
        assert.equal(await pluginActive(base, "com.snc.procurement"), "inactive");
        const missing = await call(base, "/api/now/table/proc_po");
        assert.equal(missing.status, 400, "a table of an inactive plugin does not exist");
        assert.equal(missing.json.error.message, "Invalid table proc_po");
        const r = await call(base, "/api/sn_cicd/plugin/com.snc.procurement/activate", { method: "POST" });
        const seen: string[] = [r.json.result.status];
        const done = await settle(base, r.json.result.links.progress.id, seen);
        assert.deepEqual(seen, ["0", "1", "2"]);
        assert.equal(done.json.result.status_label, "Successful");
        assert.equal(done.json.result.percent_complete, 100);
        assert.equal(done.json.result.error, "");
        assert.equal(await pluginActive(base, "com.snc.procurement"), "active");
        const tables = await call(base, "/api/now/table/sys_db_object?sysparm_query=name=proc_po");
        assert.equal(tables.json.result.length, 1, "activation installs the plugin's table");
        assert.equal((await call(base, "/api/now/table/proc_po")).status, 200);
    });

    it("reads the same tracker through the Table API as sys_execution_tracker", async () => {
        const r = await call(base, "/api/sn_cicd/plugin/com.snc.incident/activate", { method: "POST" });
        const id = r.json.result.links.progress.id;
        const done = await settle(base, id);
        const row = await call(base, `/api/now/table/sys_execution_tracker/${id}`);
        assert.equal(row.json.result.state, "2");
        assert.equal(row.json.result.message, done.json.result.status_message);
        assert.match(done.json.result.status_message, /already active/);
    });

    it("ends Failed with the platform's message when an activation fails", async () => {
        injectCicdFault(emu.instances.get("prod")!.db, {
            kind: "activate",
            match: "com.snc.procurement",
            message: "Plugin activation failed: the upgrade engine could not load com.snc.procurement",
        });
        await settle(
            base,
            (await call(base, "/api/sn_cicd/plugin/com.snc.procurement/rollback", { method: "POST" })).json.result.links
                .progress.id,
        );
        assert.equal(await pluginActive(base, "com.snc.procurement"), "inactive", "rollback deactivates");
        const r = await call(base, "/api/sn_cicd/plugin/com.snc.procurement/activate", { method: "POST" });
        const done = await settle(base, r.json.result.links.progress.id);
        assert.equal(done.json.result.status, "3");
        assert.equal(done.json.result.status_label, "Failed");
        assert.match(done.json.result.status_message, /could not load com\.snc\.procurement/);
        assert.equal(done.json.result.error, done.json.result.status_message);
        assert.equal(await pluginActive(base, "com.snc.procurement"), "inactive");
    });

    it("refuses to roll back a plugin that was never activated through a rollback context", async () => {
        const r = await call(base, "/api/sn_cicd/plugin/com.snc.undelete/rollback", { method: "POST" });
        const done = await settle(base, r.json.result.links.progress.id);
        assert.equal(done.json.result.status_label, "Failed");
        assert.match(done.json.result.status_message, /no prior version/);
        assert.equal(await pluginActive(base, "com.snc.undelete"), "active");
    });

    it("answers an unknown progress id with 404 in the error envelope", async () => {
        const r = await call(base, "/api/sn_cicd/progress/0123456789abcdef0123456789abcdef");
        assert.equal(r.status, 404);
        assert.equal(r.json.status, "failure");
        assert.match(r.json.error.detail, /0123456789abcdef0123456789abcdef/);
    });

    it("answers an unknown plugin with 404 and starts nothing", async () => {
        const before = (await call(base, "/api/now/table/sys_execution_tracker")).json.result.length;
        const r = await call(base, "/api/sn_cicd/plugin/com.example.nothing/activate", { method: "POST" });
        assert.equal(r.status, 404);
        assert.equal((await call(base, "/api/now/table/sys_execution_tracker")).json.result.length, before);
    });

    it("serves the versioned URL too", async () => {
        const r = await call(base, "/api/sn_cicd/v1/progress/0123456789abcdef0123456789abcdef");
        assert.equal(r.status, 404);
    });

    it("lets the sn_cicd.sys_ci_automation role in and keeps other users out with 403", async () => {
        const ok = await call(base, "/api/sn_cicd/plugin/com.snc.incident/activate", {
            method: "POST",
            basic: "ci.bot:pw",
        });
        assert.equal(ok.status, 200, ok.text);
        const denied = await call(base, "/api/sn_cicd/plugin/com.snc.incident/activate", {
            method: "POST",
            basic: "plain.user:pw",
        });
        assert.equal(denied.status, 403);
        assert.equal(denied.json.status, "failure");
        assert.match(denied.json.error.detail, /sn_cicd\.sys_ci_automation/);
        const anonymous = await call(base, "/api/sn_cicd/progress/x", { basic: null });
        assert.equal(anonymous.status, 401);
        await settle(base, ok.json.result.links.progress.id);
    });

    it("answers a wrong method with 405 and an unknown path with 400", async () => {
        assert.equal((await call(base, "/api/sn_cicd/plugin/com.snc.incident/activate")).status, 405);
        const unknown = await call(base, "/api/sn_cicd/nothing/here", { method: "POST" });
        assert.equal(unknown.status, 400);
        assert.equal(unknown.json.error.message, "Requested URI does not represent any resource");
    });

    it("does not exist while the CI/CD plugin is inactive, as a namespace that is not installed", async () => {
        const db = emu.instances.get("prod")!.db;
        const row = db.query("sys_plugins", "source=com.glide.continuousdelivery")[0]!;
        db.update("sys_plugins", row.sys_id!, { active: "inactive" });
        try {
            const r = await call(base, "/api/sn_cicd/plugin/com.snc.incident/activate", { method: "POST" });
            assert.equal(r.status, 400);
            assert.equal(r.json.error.message, "Requested URI does not represent any resource");
        } finally {
            db.update("sys_plugins", row.sys_id!, { active: "active" });
        }
        assert.equal((await call(base, "/api/sn_cicd/progress/x")).status, 404);
    });
});

describe("CI/CD API queue (emulator)", () => {
    let emu: RunningEmulator;
    let base: string;

    // Steps long enough that a test's own requests always land while an operation is still running.
    before(async () => {
        emu = await start({ cicdStepMs: 120 });
        base = urlOf(emu);
    });
    after(() => emu.stop());

    it("runs exclusive operations one at a time, in arrival order", async () => {
        const a = await call(base, "/api/sn_cicd/plugin/com.snc.procurement/activate", { method: "POST" });
        const b = await call(base, "/api/sn_cicd/plugin/com.glide.domain.msp_extensions.installer/activate", {
            method: "POST",
        });
        const ids = [a.json.result.links.progress.id, b.json.result.links.progress.id];
        assert.match(b.json.result.status_message, /Queued/);
        for (let i = 0; i < 400; i++) {
            const [pa, pb] = await Promise.all(ids.map((id) => call(base, `/api/sn_cicd/progress/${id}`)));
            const sa = pa!.json.result.status;
            const sb = pb!.json.result.status;
            assert.ok(!(sa === "1" && sb === "1"), "two exclusive operations never run at once");
            if (sb !== "0") assert.equal(sa, "2", "the second starts only after the first ended");
            if (sb === "2") break;
            await new Promise((res) => setTimeout(res, 5));
        }
        const times = await Promise.all(ids.map((id) => call(base, `/api/now/table/sys_execution_tracker/${id}`)));
        assert.ok(times[0]!.json.result.completion_time <= times[1]!.json.result.start_time);
    });

    it("never runs a pending operation canceled through its tracker (state 4)", async () => {
        const a = await call(base, "/api/sn_cicd/plugin/com.snc.procurement/rollback", { method: "POST" });
        const b = await call(base, "/api/sn_cicd/plugin/com.glide.domain.msp_extensions.installer/rollback", {
            method: "POST",
        });
        const id = b.json.result.links.progress.id;
        const patched = await call(base, `/api/now/table/sys_execution_tracker/${id}`, {
            method: "PATCH",
            body: { state: "4", message: "Canceled by admin" },
        });
        assert.equal(patched.status, 200, patched.text);
        await settle(base, a.json.result.links.progress.id);
        const done = await settle(base, id);
        assert.equal(done.json.result.status_label, "Canceled");
        assert.equal(await pluginActive(base, "com.glide.domain.msp_extensions.installer"), "active");
        assert.equal(await pluginActive(base, "com.snc.procurement"), "inactive", "the operation ahead of it ran");
    });
});

describe("CI/CD API after a restart (emulator)", () => {
    it("ends a tracker the stopped emulator left running as Failed, saying it was interrupted", async () => {
        const fs = await import("node:fs");
        const os = await import("node:os");
        const path = await import("node:path");
        const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "cicd-restart-"));
        try {
            let emu = await start({ dataDir, cicdStepMs: 150 });
            let base = urlOf(emu);
            const r = await call(base, "/api/sn_cicd/plugin/com.snc.procurement/activate", { method: "POST" });
            const id = r.json.result.links.progress.id;
            for (let i = 0; i < 200; i++) {
                if ((await call(base, `/api/sn_cicd/progress/${id}`)).json.result.status === "1") break;
                await new Promise((res) => setTimeout(res, 10));
            }
            await emu.stop();
            emu = await start({ dataDir, cicdStepMs: 150 });
            base = urlOf(emu);
            try {
                const after = await call(base, `/api/sn_cicd/progress/${id}`);
                assert.equal(after.json.result.status, "3");
                assert.match(after.json.result.status_message, /interrupted/);
            } finally {
                await emu.stop();
            }
        } finally {
            fs.rmSync(dataDir, { recursive: true, force: true });
        }
    });
});
