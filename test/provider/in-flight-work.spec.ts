/**
 * PluginState, parking and InFlightWork called as the engine calls them, against an emulator with production, a dev
 * instance holding work in progress, and a holding instance: park → clone → plugins → carry, then re-run, drift,
 * the missing-plugin stop, and a commit that fails half-way.
 */
import * as assert from "node:assert/strict";
import { injectCicdFault } from "../../emulator/cicd/faults";
import { setPluginActive } from "../../emulator/cicd/plugins";
import { engineFor } from "../../emulator/cicd/registry";
import { type RunningEmulator, startEmulator } from "../../emulator/index";
import { beforeRequest } from "../../provider/clone/in-flight";
import { parkUpdateSets } from "../../provider/clone/park";
import { clientFor, configureConnections, resetConnections } from "../../provider/connection";
import { CicdOperationError, UpdateSetProblemError } from "../../provider/errors";
import { inFlightWorkProvider } from "../../provider/resources/in-flight-work";
import { pluginStateProvider } from "../../provider/resources/plugin-state";

// biome-ignore lint/suspicious/noExplicitAny: provider results are inspected field by field
type Json = any;
const plugins = pluginStateProvider as unknown as Record<string, (...a: Json[]) => Promise<Json>>;
const work = inFlightWorkProvider as unknown as Record<string, (...a: Json[]) => Promise<Json>>;
const SETS = ["ACME-101 Incident auto-assignment", "ACME-102 Purchase order approvals", "Fleet Tracker 0.4"];
const FAST = { pollSeconds: 0.02, timeoutMinutes: 1 };

async function quiet<T>(fn: () => Promise<T>): Promise<T> {
    const original = console.log;
    console.log = () => undefined;
    try {
        return await fn();
    } finally {
        console.log = original;
    }
}

async function checked(p: Record<string, (...a: Json[]) => Promise<Json>>, news: Json): Promise<Json> {
    const r = await p.check!({}, news);
    assert.deepEqual(r.failures ?? [], [], JSON.stringify(r.failures));
    return r.inputs;
}

/**
 * An emulator with production, a dev instance holding work in progress and a holding instance, and the provider's
 * connections pointed at them (dev the target).
 */
async function startAcrossClone(cicdStepMs = 5): Promise<RunningEmulator> {
    const emu = await startEmulator({
        instances: [
            { name: "prod", seed: "production" },
            { name: "dev", seed: "empty", workInProgress: true },
            { name: "holding", seed: "empty" },
        ],
        users: 60,
        jobs: 20,
        cicdStepMs,
        cloneDurationMs: 300,
    });
    setPluginActive(emu.instances.get("holding")!.db, "com.snc.procurement", true, "2026-01-01 00:00:00");
    const url = (n: string) => emu.instances.get(n)!.url;
    const config: Record<string, string> = {
        "servicenow:instanceUrl": url("dev"),
        "servicenow:username": "admin",
        "servicenow:password": "admin",
        "servicenow:instanceName": "dev",
        "servicenow:sourceInstanceUrl": url("prod"),
        "servicenow:sourceUsername": "admin",
        "servicenow:sourcePassword": "admin",
        "servicenow:sourceInstanceName": "prod",
        "servicenow:holdingInstanceUrl": url("holding"),
        "servicenow:holdingUsername": "admin",
        "servicenow:holdingPassword": "admin",
        "servicenow:holdingInstanceName": "holding",
        "servicenow:productionInstances": "prod",
    };
    configureConnections({ get: (k: string) => config[k], require: (k: string) => config[k]! } as never);
    return emu;
}

/** Clones prod into dev through the clone table, as the Clone Admin Console would, and waits for it. */
async function cloneInto(emu: RunningEmulator): Promise<void> {
    const prod = emu.instances.get("prod")!.db;
    const devRef = prod.query("instance", "instance_name=dev")[0]!.sys_id!;
    const req = prod.insert("sn_instance_clone_request", { state: "Requested", target_instance: devRef });
    for (let i = 0; i < 400; i++) {
        const state = prod.get("sn_instance_clone_request", req.sys_id!)!.state;
        if (state === "Completed") return;
        assert.ok(state !== "Error", prod.get("sn_instance_clone_request", req.sys_id!)!.error_message);
        await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error("clone did not complete");
}

/** Parks the sets on the holding instance (before the clone destroys them on dev); returns what was parked. */
function park() {
    return quiet(async () =>
        parkUpdateSets(
            await clientFor("target"),
            await clientFor("holding"),
            SETS,
            { username: "admin", password: "admin" },
            { timeoutMs: 60_000, initialPollMs: 5, maxPollMs: 20 },
        ),
    );
}

describe("PluginState and InFlightWork across a clone", function () {
    this.timeout(120_000);
    let emu: RunningEmulator;

    before(async () => {
        emu = await startAcrossClone();
    });
    after(async () => {
        resetConnections();
        await emu.stop();
    });

    const cloneProdIntoDev = () => cloneInto(emu);

    it("parks, and after the clone activates the plugin and commits the sets in order, with the scoped app", async () => {
        const dev = emu.instances.get("dev")!.db;
        const parked = await park();
        assert.deepEqual(
            parked.map((p) => p.name),
            SETS,
        );
        const holding = emu.instances.get("holding")!.db;
        for (const name of SETS) assert.equal(holding.query("sys_update_set", `name=${name}^state=complete`).length, 1);

        await cloneProdIntoDev();
        assert.equal(dev.query("sys_app", "scope=x_acme_fleet").length, 0, "the clone removed the app");

        const pInputs = await checked(plugins, { plugins: ["com.snc.procurement"], ...FAST });
        const p = await quiet(() => plugins.create!(pInputs));
        assert.deepEqual(p.outs.activated, ["com.snc.procurement"]);
        assert.equal(dev.query("v_plugin", "id=com.snc.procurement")[0]!.active, "active");

        const wInputs = await checked(work, { updateSets: SETS, ignoreEmptySets: true, ...FAST });
        const w = await quiet(() => work.create!(wInputs));
        assert.deepEqual(
            w.outs.carried.map((c: Json) => c.name),
            SETS,
        );
        const commits = SETS.map((n) => dev.query("sys_remote_update_set", `name=${n}`)[0]!);
        assert.ok(commits.every((r) => r.state === "committed"));
        const order = SETS.map((n) => dev.query("sys_update_set", `name=${n}^state=complete`)[0]!.sys_created_on!);
        assert.deepEqual([...order].sort(), order, "local copies made in the declared order");
        assert.equal(dev.query("sys_app", "scope=x_acme_fleet").length, 1, "the scoped app is back");
        assert.equal(dev.query("sys_script_include", "name=FleetUtils").length, 1);

        // A second run: read finds no drift, and converging again commits nothing twice.
        const read = await quiet(() => work.read!(w.id, w.outs));
        assert.deepEqual(read.props.drift, []);
        const diff = await work.diff!(w.id, read.props, wInputs);
        assert.equal(diff.changes, false);
        await quiet(() => work.update!(w.id, w.outs, wInputs));
        for (const n of SETS) assert.equal(dev.query("sys_update_set", `name=${n}`).length, 1, `${n} once`);
    });

    it("reports a carried set that was backed out as drift", async () => {
        const dev = emu.instances.get("dev")!.db;
        const remote = dev.query("sys_remote_update_set", `name=${SETS[0]}`)[0]!;
        dev.update("sys_remote_update_set", remote.sys_id!, { state: "backed out" });
        try {
            const stored = { ...(await checked(work, { updateSets: SETS, ...FAST })), carried: [] };
            stored.carried = [{ name: SETS[0], remoteSysId: remote.sys_id, holdingSysId: "", localSysId: "" }];
            const read = await quiet(() => work.read!("id", stored));
            assert.match(read.props.drift[0], /ACME-101 .*no longer committed/);
        } finally {
            dev.update("sys_remote_update_set", remote.sys_id!, { state: "committed" });
        }
    });

    it("reports the unresolved preview problem of a carried set no longer committed as drift, naming it", async () => {
        const dev = emu.instances.get("dev")!.db;
        const remote = dev.query("sys_remote_update_set", `name=${SETS[1]}`)[0]!;
        dev.update("sys_remote_update_set", remote.sys_id!, { state: "previewed" });
        const problem = dev.insert("sys_update_preview_problem", {
            remote_update_set: remote.sys_id,
            type: "error",
            status: "",
            description: "Could not find a record in sys_db_object for column collection referenced in this update",
            missing_item: "proc_po",
            missing_item_table: "sys_db_object",
        });
        try {
            const stored = { ...(await checked(work, { updateSets: SETS, ...FAST })), carried: [] };
            stored.carried = [{ name: SETS[1], remoteSysId: remote.sys_id, holdingSysId: "", localSysId: "" }];
            const read = await quiet(() => work.read!("id", stored));
            assert.equal(read.props.drift.length, 2, read.props.drift.join("\n"));
            assert.match(read.props.drift[0], /ACME-102 .*no longer committed .*\(previewed\)/);
            assert.match(read.props.drift[1], /unresolved preview problem: update set "ACME-102 .*missing proc_po/);
        } finally {
            dev.delete("sys_update_preview_problem", problem.sys_id!);
            dev.update("sys_remote_update_set", remote.sys_id!, { state: "committed" });
        }
    });

    it("stops before committing anything when a set needs a plugin the target lacks, naming the problem", async () => {
        const dev = emu.instances.get("dev")!.db;
        await cloneProdIntoDev();
        const wInputs = await checked(work, { updateSets: SETS, ...FAST });
        await assert.rejects(
            quiet(() => work.create!(wInputs)),
            (e: unknown) => {
                assert.ok(e instanceof UpdateSetProblemError, String(e));
                assert.match(e.message, /nothing was committed/);
                assert.match(e.message, /ACME-102 Purchase order approvals/);
                assert.match(e.message, /com\.snc\.procurement/);
                return true;
            },
        );
        for (const n of SETS) assert.equal(dev.query("sys_update_set", `name=${n}`).length, 0, `${n} not committed`);
    });

    it("converges after a commit that failed half-way, committing nothing twice", async () => {
        const dev = emu.instances.get("dev")!.db;
        const pInputs = await checked(plugins, { plugins: ["com.snc.procurement"], ...FAST });
        await quiet(() => plugins.create!(pInputs));
        injectCicdFault(dev, {
            kind: "commit",
            match: SETS[1],
            message: "Commit failed: the node restarted",
            afterUpdates: 1,
        });
        const wInputs = await checked(work, { updateSets: SETS, ...FAST });
        await assert.rejects(
            quiet(() => work.create!(wInputs)),
            /Commit failed: the node restarted/,
        );
        const w = await quiet(() => work.create!(wInputs));
        assert.equal(w.outs.carried.length, 3);
        for (const n of SETS) assert.equal(dev.query("sys_update_set", `name=${n}`).length, 1, `${n} once`);
        assert.equal(dev.query("sys_script", "name=Approve large purchase orders").length, 1);
    });

    it("fails check naming a plugin id the instance does not know", async () => {
        const r = await plugins.check!({}, { plugins: ["com.snc.procurement", "com.example.nope"], ...FAST });
        assert.equal(r.failures?.[0]?.property, "plugins[1]");
        assert.match(r.failures[0].reason, /com\.example\.nope/);
    });

    it("leaves plugins active on destroy by default, and says why", async () => {
        const lines: string[] = [];
        const original = console.log;
        console.log = (...a: unknown[]) => lines.push(a.join(" "));
        try {
            await plugins.delete!("id", {
                connection: "target",
                plugins: ["com.snc.procurement"],
                activated: ["com.snc.procurement"],
                rollbackOnDestroy: false,
                ...FAST,
            });
        } finally {
            console.log = original;
        }
        assert.equal(emu.instances.get("dev")!.db.query("v_plugin", "id=com.snc.procurement")[0]!.active, "active");
        assert.match(lines.join("\n"), /leaving com\.snc\.procurement active: a rollback deletes/);
    });

    it("explains a refused rollback on destroy with the platform's reason, leaving the plugin active", async () => {
        await assert.rejects(
            quiet(() =>
                plugins.delete!("id", {
                    connection: "target",
                    plugins: ["com.snc.undelete"],
                    activated: ["com.snc.undelete"],
                    rollbackOnDestroy: true,
                    ...FAST,
                }),
            ),
            (e: unknown) => {
                assert.ok(e instanceof CicdOperationError, String(e));
                assert.match(e.message, /refused to roll back 1 plugin\(s\).*no prior version/);
                return true;
            },
        );
        assert.equal(emu.instances.get("dev")!.db.query("v_plugin", "id=com.snc.undelete")[0]!.active, "active");
    });

    it("records the target's active plugins just before a requested clone", async () => {
        const captured = await quiet(() =>
            beforeRequest({
                mode: "request",
                preserveInProgressUpdateSetsDays: 0,
                timeoutMinutes: 1,
                pollSeconds: 0.02,
                requireNoLoss: false,
                parkUpdateSets: [],
                capturePlugins: true,
                carriedPlugins: [],
            }),
        );
        assert.ok(captured.pluginsBeforeClone.includes("com.snc.procurement"), captured.pluginsBeforeClone.join());
        assert.ok(captured.pluginsBeforeClone.includes("com.glide.continuousdelivery"));
        assert.ok(!captured.pluginsBeforeClone.includes("com.glide.domain.msp_extensions.installer"));
    });

    it("backs the carried sets out on destroy only when asked, and never deletes update-set records", async () => {
        const dev = emu.instances.get("dev")!.db;
        const wInputs = await checked(work, { updateSets: SETS, ...FAST });
        const w = await quiet(() => work.create!(wInputs));
        await quiet(() => work.delete!(w.id, w.outs));
        assert.equal(dev.query("sys_script", "name=Approve large purchase orders").length, 1, "kept by default");
        await quiet(() => work.delete!(w.id, { ...w.outs, backOutOnDestroy: true }));
        assert.equal(dev.query("sys_script", "name=Approve large purchase orders").length, 0, "backed out");
        for (const n of SETS) {
            const sets = dev.query("sys_update_set", `name=${n}`);
            assert.equal(sets.length, 1, `${n} still recorded`);
            assert.equal(sets[0]!.state, "ignore");
        }
        assert.ok(
            dev.query("sys_update_xml", `update_set=${dev.query("sys_update_set", `name=${SETS[0]}`)[0]!.sys_id}`)
                .length > 0,
        );
    });
});

describe("InFlightWork after a run killed with its commit still queued", function () {
    this.timeout(120_000);
    let emu: RunningEmulator;

    before(async () => {
        emu = await startAcrossClone();
    });
    after(async () => {
        resetConnections();
        await emu.stop();
    });

    it("converges although the killed run's commit runs ahead of the re-run's preview, committing nothing twice", async () => {
        const dev = emu.instances.get("dev")!;
        await park();
        await cloneInto(emu);
        await quiet(async () => plugins.create!(await checked(plugins, { plugins: ["com.snc.procurement"], ...FAST })));
        // A first run that retrieves and previews every set, then fails at the commit: the sets stay previewed.
        injectCicdFault(dev.db, { kind: "commit", message: "Commit failed: the node restarted" });
        const wInputs = await checked(work, { updateSets: SETS, ...FAST });
        await assert.rejects(
            quiet(() => work.create!(wInputs)),
            /the node restarted/,
        );
        const remoteIds = SETS.map((n) => dev.db.query("sys_remote_update_set", `name=${n}`)[0]!.sys_id!);
        assert.ok(SETS.every((n) => dev.db.query("sys_remote_update_set", `name=${n}`)[0]!.state === "previewed"));

        // Another operation holds the instance-wide lock; the killed run's commitMultiple waits behind it (Pending).
        let release = () => {};
        const gate = new Promise<void>((r) => {
            release = r;
        });
        engineFor(dev.db, () => dev.url).start({
            name: "An upgrade holding the lock",
            run: () => gate.then(() => ({})),
        });
        const auth = `Basic ${Buffer.from("admin:admin").toString("base64")}`;
        const queued = await fetch(
            `${dev.url}/api/sn_cicd/update_set/commitMultiple?remote_update_set_ids=${remoteIds.join(",")}`,
            { method: "POST", headers: { Authorization: auth, Accept: "application/json" } },
        );
        assert.equal(((await queued.json()) as Json).result.status, "0", "the killed run's commit is queued");

        // The re-run reads the sets still previewed and queues its preview behind that commit; then the lock frees.
        const rerun = quiet(() => work.create!(wInputs));
        const deadline = Date.now() + 30_000;
        while (dev.db.query("sys_execution_tracker", "nameSTARTSWITHPreview update set^state=0").length === 0) {
            assert.ok(Date.now() < deadline, "the re-run never queued its preview");
            await new Promise((r) => setTimeout(r, 10));
        }
        release();
        const w = await rerun;
        assert.deepEqual(
            w.outs.carried.map((c: Json) => c.name),
            SETS,
        );
        for (const n of SETS) {
            assert.equal(
                dev.db.query("sys_remote_update_set", `name=${n}^state=committed`).length,
                1,
                `${n} retrieved once`,
            );
            assert.equal(dev.db.query("sys_update_set", `name=${n}`).length, 1, `${n} committed once`);
        }
        assert.equal(dev.db.query("sys_script", "name=Approve large purchase orders").length, 1);
    });
});
