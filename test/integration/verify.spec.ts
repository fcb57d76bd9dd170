/**
 * `sn-clone verify` through the real CLI on the emulator: right after a careless clone (a profile that neither
 * disables email nor lets the text indexes finish) verification fails naming the email, endpoint, job-guard and
 * text-index checks and the ATF suite that asserts email is off, writing nothing but the runner property; after
 * `apply --verify` it exits 0. The JUnit report is read with a real XML parser.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { XMLParser } from "fast-xml-parser";
import { isWriteRequest, type RunningEmulator, type RunningInstance, startEmulator } from "../../emulator/index";
import { packageRoot } from "../../sdk/toolchain";
import { snClone } from "../support/sn-clone";

const PROJECT = path.join(packageRoot, "test", "fixtures", "env-cli");

/** Polls `done` until it holds, failing after the deadline with what it saw. */
async function until<T>(what: string, read: () => T, done: (v: T) => boolean, ms = 60_000): Promise<T> {
    const deadline = Date.now() + ms;
    let v = read();
    while (!done(v)) {
        if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(v)}`);
        await new Promise((r) => setTimeout(r, 25));
        v = read();
    }
    return v;
}

/** Clones acme into acme-qa on the emulator (as the Clone Admin Console would) and waits for Completed. */
async function cloneQa(prod: RunningInstance, profile = ""): Promise<string> {
    const target = prod.db.query("instance", "instance_name=acme-qa")[0]!;
    const req = prod.db.insert("sn_instance_clone_request", {
        state: "Requested",
        target_instance: target.sys_id,
        profile,
    });
    const row = await until(
        "clone",
        () => prod.db.get("sn_instance_clone_request", req.sys_id!)!,
        (r) => ["Completed", "Error"].includes(r.state ?? ""),
    );
    assert.equal(row.state, "Completed", row.error_message);
    return req.sys_id!;
}

describe("sn-clone verify", function () {
    this.timeout(900_000);
    let emu: RunningEmulator;
    let prod: RunningInstance;
    let qa: RunningInstance;
    let tmp: string;
    const stack = `verify${process.pid}`;
    // The committed qa stack also masks personal data: its salt comes from the environment like the passwords.
    const env = {
        PULUMI_CONFIG_PASSPHRASE: "test",
        SERVICENOW_PASSWORD: "admin",
        SERVICENOW_SOURCE_PASSWORD: "admin",
        SERVICENOW_MASKING_SALT: "verify-spec-masking-salt",
    };
    const common = () => [
        "--work-dir",
        PROJECT,
        "--backend-url",
        `file://${path.join(tmp, "state")}`,
        "--pulumi-home",
        path.join(tmp, "home"),
        "--no-progress",
    ];

    before(async () => {
        assert.ok(fs.existsSync(path.join(packageRoot, "dist", "sdk", "cli", "index.js")), "run `npm run build` first");
        emu = await startEmulator({
            instances: [
                { name: "acme", seed: "production" },
                { name: "acme-qa", seed: "empty" },
            ],
            users: 200,
            jobs: 40,
            cloneDurationMs: 200,
            cicdStepMs: 10,
            textIndexer: { msPerTable: 0 },
        });
        prod = emu.instances.get("acme")!;
        qa = emu.instances.get("acme-qa")!;
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pssc-verify-"));
        fs.mkdirSync(path.join(tmp, "state"));
        fs.mkdirSync(path.join(tmp, "home"));
        const text = fs
            .readFileSync(path.join(packageRoot, "stacks", "Pulumi.qa.yaml"), "utf8")
            .replace(/servicenow:instanceUrl: .*/, `servicenow:instanceUrl: ${qa.url}`)
            .replace(/servicenow:username: .*/, "servicenow:username: admin")
            .replace(/servicenow:sourceInstanceUrl: .*/, `servicenow:sourceInstanceUrl: ${prod.url}`)
            .replace(/servicenow:sourceUsername: .*/, "servicenow:sourceUsername: admin")
            .replace(/servicenow:productionInstances: .*/, "servicenow:productionInstances: acme");
        assert.match(text, /environment:verify:/, "the committed qa stack declares its verification");
        fs.writeFileSync(path.join(PROJECT, `Pulumi.${stack}.yaml`), text);

        // The environment as it was before this refresh: cloned with the platform's profile and applied.
        await cloneQa(prod);
        const first = await snClone([...common(), "apply", stack], env);
        assert.equal(first.code, 0, first.stdout + first.stderr);
    });
    after(async () => {
        fs.rmSync(path.join(PROJECT, `Pulumi.${stack}.yaml`), { force: true });
        await emu?.stop();
        if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    });

    it("fails right after a careless clone, naming every unsafe check and the ATF suite, writing only the runner", async () => {
        // The platform's profile without "Disable emails"; the text-index rebuild it queues stays queued.
        const careless = prod.db.insert("clone_profile", { name: "Careless refresh" });
        const system = prod.db.query("clone_profile", "default_profile=true")[0]!;
        for (const link of prod.db.query("clone_profile_exclusions", `profile=${system.sys_id}`)) {
            prod.db.insert("clone_profile_exclusions", { profile: careless.sys_id, exclusion: link.exclusion });
        }
        for (const link of prod.db.query("clone_profile_preservers", `profile=${system.sys_id}`)) {
            prod.db.insert("clone_profile_preservers", { profile: careless.sys_id, preserver: link.preserver });
        }
        for (const s of prod.db.query("clone_cleanup_script", "active=true^name!=Disable emails")) {
            prod.db.insert("clone_profile_cleanup_scripts", {
                profile: careless.sys_id,
                cleanup_script: s.sys_id,
                order: s.order,
            });
        }
        emu.textIndexer.pause();
        await cloneQa(prod, careless.sys_id!);
        assert.equal(qa.db.getProperty("sn_atf.runner.enabled"), "false", "the clone brought production's setting");

        const seq = emu.stats.lastSeq;
        const text = await snClone([...common(), "verify", stack], env);
        assert.equal(text.code, 4, text.stdout + text.stderr);
        assert.match(text.stdout, /✖ Email cannot reach real users \[critical\]/);
        assert.match(text.stdout, /✖ No active outbound endpoint points at production \[critical\]/);
        assert.match(text.stdout, /https:\/\/api\.payments\.acme-corp\.com/);
        assert.match(text.stdout, /✖ Text indexes were rebuilt after the clone \[error\]/);
        assert.match(text.stdout, /✖ Active scheduled scripts guard themselves with instance_name \[error\]/);
        assert.match(text.stdout, /✖ Post-clone safety \(0 passed, 1 failed, 0 errored, 0 skipped\)/);
        assert.match(text.stdout, /Email cannot reach real users: .*mail reaches real users/);
        assert.match(text.stdout, /✖ Not ready: \d+ findings block the gate/);

        const writes = emu.stats
            .requests("acme-qa", seq)
            .filter(isWriteRequest)
            .map((e) => `${e.method} ${e.table || e.path}`);
        const runner = qa.db.query("sys_properties", "name=sn_atf.runner.enabled")[0]!;
        assert.ok(writes.length > 0, "the suite ran");
        for (const w of writes) {
            assert.ok(
                w === "PATCH sys_properties" || w.startsWith("POST /api/sn_cicd/testsuite/run"),
                `verification wrote ${w}`,
            );
        }
        const log = emu.stats.requests("acme-qa", seq).filter((e) => e.method === "PATCH");
        assert.ok(
            log.every((e) => e.path.endsWith(runner.sys_id!)),
            "only the runner property was written",
        );
        assert.equal(qa.db.getProperty("sn_atf.runner.enabled"), "false", "put back as it was");

        const file = path.join(tmp, "verify.xml");
        const junit = await snClone([...common(), "verify", stack, "--format", "junit", "-o", file], env);
        assert.equal(junit.code, 4, junit.stderr);
        const doc = new XMLParser({
            ignoreAttributes: false,
            isArray: (name) => ["testsuite", "testcase"].includes(name),
        }).parse(fs.readFileSync(file, "utf8"));
        const cases = doc.testsuites.testsuite.flatMap((s: { testcase: { "@_name": string; failure?: unknown }[] }) =>
            s.testcase.map((c) => [c["@_name"], c.failure !== undefined]),
        );
        assert.deepEqual(Object.fromEntries(cases), {
            "email-cannot-reach-users": true,
            "no-production-endpoints": true,
            "text-indexes-rebuilt": true,
            "mid-servers-up": false,
            "scheduled-jobs-guarded": true,
            "lockout-holds": true,
            "Post-clone safety": true,
        });

        const json = await snClone([...common(), "verify", stack, "--format", "json"], env);
        const report = JSON.parse(json.stdout) as { passed: boolean; cloneId: string };
        assert.equal(report.passed, false);
        assert.match(report.cloneId, /^[0-9a-f]{32}$/);
    });

    it("exits 0 from apply --verify once applied and the text indexes are rebuilt", async () => {
        // The platform finishes rebuilding the indexes the cleanup script queued.
        emu.textIndexer.resume();
        await until(
            "text indexes",
            () => qa.db.query("ts_index_name", "state!=indexed").length,
            (n) => n === 0,
        );
        const r = await snClone([...common(), "apply", stack, "--verify"], env);
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.match(r.stdout, /✔ Ready: every check and suite passed/);
        assert.equal(qa.db.getProperty("sn_atf.runner.enabled"), "true", "PostCloneChecks manages it now");
        const again = await snClone([...common(), "verify", stack], env);
        assert.equal(again.code, 0, again.stdout + again.stderr);
    });
});
