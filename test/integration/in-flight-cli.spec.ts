/**
 * Work in flight through the `sn-clone` CLI on the emulator: `apply --clone` reports what the clone would destroy
 * before requesting it and refuses with `--require-no-loss` (0 writes); with environment:plugins / environment:inFlight
 * and environment:clone.requireNoLoss it parks the work, clones and carries it back; `drift` then names a carried set
 * backed out and a required plugin rolled back, exit 2, and the next apply converges again.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";
import type { RunningEmulator, RunningInstance } from "../../emulator/index";
import { isWriteRequest } from "../../emulator/index";
import type { DriftReport } from "../../sdk/automation/drift";
import { packageRoot } from "../../sdk/toolchain";
import { inFlightConnections, startInFlightEmulator } from "../support/in-flight";
import { snClone } from "../support/sn-clone";

const PASSWORD = "InFlight-Cli-Pa55!";
const PROJECT = path.join(packageRoot, "test", "fixtures", "env-cli");
const SETS = ["ACME-101 Incident auto-assignment", "ACME-102 Purchase order approvals", "Fleet Tracker 0.4"];
const PLUGIN = "com.snc.procurement";

/** Calls a CI/CD route on an instance as admin and follows its progress to the end; returns the final status. */
async function cicd(instance: RunningInstance, route: string): Promise<string> {
    const auth = { Authorization: `Basic ${Buffer.from(`admin:${PASSWORD}`).toString("base64")}` };
    const started = await fetch(`${instance.url}${route}`, { method: "POST", headers: auth });
    assert.equal(started.status, 200, `${route}: ${await started.clone().text()}`);
    const id = ((await started.json()) as { result: { links: { progress: { id: string } } } }).result.links.progress.id;
    const deadline = Date.now() + 60_000;
    for (;;) {
        const r = await fetch(`${instance.url}/api/sn_cicd/progress/${id}`, { headers: auth });
        const status = ((await r.json()) as { result: { status: string } }).result.status;
        if (status !== "0" && status !== "1") return status;
        assert.ok(Date.now() < deadline, `${route} did not finish`);
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
}

/*
 * One environment's life, in order on purpose: each step starts where the previous one left the stack and the
 * instance (a clone and an apply cost a minute each).
 */
describe("work in flight through the sn-clone CLI", function () {
    this.timeout(900_000);
    let emu: RunningEmulator;
    let tmp: string;
    const stack = `inflight${process.pid}`;
    const stackFile = path.join(PROJECT, `Pulumi.${stack}.yaml`);

    /** Writes the stack file: the connections on the emulator plus the given environment:* keys. */
    const writeStack = (environment: Record<string, unknown>) => {
        // The passwords come from the environment (below), never from the stack file.
        const config: Record<string, unknown> = Object.fromEntries(
            Object.entries(inFlightConnections(emu, PASSWORD))
                .filter(([, v]) => !v.secret)
                .map(([k, v]) => [k, v.value]),
        );
        for (const [k, v] of Object.entries(environment)) config[`environment:${k}`] = v;
        // Keep the salt the CLI wrote when it created the stack.
        const salt = fs.existsSync(stackFile) ? /^encryptionsalt:.*$/m.exec(fs.readFileSync(stackFile, "utf8")) : null;
        fs.writeFileSync(stackFile, `${salt ? `${salt[0]}\n` : ""}${yaml.dump({ config })}`);
    };
    const common = () => [
        "--no-progress",
        "--work-dir",
        PROJECT,
        "--backend-url",
        `file://${path.join(tmp, "state")}`,
        "--pulumi-home",
        path.join(tmp, "home"),
    ];
    // Passwords come from the environment, as a pipeline passes them; never from the stack file.
    const env = {
        PULUMI_CONFIG_PASSPHRASE: "in-flight-cli",
        SERVICENOW_PASSWORD: PASSWORD,
        SERVICENOW_SOURCE_PASSWORD: PASSWORD,
        SERVICENOW_HOLDING_PASSWORD: PASSWORD,
    };
    const writesSince = (seq: number) => emu.stats.requests(undefined, seq).filter(isWriteRequest);

    before(async () => {
        assert.ok(fs.existsSync(path.join(packageRoot, "dist", "sdk", "cli", "index.js")), "run `npm run build` first");
        emu = await startInFlightEmulator({ password: PASSWORD, cicdStepMs: 20 });
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pssc-inflight-cli-"));
        fs.mkdirSync(path.join(tmp, "state"));
        fs.mkdirSync(path.join(tmp, "home"));
    });
    after(async () => {
        fs.rmSync(stackFile, { force: true });
        await emu?.stop();
        if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    });

    it("apply --clone with --require-no-loss, or requireNoLoss in the stack, names the loss and refuses with 0 writes", async () => {
        writeStack({ clone: { mode: "attach" } });
        const seq = emu.stats.lastSeq;
        const r = await snClone([...common(), "apply", stack, "--clone", "--require-no-loss"], env);
        assert.equal(r.code, 1, r.stdout + r.stderr);
        for (const name of [...SETS.map((s) => `in-progress update set "${s}"`), 'scoped app "Fleet Tracker"']) {
            assert.ok(r.stderr.includes(name), `the refusal names ${name}:\n${r.stderr}`);
        }
        assert.match(r.stderr, /plugin "com\.snc\.procurement"/);
        assert.match(r.stderr, /nothing was written and no clone was requested/);
        assert.deepEqual(writesSince(seq), [], "a refused clone writes nothing on any instance");
        assert.equal(emu.instances.get("prod")!.db.query("sn_instance_clone_request", "").length, 0);

        // Declared in the stack instead of on the command line: the same refusal.
        writeStack({ clone: { mode: "attach", requireNoLoss: true } });
        const declared = await snClone([...common(), "apply", stack, "--clone"], env);
        assert.equal(declared.code, 1, declared.stdout + declared.stderr);
        assert.match(declared.stderr, /requireNoLoss: a clone into .* would destroy 5 piece\(s\) of work/);
        assert.deepEqual(writesSince(seq), [], "a refused clone writes nothing on any instance");

        // A stack whose CloneRun requests its own clone: --clone would request a second one, so it is refused.
        writeStack({ clone: { mode: "request" } });
        const twice = await snClone([...common(), "apply", stack, "--clone"], env);
        assert.notEqual(twice.code, 0, twice.stdout + twice.stderr);
        assert.match(twice.stderr, /environment:clone\.mode is "request".*--clone would request a second one/);
        assert.deepEqual(writesSince(seq), [], "a refused clone writes nothing on any instance");
        assert.equal(emu.instances.get("prod")!.db.query("sn_instance_clone_request", "").length, 0);
    });

    it("apply --clone reports the work as carried, parks it, clones and brings it back", async () => {
        writeStack({
            clone: { mode: "attach", requireNoLoss: true },
            plugins: { activate: [PLUGIN] },
            inFlight: { updateSets: SETS, pollSeconds: 1 },
        });
        const r = await snClone([...common(), "apply", stack, "--clone"], env);
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.match(r.stdout, /would destroy 0 piece\(s\) of work and keep 5/);
        for (const name of SETS) {
            assert.match(r.stdout, new RegExp(`kept  in-progress update set "${name}" .*carried: parked`));
        }
        assert.match(r.stdout, /kept {2}scoped app "Fleet Tracker"/);
        assert.match(r.stdout, /kept {2}plugin "com\.snc\.procurement" .*PluginState activates it again/);
        assert.match(r.stdout, /Parked on the holding instance: "ACME-101/);
        assert.match(r.stdout, /Cloned into .*: request [0-9a-f]{32}/);

        const dev = emu.instances.get("dev")!.db;
        assert.equal(dev.query("v_plugin", `id=${PLUGIN}`)[0]!.active, "active");
        for (const name of SETS) {
            assert.equal(dev.query("sys_update_set", `name=${name}^state=complete`).length, 1, `${name} once`);
        }
        const committedAt = SETS.map(
            (name) => dev.query("sys_remote_update_set", `name=${name}^state=committed`)[0]!.commit_date!,
        );
        assert.deepEqual([...committedAt].sort(), committedAt, "committed in the declared order");
        assert.equal(dev.query("sys_app", "scope=x_acme_fleet").length, 1, "the scoped app is back");

        const drift = await snClone([...common(), "drift", stack], env);
        assert.equal(drift.code, 0, drift.stdout + drift.stderr);
        assert.match(drift.stdout, /No drift/);
    });

    it("drift names a carried set backed out and a required plugin rolled back, exit 2; apply converges again", async () => {
        const dev = emu.instances.get("dev")!;
        const local = dev.db.query("sys_update_set", `name=${SETS[0]}^state=complete`)[0]!;
        assert.equal(await cicd(dev, `/api/sn_cicd/update_set/back_out?update_set_id=${local.sys_id}`), "2");
        assert.equal(await cicd(dev, `/api/sn_cicd/plugin/${PLUGIN}/rollback`), "2");

        const text = await snClone([...common(), "drift", stack], env);
        assert.equal(text.code, 2, text.stdout + text.stderr);
        assert.match(
            text.stdout,
            /InFlightWork "in-flight": changed\n\s+drift: expected none, found 1:\n\s+- update set "ACME-101 Incident auto-assignment" is no longer committed on .* \(backed out\)/,
        );
        assert.match(
            text.stdout,
            /PluginState "plugins": changed\n\s+inactive: expected none, found 1:\n\s+- com\.snc\.procurement/,
        );

        const json = await snClone([...common(), "drift", stack, "--format", "json"], env);
        assert.equal(json.code, 2, json.stderr);
        const report = JSON.parse(json.stdout) as DriftReport;
        const byName = new Map(report.resources.map((r) => [r.name, r]));
        assert.deepEqual(byName.get("plugins")?.properties.find((p) => p.path === "inactive")?.actual, [PLUGIN]);
        assert.match(
            String(byName.get("in-flight")?.properties.find((p) => p.path === "drift")?.actual),
            /ACME-101 Incident auto-assignment/,
        );

        const again = await snClone([...common(), "apply", stack], env);
        assert.equal(again.code, 0, again.stdout + again.stderr);
        assert.equal(dev.db.query("v_plugin", `id=${PLUGIN}`)[0]!.active, "active");
        assert.equal(dev.db.query("sys_remote_update_set", `name=${SETS[0]}^state=committed`).length, 1);
        const after = await snClone([...common(), "drift", stack], env);
        assert.equal(after.code, 0, after.stdout + after.stderr);
    });
});
