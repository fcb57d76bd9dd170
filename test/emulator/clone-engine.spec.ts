import * as assert from "node:assert/strict";
import { attachCloneEngine, type CloneInstance } from "../../emulator/clone/engine";
import { InstanceDb, type Row } from "../../emulator/db";

/** Waits until `check` returns a value, polling; fails after a generous limit so a stuck clone does not hang. */
async function until<T>(what: string, check: () => T | undefined | false): Promise<T> {
    for (let i = 0; i < 1000; i++) {
        const v = check();
        if (v) return v;
        await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`timed out waiting for ${what}`);
}

const REQ = "sn_instance_clone_request";

/** Two instances on the engine, built straight on InstanceDb: the Table API suite covers the HTTP side. */
class Pair {
    readonly prod = new InstanceDb({ name: "prod" });
    readonly dev = new InstanceDb({ name: "dev" });
    offsetMs = 0;
    readonly devRef: string;
    private readonly engine: { stop(): void };

    constructor(durationMs = 300) {
        const prod = this.prod;
        const dev = this.dev;
        prod.setProperty("instance_name", "acme-prod");
        prod.setProperty("glide.email.smtp.active", "true");
        prod.setProperty("css.base.color", "#8b0000");
        dev.setProperty("instance_name", "acme-dev");
        dev.setProperty("glide.email.smtp.active", "false");
        dev.setProperty("css.base.color", "#006400");
        dev.setProperty("glide.db.clone.allow_clone_target", "true");
        for (const n of ["alice", "bob", "carol"]) prod.insert("sys_user", { user_name: n, active: true });
        dev.insert("sys_user", { user_name: "dev.only", active: true });
        prod.insert("sysauto_script", { name: "Nightly import", active: true });
        prod.insert("sysauto_script", { name: "Hourly sync", active: true });
        prod.insert("ecc_agent", { name: "prod-mid-1" });
        dev.insert("ecc_agent", { name: "dev-mid-1" });
        prod.insert("syslog", { message: "prod log line" });
        dev.insert("syslog", { message: "dev log line" });
        prod.insert("wf_context", { name: "prod workflow" });
        prod.insert("sys_email_account", { name: "Prod SMTP", server: "smtp.acme.com" });
        dev.insert("sys_email_account", { name: "Dev SMTP", server: "smtp.test.acme.com" });
        prod.insert("sys_attachment", { file_name: "a.pdf", table_name: "incident" });
        prod.insert("sys_attachment", { file_name: "cert.pem", table_name: "sys_certificate" });

        // Clone configuration, all on the source (no default profile: every active item applies).
        prod.insert("clone_data_exclude", { name: "wf_context" });
        prod.insert("clone_data_preserver", {
            name: "Core Instance Properties",
            table: "sys_properties",
            condition: "name=instance_name^ORnameSTARTSWITHglide.db.clone",
        });
        prod.insert("clone_data_preserver", { name: "Email Accounts", table: "sys_email_account", condition: "" });
        prod.insert("clone_data_preserver", {
            name: "Theme",
            table: "sys_properties",
            condition: "nameSTARTSWITHcss.",
            theme: true,
        });
        this.devRef = prod.insert("instance", { instance_name: "acme-dev", instance_url: "http://127.0.0.1:1" })
            .sys_id!;

        const instances = new Map<string, CloneInstance>([
            ["prod", { name: "prod", url: "http://127.0.0.1:1/prod", db: prod }],
            ["dev", { name: "dev", url: "http://127.0.0.1:1/dev", db: dev }],
        ]);
        this.engine = attachCloneEngine(
            { instances },
            { cloneDurationMs: durationMs, now: () => Date.now() + this.offsetMs },
        );
    }

    script(name: string, order: number, script: string, active = true): void {
        this.prod.insert("clone_cleanup_script", { name, order, script, active });
    }

    request(fields: Record<string, unknown> = {}): string {
        return this.prod.insert(REQ, { state: "Requested", target_instance: this.devRef, ...fields }).sys_id!;
    }

    row(id: string): Row {
        return this.prod.get(REQ, id)!;
    }

    async settle(id: string): Promise<Row> {
        return until(`clone ${id} to end`, () => {
            const r = this.row(id);
            return ["Completed", "Error", "Canceled", "Rolled back", "Rollback failure"].includes(r.state!) && r;
        });
    }

    logs(id: string): string[] {
        return this.prod.query("sn_instance_clone_log", `clone=${id}^ORDERBYsys_id`).map((r) => r.message!);
    }

    stop(): void {
        this.engine.stop();
    }
}

describe("clone engine", () => {
    let pair: Pair;
    afterEach(() => pair?.stop());

    it("completes a clone through the documented states and phases, in order", async () => {
        pair = new Pair(600);
        const seen: string[] = [];
        let id = "";
        // Every write to the request, captured as it happens: no transition can slip between two polls.
        pair.prod.subscribe((change) => {
            if (change.table !== REQ || !change.row || change.row.sys_id !== id) return;
            const label = `${change.row.state}/${change.row.phase}/${change.row.percent_complete}`;
            if (seen.at(-1) !== label) seen.push(label);
        });
        id = pair.request();
        const final = await pair.settle(id);
        assert.deepEqual(seen, [
            "Scheduled//5",
            "Active/Preflight checks/10",
            "Active/Backup/20",
            "Active/Copy data/30",
            "Active/Exclusions/50",
            "Active/Preservers/60",
            "Active/Node repoint/70",
            "Active/Cleanup scripts/85",
            "Completed/Cleanup scripts/100",
        ]);
        assert.match(final.started!, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
        assert.ok(final.scheduled! <= final.started! && final.started! <= final.completed!);
        assert.ok(final.rollback_deadline! > final.completed!);
        assert.equal(final.error_message, "");
    });

    it("gives the target the source's users, jobs and properties but keeps its instance_name", async () => {
        pair = new Pair();
        await pair.settle(pair.request());
        const dev = pair.dev;
        assert.deepEqual(
            dev.query("sys_user", "ORDERBYuser_name").map((r) => r.user_name),
            ["alice", "bob", "carol"],
        );
        assert.deepEqual(
            dev.query("sysauto", "ORDERBYname").map((r) => `${r.name}:${r.sys_class_name}`),
            ["Hourly sync:sysauto_script", "Nightly import:sysauto_script"],
        );
        assert.equal(dev.getProperty("glide.email.smtp.active"), "true");
        assert.equal(dev.getProperty("instance_name"), "acme-dev");
        assert.equal(dev.getProperty("glide.db.clone.allow_clone_target"), "true");
    });

    it("leaves excluded, audit and log tables empty and copies only the always-kept attachments", async () => {
        pair = new Pair();
        await pair.settle(pair.request());
        assert.equal(pair.dev.count("wf_context"), 0);
        assert.equal(pair.dev.count("syslog"), 0);
        assert.deepEqual(
            pair.dev.query("sys_attachment").map((r) => r.file_name),
            ["cert.pem"],
        );
    });

    it("copies audit and log data and attachments when the request asks for them", async () => {
        pair = new Pair();
        await pair.settle(pair.request({ exclude_audit_log_data: false, exclude_attachments: false }));
        assert.deepEqual(
            pair.dev.query("syslog").map((r) => r.message),
            ["prod log line"],
        );
        assert.equal(pair.dev.count("sys_attachment"), 2);
    });

    it("does not copy ecc_agent: the target keeps its own MID Servers", async () => {
        pair = new Pair();
        await pair.settle(pair.request());
        assert.deepEqual(
            pair.dev.query("ecc_agent").map((r) => r.name),
            ["dev-mid-1"],
        );
    });

    it("keeps exactly the target's rows matched by a preserver, dropping the source's", async () => {
        pair = new Pair();
        const before = pair.dev.exportRows("sys_email_account");
        await pair.settle(pair.request());
        assert.deepEqual(pair.dev.exportRows("sys_email_account"), before);
        assert.equal(pair.dev.query("sys_properties", "name=instance_name").length, 1);
    });

    it("applies theme preservers only when preserve_theme is on", async () => {
        pair = new Pair();
        await pair.settle(pair.request());
        assert.equal(pair.dev.getProperty("css.base.color"), "#006400");
        await pair.settle(pair.request({ preserve_theme: false }));
        assert.equal(pair.dev.getProperty("css.base.color"), "#8b0000");
    });

    it("keeps the target's recent in-progress update sets only when asked to", async () => {
        pair = new Pair();
        pair.dev.insert("sys_update_set", { name: "dev work", state: "in progress", application: "global" });
        pair.prod.insert("sys_update_set", { name: "prod release", state: "complete", application: "global" });
        const names = () =>
            pair.dev
                .query("sys_update_set", "ORDERBYname")
                .map((r) => r.name)
                .join(",");
        await pair.settle(pair.request({ preserve_in_progress_update_sets_days: 3 }));
        assert.equal(names(), "dev work,prod release");
        await pair.settle(pair.request());
        assert.equal(names(), "prod release");
    });

    it("fills in the source instance of a request that names none", async () => {
        pair = new Pair();
        const self = pair.prod.insert("instance", { instance_name: "prod" }).sys_id;
        const final = await pair.settle(pair.request());
        assert.equal(final.source_instance, self);
    });

    it("runs the active cleanup scripts after the restore, by order then name", async () => {
        pair = new Pair();
        const append = (tag: string) =>
            `gs.setProperty("acme.trail", (gs.getProperty("acme.trail", "") + "${tag}") + "|" + gs.getProperty("instance_name"));`;
        pair.script("b-second", 200, append("B"));
        pair.script("c-third", 200, append("C"));
        pair.script("a-first", 100, `gs.setProperty("acme.trail", ""); ${append("A")}`);
        pair.script("inactive", 150, append("X"), false);
        pair.script("email off", 300, `gs.setProperty("glide.email.smtp.active", false);`);
        await pair.settle(pair.request());
        // instance_name is already the preserved one when the scripts run: they see the restored target.
        assert.equal(pair.dev.getProperty("acme.trail"), "A|acme-devB|acme-devC|acme-dev");
        assert.equal(pair.dev.getProperty("glide.email.smtp.active"), "false");
        assert.equal(pair.prod.getProperty("acme.trail"), undefined);
    });

    it("stops the remaining cleanup scripts after one throws, logs it, and still completes", async () => {
        pair = new Pair();
        pair.script("one", 100, `gs.setProperty("acme.one", "ran"); gs.info("one done");`);
        pair.script("two", 200, `var gr = new GlideRecord("sys_user"); gr.get("nope"); gr.name.toUpperCase();`);
        pair.script("three", 300, `gs.setProperty("acme.three", "ran");`);
        const id = pair.request();
        const final = await pair.settle(id);
        assert.equal(final.state, "Completed");
        assert.equal(pair.dev.getProperty("acme.one"), "ran");
        assert.equal(pair.dev.getProperty("acme.three"), undefined);
        assert.deepEqual(pair.logs(id), [
            "[one] one done",
            'Cleanup script "two" failed: TypeError: gr.name.toUpperCase is not a function',
            'Cleanup scripts not run because "two" failed: "three"',
            "Clone completed into dev",
        ]);
    });

    it("ends in Error with the platform's message when the target does not allow cloning", async () => {
        pair = new Pair();
        pair.dev.setProperty("glide.db.clone.allow_clone_target", "false");
        const users = pair.dev.exportRows("sys_user");
        const final = await pair.settle(pair.request());
        assert.equal(final.state, "Error");
        assert.equal(
            final.error_message,
            "Target instance acme-dev does not allow cloning: glide.db.clone.allow_clone_target is false",
        );
        assert.equal(final.phase, "Preflight checks");
        assert.deepEqual(pair.dev.exportRows("sys_user"), users);
    });

    it("ends in Error when the target is the source, or not registered", async () => {
        pair = new Pair();
        const self = pair.prod.insert("instance", { instance_name: "acme-prod" }).sys_id;
        const same = await pair.settle(pair.request({ target_instance: self }));
        assert.equal(same.error_message, "Source and target are the same instance (acme-prod): choose another target");
        const gone = pair.prod.insert("instance", {
            instance_name: "acme-uat",
            instance_url: "https://acme-uat.example",
        });
        const missing = await pair.settle(pair.request({ target_instance: gone.sys_id }));
        assert.equal(
            missing.error_message,
            "Target instance acme-uat is not reachable at https://acme-uat.example: it is not running",
        );
    });

    it("ends in Error when the target's clone user lacks clone_admin and soap, and runs once it has them", async () => {
        pair = new Pair();
        const dev = pair.dev;
        const cloner = dev.insert("sys_user", { user_name: "cloner", active: true });
        pair.prod.update("instance", pair.devRef, { admin_user: "cloner" });
        const denied = await pair.settle(pair.request());
        assert.equal(
            denied.error_message,
            'Target instance acme-dev rejected the clone: user "cloner" needs the clone_admin and soap roles there',
        );
        for (const name of ["clone_admin", "soap"]) {
            const role = dev.insert("sys_user_role", { name });
            dev.insert("sys_user_has_role", { user: cloner.sys_id, role: role.sys_id });
        }
        assert.equal((await pair.settle(pair.request())).state, "Completed");
    });

    it("refuses a second clone into a target that has one running", async () => {
        pair = new Pair(600);
        const first = pair.request();
        await until("first clone active", () => pair.row(first).state === "Active");
        const second = await pair.settle(pair.request());
        assert.equal(second.state, "Error");
        assert.match(second.error_message!, /^Target instance acme-dev already has an active clone/);
        assert.equal((await pair.settle(first)).state, "Completed");
    });

    /** Sets the request's state to Canceled the moment the engine enters `phase`, as a client racing it would. */
    function cancelAt(id: () => string, phase: string): void {
        let done = false;
        pair.prod.subscribe((change) => {
            if (done || change.table !== REQ || change.row?.sys_id !== id() || change.row.phase !== phase) return;
            done = true;
            pair.prod.update(REQ, id(), { state: "Canceled" });
        });
    }

    it("leaves the target untouched when canceled before the copy", async () => {
        pair = new Pair();
        const before = pair.dev.snapshot();
        let id = "";
        cancelAt(() => id, "Backup");
        id = pair.request();
        // The engine stamps `completed` when it is done with a request: when it honours the cancel, or at the end of a
        // clone that ignored it. Waiting for that event (not for time) makes a broken cancel fail on any machine.
        const final = await until("the engine to finish with the request", () =>
            pair.row(id).completed ? pair.row(id) : undefined,
        );
        assert.equal(final.state, "Canceled");
        assert.equal(final.phase, "Backup");
        for (const [root, rows] of before.tables) assert.deepEqual(pair.dev.exportRows(root), rows, root);
        assert.deepEqual(pair.logs(id), ["Clone canceled; the target instance was not changed"]);
    });

    it("still honours a cancel during Preservers, the last phase before Node repoint", async () => {
        pair = new Pair();
        const users = pair.dev.exportRows("sys_user");
        let id = "";
        cancelAt(() => id, "Preservers");
        id = pair.request();
        const final = await until("the engine to finish with the request", () =>
            pair.row(id).completed ? pair.row(id) : undefined,
        );
        assert.equal(final.state, "Canceled");
        assert.deepEqual(pair.dev.exportRows("sys_user"), users);
    });

    it("refuses a cancel once Node repoint has started and completes the clone", async () => {
        pair = new Pair();
        let id = "";
        cancelAt(() => id, "Node repoint");
        id = pair.request();
        const final = await until("completion", () => pair.row(id).state === "Completed" && pair.row(id));
        assert.equal(final.state, "Completed");
        assert.ok(
            pair.logs(id).includes("Clone can no longer be canceled after Node Repoint"),
            pair.logs(id).join("\n"),
        );
        assert.equal(pair.dev.getProperty("glide.email.smtp.active"), "true");
    });

    it("ends in Error a clone that was running when the emulator stopped", async () => {
        pair = new Pair();
        const id = pair.prod.insert(REQ, { state: "Active", phase: "Copy data", target_instance: pair.devRef }).sys_id!;
        const final = await pair.settle(id);
        assert.equal(final.state, "Error");
        assert.equal(final.error_message, "Clone interrupted: the emulator stopped while the clone was running");
    });

    it("records the clone on the target too", async () => {
        pair = new Pair();
        const id = pair.request();
        const final = await pair.settle(id);
        const copy = pair.dev.get(REQ, id);
        assert.equal(copy?.state, "Completed");
        assert.equal(copy?.completed, final.completed);
    });

    it("rolls the latest clone back to the pre-clone target", async () => {
        pair = new Pair();
        const before = pair.dev.snapshot();
        const id = pair.request();
        await pair.settle(id);
        assert.equal(pair.dev.getProperty("glide.email.smtp.active"), "true");
        pair.prod.update(REQ, id, { state: "Rollback requested" });
        const final = await pair.settle(id);
        assert.equal(final.state, "Rolled back", final.error_message);
        for (const [root, rows] of before.tables) {
            if (root === REQ) continue;
            assert.deepEqual(pair.dev.exportRows(root), rows, root);
        }
        assert.equal(pair.dev.get(REQ, id)?.state, "Rolled back");
    });

    it("fails a rollback outside the window or of a clone that is not the latest", async () => {
        pair = new Pair();
        const first = pair.request();
        await pair.settle(first);
        const second = pair.request();
        await pair.settle(second);
        pair.prod.update(REQ, first, { state: "Rollback requested" });
        const old = await pair.settle(first);
        assert.equal(old.state, "Rollback failure");
        assert.match(old.error_message!, /^Rollback is possible only for the latest completed clone/);

        pair.offsetMs = 8 * 24 * 60 * 60 * 1000;
        const smtp = pair.dev.getProperty("glide.email.smtp.active");
        pair.prod.update(REQ, second, { state: "Rollback requested" });
        const late = await pair.settle(second);
        assert.equal(late.state, "Rollback failure");
        assert.match(late.error_message!, /^Rollback window closed at .*: a clone can be rolled back within 7 days/);
        assert.equal(pair.dev.getProperty("glide.email.smtp.active"), smtp);
    });

    it("uses only the profile's exclusions, preservers and scripts when a profile is given", async () => {
        pair = new Pair();
        const prod = pair.prod;
        const profile = prod.insert("clone_profile", { name: "Lean" }).sys_id!;
        const excl = prod.insert("clone_data_exclude", { name: "sysauto.*" }).sys_id;
        prod.insert("clone_profile_exclusions", { profile, exclusion: excl });
        const script = prod.insert("clone_cleanup_script", {
            name: "mark",
            order: 5,
            script: 'gs.setProperty("acme.lean", "1");',
        });
        prod.insert("clone_cleanup_script", { name: "not in profile", script: 'gs.setProperty("acme.other", "1");' });
        prod.insert("clone_profile_cleanup_scripts", { profile, cleanup_script: script.sys_id, order: 10 });
        await pair.settle(pair.request({ profile }));
        assert.equal(pair.dev.count("sysauto"), 0, "sysauto.* excludes the child classes");
        assert.equal(pair.dev.count("wf_context"), 1, "the global exclusion is not in the profile");
        assert.equal(pair.dev.getProperty("instance_name"), "acme-prod", "no preserver in the profile");
        assert.equal(pair.dev.getProperty("acme.lean"), "1");
        assert.equal(pair.dev.getProperty("acme.other"), undefined);
    });
});
