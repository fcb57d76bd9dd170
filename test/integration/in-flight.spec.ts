/**
 * Work in flight survives a requested clone, through the real Pulumi CLI on the emulator: the preview names what the
 * clone would destroy (and with requireNoLoss refuses, writing nothing); parking, the clone, PluginState and
 * InFlightWork bring the plugin, the global sets in order and the scoped app's work back; a second up changes nothing;
 * a set needing a plugin the target lacks stops with the problem named and nothing committed; the `pulumi` CLI or its
 * provider processes killed while the commit's tracker runs are recovered from and re-run to convergence with nothing
 * committed twice.
 */
import * as assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";
import type { ConfigMap } from "@pulumi/pulumi/automation";
import type { InstanceDb } from "../../emulator/db";
import type { RunningEmulator } from "../../emulator/index";
import { isWriteRequest } from "../../emulator/index";
import { PROJECT_DIR_ENV } from "../../provider/stack-config";
import { recoverStack } from "../../sdk/automation/recover";
import { bootstrappedToolchain, offlineEnv, packageRoot } from "../../sdk/toolchain";
import { inFlightConnections, startInFlightEmulator } from "../support/in-flight";
import { cmdline, descendants, exited } from "../support/kill-run";
import { withTempStack } from "../support/pulumi";

const PASSWORD = "InFlight-Integration-Pa55!";
/** The provider reads its connection settings with `pulumi config` in the project directory (provider/stack-config.ts). */
const PROJECT_ENV = { [PROJECT_DIR_ENV]: path.join(packageRoot, "test", "fixtures", "in-flight") };
const SETS = ["ACME-101 Incident auto-assignment", "ACME-102 Purchase order approvals", "Fleet Tracker 0.4"];

describe("work in flight across a requested clone, through the Pulumi CLI", function () {
    this.timeout(900_000);
    let emu: RunningEmulator;

    before(async () => {
        emu = await startInFlightEmulator({ password: PASSWORD, cicdStepMs: 20, extraTargets: ["qa"] });
    });
    after(async () => emu?.stop());

    const connections = (target = "dev"): ConfigMap => inFlightConnections(emu, PASSWORD, target);
    const writesSince = (seq: number) => emu.stats.requests(undefined, seq).filter(isWriteRequest);

    it("names the loss at preview, refuses with requireNoLoss, then carries the work across the clone", async () => {
        const dev = emu.instances.get("dev")!.db;
        await withTempStack(
            "in-flight",
            {
                ...connections(),
                "environment:clone": { value: JSON.stringify({ mode: "request", requireNoLoss: true }) },
            },
            async ({ stack, readState }) => {
                const seq = emu.stats.lastSeq;
                let output = "";
                await assert.rejects(stack.preview({ onOutput: (o) => (output += o) }));
                for (const name of [...SETS, "Fleet Tracker", "com.snc.procurement"]) {
                    assert.ok(output.includes(name), `preview names ${name}:\n${output}`);
                }
                assert.deepEqual(writesSince(seq), [], "a refused preview writes nothing");

                await stack.setConfig("environment:plugins", {
                    value: JSON.stringify({ activate: ["com.snc.procurement"] }),
                });
                await stack.setConfig("environment:inFlight", {
                    value: JSON.stringify({ updateSets: SETS, ignoreEmptySets: true }),
                });
                const up = await stack.up({ onOutput: () => undefined });
                assert.equal(up.summary.result, "succeeded");

                const plugin = dev.query("v_plugin", "id=com.snc.procurement")[0]!;
                assert.equal(plugin.active, "active");
                const local = SETS.map((name) => dev.query("sys_update_set", `name=${name}^state=complete`));
                for (const [i, rows] of local.entries()) assert.equal(rows.length, 1, `${SETS[i]} committed once`);
                const committedAt = SETS.map(
                    (name) => dev.query("sys_remote_update_set", `name=${name}^state=committed`)[0]!.commit_date!,
                );
                assert.deepEqual([...committedAt].sort(), committedAt, "committed in the declared order");
                assert.equal(dev.query("sys_app", "scope=x_acme_fleet").length, 1, "the scoped app is back");
                assert.equal(dev.query("sys_script_include", "name=FleetUtils").length, 1);
                assert.equal(dev.query("sys_script", "name=Approve large purchase orders").length, 1);
                assert.equal(dev.query("sys_update_set", "name=ACME-103 Spike (empty)").length, 0, "the clone took it");

                const before = emu.stats.lastSeq;
                await stack.up({ expectNoChanges: true, onOutput: () => undefined });
                assert.deepEqual(writesSince(before), [], "a second up writes nothing");
                assert.doesNotMatch(readState(), new RegExp(PASSWORD));
            },
            PROJECT_ENV,
        );
    });

    it("stops with the missing plugin named and commits nothing when the target lacks it", async () => {
        const qa = emu.instances.get("qa")!.db;
        await withTempStack(
            "in-flight",
            {
                ...connections("qa"),
                "environment:clone": { value: JSON.stringify({ mode: "request" }) },
                // The sets were parked by the first test; nothing activates Procurement on qa.
                "environment:inFlight": { value: JSON.stringify({ updateSets: SETS, park: false }) },
            },
            async ({ stack }) => {
                let output = "";
                await assert.rejects(stack.up({ onOutput: (o) => (output += o) }));
                assert.match(output, /nothing was committed/);
                assert.match(output, /ACME-102 Purchase order approvals/);
                assert.match(output, /com\.snc\.procurement/);
                for (const name of SETS) assert.equal(qa.query("sys_update_set", `name=${name}`).length, 0, name);
                assert.equal(qa.query("sys_remote_update_set", "state=committed").length, 0);
            },
            PROJECT_ENV,
        );
    });
});

/** Starts `pulumi up` on a temporary stack as its own process, as a pipeline runs it, so the test can kill it. */
function startUp(stackName: string, stateDir: string, homeDir: string): ChildProcess {
    const pulumi = path.join(bootstrappedToolchain()!.root, "bin", "pulumi");
    return spawn(pulumi, ["up", "--yes", "--skip-preview", "--non-interactive", "--stack", stackName], {
        cwd: path.join(packageRoot, "test", "fixtures", "in-flight"),
        env: {
            ...process.env,
            ...offlineEnv({
                PULUMI_BACKEND_URL: `file://${stateDir}`,
                // withTempStack's passphrase.
                PULUMI_CONFIG_PASSPHRASE: "integration-test-passphrase",
                PULUMI_HOME: homeDir,
            }),
            ...PROJECT_ENV,
        },
        stdio: "ignore",
    });
}

/** What was committed of one set on an instance: its retrieved copies committed, local copies, their updates. */
function committedCopies(db: InstanceDb, name: string) {
    const remotes = db.query("sys_remote_update_set", `name=${name}^state=committed`);
    const locals = db.query("sys_update_set", `name=${name}^state=complete`);
    return {
        remotes: remotes.length,
        locals: locals.length,
        localUpdates: locals.reduce((n, l) => n + db.count("sys_update_xml", `update_set=${l.sys_id}`), 0),
        retrievedUpdates: remotes.reduce((n, r) => n + db.count("sys_update_xml", `remote_update_set=${r.sys_id}`), 0),
    };
}

/** Which process the kill hits: the `pulumi` CLI (the engine), or the dynamic-provider processes it started. */
type Killed = "cli" | "provider";

function kill(kind: Killed, child: ChildProcess): void {
    if (kind === "cli") child.kill("SIGKILL");
    else
        for (const p of descendants(child.pid!))
            if (cmdline(p).includes("dynamic-provider")) process.kill(p, "SIGKILL");
}

describe("a process killed while an update-set commit runs, through the Pulumi CLI", function () {
    this.timeout(900_000);
    let emu: RunningEmulator;

    // A fresh emulator per kill: each run starts from dev's work in progress.
    beforeEach(async () => {
        // Slow enough steps that the commit's tracker runs for a while: the kill lands inside it.
        emu = await startInFlightEmulator({ password: PASSWORD, cicdStepMs: 150 });
    });
    afterEach(async () => emu?.stop());

    for (const kind of ["cli", "provider"] as const) {
        it(`after the ${kind} is killed: recovered, re-run to convergence, nothing committed twice; destroy says what it cannot undo`, async () => {
            const dev = emu.instances.get("dev")!.db;
            const config: ConfigMap = {
                ...inFlightConnections(emu, PASSWORD),
                "environment:clone": { value: JSON.stringify({ mode: "request", pollSeconds: 1 }) },
                "environment:plugins": { value: JSON.stringify({ activate: ["com.snc.procurement"], pollSeconds: 1 }) },
                "environment:inFlight": { value: JSON.stringify({ updateSets: SETS, pollSeconds: 1 }) },
            };
            await withTempStack(
                "in-flight",
                config,
                async ({ stack, stateDir, homeDir }) => {
                    const child = startUp(stack.name, stateDir, homeDir);
                    const done = exited(child);
                    let finished = false;
                    void done.then(() => {
                        finished = true;
                    });
                    // The commit on the target: a retrieved set on dev in state "committing" while its tracker runs.
                    const committing = () => dev.query("sys_remote_update_set", "state=committing").length > 0;
                    const deadline = Date.now() + 600_000;
                    while (!finished && !committing() && Date.now() < deadline)
                        await new Promise((r) => setTimeout(r, 5));
                    assert.ok(!finished, "pulumi up ended before the commit started: the kill came too late");
                    assert.ok(committing(), "the commit never started");
                    const running = dev.query("sys_execution_tracker", "state=1^nameSTARTSWITHCommit");
                    assert.equal(running.length, 1, "the kill lands while the commit's tracker is running");
                    kill(kind, child);
                    await done;
                    assert.notEqual(child.exitCode, 0, "the killed up must not have finished as if nothing happened");

                    // A dead engine leaves InFlightWork's create pending (the lock too); a dead provider fails the create.
                    const recovery = await recoverStack(stack, `file://${stateDir}`);
                    if (kind === "cli") {
                        assert.ok(
                            recovery.pendingOperations.some((p) => p.urn.includes(":InFlightWork::")),
                            `the killed run left InFlightWork pending: ${recovery.steps.join("; ")}`,
                        );
                    }
                    const up = await stack.up({ onOutput: () => undefined });
                    assert.equal(up.summary.result, "succeeded");

                    for (const name of SETS) {
                        const c = committedCopies(dev, name);
                        assert.equal(c.remotes, 1, `${name}: one retrieved copy committed`);
                        assert.equal(c.locals, 1, `${name}: one local copy`);
                        assert.ok(c.localUpdates > 0, `${name}: its updates are in the local copy`);
                        assert.equal(c.localUpdates, c.retrievedUpdates, `${name}: no update recorded twice`);
                    }
                    const committedAt = SETS.map(
                        (name) => dev.query("sys_remote_update_set", `name=${name}^state=committed`)[0]!.commit_date!,
                    );
                    assert.deepEqual([...committedAt].sort(), committedAt, "committed in the declared order");
                    assert.equal(dev.query("sys_app", "scope=x_acme_fleet").length, 1);
                    assert.equal(dev.query("sys_script_include", "name=FleetUtils").length, 1, "no record doubled");

                    const second = await stack.preview({ onOutput: () => undefined });
                    const changed = Object.entries(second.changeSummary).filter(([op, n]) => op !== "same" && n);
                    assert.deepEqual(changed, [], "the re-run converged: a preview plans nothing");

                    let output = "";
                    await stack.destroy({ onOutput: (o) => (output += o) });
                    assert.match(output, /stay committed: destroy cannot undo a commit by itself/);
                    for (const name of SETS)
                        assert.equal(committedCopies(dev, name).remotes, 1, `${name} stays committed`);
                },
                PROJECT_ENV,
            );
        });
    }
});
