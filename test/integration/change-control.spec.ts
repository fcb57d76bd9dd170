/**
 * An audited refresh through the real `sn-clone` CLI on the emulator: the environment's clone under change control
 * (environment:change), the platform's minimum gap refused at preview, the approval timeout, the fence's declared
 * permission, closure with evidence or with the platform's error, and `history --clones`.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { RunningInstance } from "../../emulator/index";
import { isWriteRequest } from "../../emulator/index";
import { packageRoot } from "../../sdk/toolchain";
import { type EnvFixture, fingerprint, startEnvFixture } from "../fixtures/env-support";
import { snClone } from "../support/sn-clone";
import { snapshotDiff, wholeInstance } from "../support/snapshot";

const PROJECT = path.join(packageRoot, "test", "fixtures", "env-cli");
const DAY = 24 * 3600 * 1000;

const glide = (at: number) => new Date(at).toISOString().slice(0, 19).replace("T", " ");

describe("change control through the sn-clone CLI", function () {
    this.timeout(600_000);
    let f: EnvFixture;
    const stacks: string[] = [];
    const env = { PULUMI_CONFIG_PASSPHRASE: "test", SERVICENOW_PASSWORD: "admin", SERVICENOW_SOURCE_PASSWORD: "admin" };
    const common = () => ["--work-dir", PROJECT, "--backend-url", f.backendUrl, "--pulumi-home", f.pulumiHome];

    /** A stack whose clone is requested under change control; `change` is the environment:change object. */
    function writeStack(name: string, change: unknown, opts: { permission?: boolean } = {}): string {
        const stack = `chg${process.pid}${name}`;
        const lines = [
            "config:",
            `    servicenow:instanceUrl: ${f.qa.url}`,
            "    servicenow:username: admin",
            "    servicenow:instanceName: acme-qa",
            "    servicenow:productionInstances: acme",
            `    servicenow:sourceInstanceUrl: ${f.prod.url}`,
            "    servicenow:sourceUsername: admin",
            "    servicenow:sourceInstanceName: acme",
            ...(opts.permission === false ? [] : ['    servicenow:allowChangeRequests: "true"']),
            "    environment:clone:",
            "        mode: request",
            "        pollSeconds: 0.2",
            "        timeoutMinutes: 3",
            `    environment:change: ${JSON.stringify(change)}`,
            "    environment:properties:",
            '        acme.refreshed: "yes"',
        ];
        fs.writeFileSync(path.join(PROJECT, `Pulumi.${stack}.yaml`), `${lines.join("\n")}\n`);
        stacks.push(stack);
        return stack;
    }

    const changes = () => f.prod.db.query("change_request", "ORDERBYnumber");
    const clones = () => f.prod.db.query("sn_instance_clone_request", "ORDERBYsys_created_on");
    /** Non-GET requests the emulator served on an instance since `seq`. */
    const writesSince = (i: RunningInstance, seq: number) => f.emu.stats.requests(i.name, seq).filter(isWriteRequest);

    before(async () => {
        assert.ok(fs.existsSync(path.join(packageRoot, "dist", "sdk", "cli", "index.js")), "run `npm run build` first");
        f = await startEnvFixture();
    });
    afterEach(() => {
        // Each test's requests leave the platform's gap behind them; the next one starts from a clean request table.
        for (const r of clones()) f.prod.db.delete("sn_instance_clone_request", r.sys_id);
    });
    after(async () => {
        for (const s of stacks) fs.rmSync(path.join(PROJECT, `Pulumi.${s}.yaml`), { force: true });
        await f?.stop();
    });

    it("refuses at preview (check) a clone within the minimum gap of another, naming it, with 0 writes", async () => {
        const registered = f.prod.db.query("instance", "instance_name=acme-qa")[0]!;
        const other = f.prod.db.insert("sn_instance_clone_request", {
            state: "Scheduled",
            target_instance: registered.sys_id,
            scheduled: glide(Date.now() + 2 * DAY),
        });
        const stack = writeStack("gap", { scheduledStart: new Date(Date.now() + DAY).toISOString() });
        const before = [wholeInstance(f.prod.db), wholeInstance(f.qa.db)];
        const seq = f.emu.stats.lastSeq;
        // A new environment has no stack to preview yet: apply, whose preview (check) refuses before any write.
        const run = await snClone(["apply", stack, ...common()], env);
        assert.notEqual(run.code, 0, run.stdout);
        const out = run.stdout + run.stderr;
        assert.match(out, /governance\.scheduledStart/);
        assert.match(out, new RegExp(`clone ${other.sys_id} \\(Scheduled\\)`));
        assert.match(out, /minimum of 5 days between clones into one target/);
        assert.deepEqual(writesSince(f.prod, seq), []);
        assert.deepEqual(writesSince(f.qa, seq), []);
        // The clone engine itself advances the progress of the scheduled clone the test planted; nothing else moves.
        const engineProgress = new RegExp(`^sn_instance_clone_request/${other.sys_id}\\.(percent_complete|phase):`);
        assert.deepEqual(
            snapshotDiff(before[0]!, wholeInstance(f.prod.db)).filter((line) => !engineProgress.test(line)),
            [],
        );
        assert.deepEqual(snapshotDiff(before[1]!, wholeInstance(f.qa.db)), []);
    });

    it("cancels the change when the approval never comes, and clones nothing", async () => {
        const stack = writeStack("timeout", {
            change: { type: "normal", fields: { justification: "Quarterly refresh" } },
            approval: { timeoutMinutes: 0.05, pollSeconds: 0.2 },
        });
        const before = changes().length;
        const qaBefore = fingerprint(f.qa);
        const run = await snClone(["apply", stack, ...common()], env);
        assert.equal(run.code, 1, run.stdout + run.stderr);
        assert.match(
            run.stdout + run.stderr,
            /was not approved within 0\.05 min; it was canceled and nothing was cloned/,
        );
        const created = changes().slice(before);
        assert.equal(created.length, 1);
        assert.equal(created[0]!.state, "4", "Canceled");
        assert.equal(created[0]!.approval, "requested");
        assert.equal(clones().length, 0, "no clone was requested");
        assert.equal(fingerprint(f.qa), qaBefore);
    });

    it("refuses the change write without the declared permission, before anything is written", async () => {
        const stack = writeStack("fence", {}, { permission: false });
        const before = changes().length;
        const run = await snClone(["apply", stack, ...common()], env);
        assert.equal(run.code, 3, run.stdout + run.stderr);
        assert.match(run.stderr, /servicenow:allowChangeRequests/);
        assert.equal(changes().length, before);
        assert.equal(clones().length, 0);
    });

    it("does not start the clone before approval nor before its start, then closes the change with the evidence", async () => {
        const start = Date.now() + 45_000;
        const stack = writeStack("ok", {
            change: { type: "normal" },
            approval: { timeoutMinutes: 5, pollSeconds: 0.2 },
            scheduledStart: new Date(start).toISOString(),
            notify: { emails: ["dba@acme.example"] },
        });
        const before = changes().length;
        const applying = snClone(["apply", stack, ...common()], env);
        // The change waits in Assess for the CAB; no clone is requested meanwhile.
        let change: Record<string, string> | undefined;
        for (const end = Date.now() + 120_000; !change; ) {
            change = changes()
                .slice(before)
                .find((c) => c.state === "-4");
            if (Date.now() > end) throw new Error("the change never reached Assess");
            await new Promise((r) => setTimeout(r, 100));
        }
        assert.equal(clones().length, 0, "nothing is cloned before approval");
        const approved = await fetch(`${f.prod.url}/emulator/change/${change.number}/approval`, {
            method: "POST",
            body: JSON.stringify({ state: "approved" }),
        });
        assert.equal(approved.status, 200);
        const run = await applying;
        assert.equal(run.code, 0, run.stdout + run.stderr);

        const [clone] = clones();
        assert.ok(clone, "one clone was requested");
        assert.equal(clone.state, "Completed");
        // Requested for the declared start (or later, when approval came after it), and not started before it.
        assert.ok(clone.scheduled! >= glide(start), `scheduled ${clone.scheduled}`);
        assert.ok(clone.started! >= clone.scheduled!, `started ${clone.started}, scheduled ${clone.scheduled}`);
        assert.equal(clone.external_email, "dba@acme.example");
        const closed = f.prod.db.get("change_request", change.sys_id)!;
        assert.equal(closed.state, "3", "Closed");
        assert.equal(closed.close_code, "successful");
        assert.match(closed.close_notes!, new RegExp(`^Clone ${clone.sys_id} into acme-qa completed in `));
        assert.match(closed.close_notes!, /Drift after the clone, converged: 1 system properties asserted\./);
        assert.notEqual(closed.work_start, "", "it went through Implement");
        assert.equal(f.qa.db.query("sys_properties", "name=acme.refreshed")[0]?.value, "yes");

        const history = await snClone(["history", stack, "--clones", "--format", "json", ...common()], env);
        assert.equal(history.code, 0, history.stderr);
        const h = JSON.parse(history.stdout);
        assert.equal(h.target, "acme-qa");
        assert.ok(h.operations.length >= 1);
        assert.equal(h.clones[0].cloneId, clone.sys_id);
        assert.equal(h.clones[0].state, "Completed");
        assert.equal(h.clones[0].scheduledAt, `${clone.scheduled!.replace(" ", "T")}Z`);
    });

    it("schedules the clone at the window's first opening and does not start it before", async () => {
        // The next minute boundary at least 90 s away, so the CLI has requested the clone before the window opens.
        const open = Math.ceil((Date.now() + 90_000) / 60_000) * 60_000;
        const hhmm = (at: number) => new Date(at).toISOString().slice(11, 16);
        const stack = writeStack("window", { window: { start: hhmm(open), end: hhmm(open + 30 * 60_000) } });
        const before = changes().length;
        const qaBefore = fingerprint(f.qa);
        const applying = snClone(["apply", stack, ...common()], env);
        let requested: Record<string, string> | undefined;
        for (const end = open - 5000; !requested; ) {
            requested = clones()[0];
            if (Date.now() > end) throw new Error("no clone was requested before the window opened");
            await new Promise((r) => setTimeout(r, 200));
        }
        assert.equal(requested.scheduled, glide(open), "requested for the window's first opening");
        // Until the opening the request waits and the target is untouched.
        let watched = 0;
        while (Date.now() < open - 2000) {
            const now = f.prod.db.get("sn_instance_clone_request", requested.sys_id)!;
            assert.ok(["Requested", "Scheduled"].includes(now.state!), `state ${now.state} before the window`);
            assert.ok(!now.started, `started ${now.started} before the window opened`);
            assert.equal(fingerprint(f.qa), qaBefore);
            watched++;
            await new Promise((r) => setTimeout(r, 1000));
        }
        assert.ok(watched > 0, "the request was watched before the window opened");
        const run = await applying;
        assert.equal(run.code, 0, run.stdout + run.stderr);
        const clone = f.prod.db.get("sn_instance_clone_request", requested.sys_id)!;
        assert.equal(clone.state, "Completed");
        assert.ok(clone.started! >= glide(open), `started ${clone.started}, window opened ${glide(open)}`);
        const [change] = changes().slice(before);
        assert.equal(change!.start_date, glide(open));
        assert.equal(change!.state, "3", "Closed");
        assert.notEqual(fingerprint(f.qa), qaBefore, "the clone ran");
    });

    it("closes the change unsuccessful with the platform's error when the clone fails", async () => {
        f.qa.db.setProperty("glide.db.clone.allow_clone_target", "false");
        try {
            const stack = writeStack("fail", {});
            const before = changes().length;
            const run = await snClone(["apply", stack, ...common()], env);
            assert.equal(run.code, 1, run.stdout + run.stderr);
            const [change] = changes().slice(before);
            assert.ok(change);
            assert.equal(change.type, "standard");
            assert.equal(change.state, "3", "Closed");
            assert.equal(change.close_code, "unsuccessful");
            assert.match(
                change.close_notes!,
                /failed: .*Target instance acme-qa does not allow cloning: glide\.db\.clone\.allow_clone_target is false/,
            );
        } finally {
            f.qa.db.setProperty("glide.db.clone.allow_clone_target", "true");
        }
    });
});
