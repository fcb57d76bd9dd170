/**
 * Conformance of the CI/CD update set, application repository and clone behaviour: a dev instance with work in
 * progress parks it on a holding instance (retrieve → preview → commit), production is cloned over dev, and what the
 * clone removes is what the platform removes.
 */
import * as assert from "node:assert/strict";
import { injectCicdFault } from "../../emulator/cicd/faults";
import type { RunningEmulator } from "../../emulator/index";
import { call, type Reply, start, urlOf } from "./helpers";

type Rec = Record<string, string>;

async function settle(base: string, started: Reply, seen: string[] = []): Promise<Reply> {
    assert.equal(started.status, 200, started.text);
    const id = started.json.result.links.progress.id as string;
    seen.push(started.json.result.status);
    for (let i = 0; i < 600; i++) {
        const r = await call(base, `/api/sn_cicd/progress/${id}`);
        const status = r.json.result.status as string;
        if (seen.at(-1) !== status) seen.push(status);
        if (["2", "3", "4"].includes(status)) return r;
        await new Promise((res) => setTimeout(res, 10));
    }
    throw new Error(`tracker ${id} did not settle`);
}

async function list(base: string, table: string, query = ""): Promise<Rec[]> {
    const q = new URLSearchParams({ sysparm_query: query, sysparm_exclude_reference_link: "true" });
    const r = await call(base, `/api/now/table/${table}?${q}`);
    assert.equal(r.status, 200, r.text);
    return r.json.result as Rec[];
}

const post = (base: string, path: string, body?: unknown) => call(base, path, { method: "POST", body });

describe("CI/CD update sets, apps and clones (emulator)", () => {
    let emu: RunningEmulator;
    let prod: string;
    let dev: string;
    let holding: string;
    let sourceId: string;
    const setIds: Record<string, string> = {};

    before(async () => {
        emu = await start({
            instances: [
                { name: "prod", seed: "production" },
                { name: "dev", seed: "empty", workInProgress: true },
                { name: "holding", seed: "empty" },
            ],
            cicdStepMs: 10,
            cloneDurationMs: 400,
        });
        prod = urlOf(emu, "prod");
        dev = urlOf(emu, "dev");
        holding = urlOf(emu, "holding");
        for (const s of await list(
            dev,
            "sys_update_set",
            "state=in progress^nameSTARTSWITHACME^ORnameSTARTSWITHFleet",
        )) {
            setIds[s.name!] = s.sys_id!;
        }
        const src = await call(holding, "/api/now/table/sys_update_set_source", {
            method: "POST",
            body: { name: "dev", url: dev, username: "admin", password: "admin", type: "Development" },
        });
        assert.equal(src.status, 201, src.text);
        sourceId = src.json.result.sys_id;
    });
    after(() => emu.stop());

    describe("update_set/create", () => {
        it("creates an in-progress update set in the given application", async () => {
            const r = await post(dev, "/api/sn_cicd/update_set/create?update_set_name=ACME-200%20New&scope=global");
            assert.equal(r.status, 200, r.text);
            assert.equal(r.json.result.name, "ACME-200 New");
            const row = (await list(dev, "sys_update_set", `sys_id=${r.json.result.sys_id}`))[0]!;
            assert.equal(row.state, "in progress");
            assert.equal(row.application, "global");
            const app = (await list(dev, "sys_app", "scope=x_acme_fleet"))[0]!;
            const scoped = await post(
                dev,
                "/api/sn_cicd/update_set/create?update_set_name=Fleet%20more&scope=x_acme_fleet",
            );
            assert.equal(scoped.json.result.application, app.sys_id);
        });

        it("answers a missing name or scope with 400 and an unknown application with 404", async () => {
            const noName = await post(dev, "/api/sn_cicd/update_set/create?scope=global");
            assert.equal(noName.status, 400);
            assert.equal(noName.json.result.status, "3");
            assert.match(noName.json.result.status_message, /update_set_name/);
            const noScope = await post(dev, "/api/sn_cicd/update_set/create?update_set_name=x");
            assert.match(noScope.json.result.status_message, /sys_id or scope required/);
            assert.equal(
                (await post(dev, "/api/sn_cicd/update_set/create?update_set_name=x&scope=x_none")).status,
                404,
            );
        });
    });

    describe("retrieve, preview and commit", () => {
        before(async () => {
            // Parking the work: a set is retrievable once complete.
            for (const [name, id] of Object.entries(setIds)) {
                if (name.includes("(empty)")) continue;
                const r = await call(dev, `/api/now/table/sys_update_set/${id}`, {
                    method: "PATCH",
                    body: { state: "complete" },
                });
                assert.equal(r.status, 200, r.text);
            }
        });

        it("retrieves a completed set from an update source, pending to successful, linking the retrieved set", async () => {
            const seen: string[] = [];
            const done = await settle(
                holding,
                await post(
                    holding,
                    `/api/sn_cicd/update_set/retrieve?update_set_id=${setIds["ACME-101 Incident auto-assignment"]}&update_source_id=${sourceId}`,
                ),
                seen,
            );
            assert.deepEqual(seen, ["0", "1", "2"]);
            const remoteId = done.json.result.links.results.id;
            assert.match(
                done.json.result.links.results.url,
                new RegExp(`/api/now/table/sys_remote_update_set/${remoteId}$`),
            );
            const remote = (await list(holding, "sys_remote_update_set", `sys_id=${remoteId}`))[0]!;
            assert.equal(remote.state, "loaded");
            assert.equal(remote.name, "ACME-101 Incident auto-assignment");
            assert.equal(remote.remote_sys_id, setIds["ACME-101 Incident auto-assignment"]);
            assert.equal((await list(holding, "sys_update_xml", `remote_update_set=${remoteId}`)).length, 2);
        });

        it("previews and commits: payloads applied, the local complete copy created, the retrieved set committed", async () => {
            const remote = (await list(holding, "sys_remote_update_set", "name=ACME-101 Incident auto-assignment"))[0]!;
            const preview = await settle(
                holding,
                await post(holding, `/api/sn_cicd/update_set/preview/${remote.sys_id}`),
            );
            assert.equal(preview.json.result.status_label, "Successful", preview.text);
            assert.equal(
                (await list(holding, "sys_remote_update_set", `sys_id=${remote.sys_id}`))[0]!.state,
                "previewed",
            );
            assert.equal(
                (await list(holding, "sys_update_preview_problem", `remote_update_set=${remote.sys_id}`)).length,
                0,
            );
            assert.equal((await list(holding, "sys_script", "name=Auto-assign network incidents")).length, 0);
            const commit = await settle(
                holding,
                await post(holding, `/api/sn_cicd/update_set/commit/${remote.sys_id}`),
            );
            assert.equal(commit.json.result.status_label, "Successful", commit.text);
            const rule = (await list(holding, "sys_script", "name=Auto-assign network incidents"))[0]!;
            assert.equal(rule.collection, "incident");
            assert.equal((await list(holding, "sys_script_include", "name=AssignmentUtils")).length, 1);
            const local = await list(holding, "sys_update_set", "name=ACME-101 Incident auto-assignment");
            assert.equal(local.length, 1);
            assert.equal(local[0]!.state, "complete");
            assert.equal(commit.json.result.links.results.id, local[0]!.sys_id);
            assert.equal((await list(holding, "sys_update_xml", `update_set=${local[0]!.sys_id}`)).length, 2);
            assert.equal(
                (await list(holding, "sys_remote_update_set", `sys_id=${remote.sys_id}`))[0]!.state,
                "committed",
            );
        });

        it("finds the missing plugin's table as an error problem and refuses to commit, writing nothing", async () => {
            const done = await settle(
                holding,
                await post(
                    holding,
                    `/api/sn_cicd/update_set/retrieve?update_set_id=${setIds["ACME-102 Purchase order approvals"]}&update_source_id=${sourceId}&auto_preview=true`,
                ),
            );
            const remoteId = done.json.result.links.results.id;
            assert.equal((await list(holding, "sys_remote_update_set", `sys_id=${remoteId}`))[0]!.state, "previewed");
            const problems = await list(holding, "sys_update_preview_problem", `remote_update_set=${remoteId}`);
            assert.equal(problems.length, 2, JSON.stringify(problems));
            for (const p of problems) {
                assert.equal(p.type, "error");
                assert.equal(p.missing_item, "proc_po");
                assert.equal(p.missing_item_table, "sys_db_object");
                assert.match(p.description!, /com\.snc\.procurement/);
            }
            const commit = await settle(holding, await post(holding, `/api/sn_cicd/update_set/commit/${remoteId}`));
            assert.equal(commit.json.result.status_label, "Failed");
            assert.match(commit.json.result.status_message, /2 preview problem\(s\) are unresolved.*proc_po/);
            assert.equal((await list(holding, "sys_script", "name=Approve large purchase orders")).length, 0);
            assert.equal((await list(holding, "sys_update_set", "name=ACME-102 Purchase order approvals")).length, 0);
        });

        it("commits that set once the plugin is active and a new preview finds no problem", async () => {
            const act = await settle(holding, await post(holding, "/api/sn_cicd/plugin/com.snc.procurement/activate"));
            assert.equal(act.json.result.status_label, "Successful");
            const remote = (await list(holding, "sys_remote_update_set", "name=ACME-102 Purchase order approvals"))[0]!;
            await settle(holding, await post(holding, `/api/sn_cicd/update_set/preview/${remote.sys_id}`));
            assert.equal(
                (await list(holding, "sys_update_preview_problem", `remote_update_set=${remote.sys_id}`)).length,
                0,
            );
            const commit = await settle(
                holding,
                await post(holding, `/api/sn_cicd/update_set/commit/${remote.sys_id}`),
            );
            assert.equal(commit.json.result.status_label, "Successful", commit.text);
            assert.equal((await list(holding, "sys_script", "name=Approve large purchase orders")).length, 1);
        });

        it("brings a scoped set back with its application: the app record travels in the set", async () => {
            const done = await settle(
                holding,
                await post(
                    holding,
                    `/api/sn_cicd/update_set/retrieve?update_set_id=${setIds["Fleet Tracker 0.4"]}&update_source_id=${sourceId}&auto_preview=true`,
                ),
            );
            const remoteId = done.json.result.links.results.id;
            const remote = (await list(holding, "sys_remote_update_set", `sys_id=${remoteId}`))[0]!;
            assert.equal(remote.application_scope, "x_acme_fleet");
            assert.equal(
                (await list(holding, "sys_update_preview_problem", `remote_update_set=${remoteId}`)).length,
                0,
            );
            const commit = await settle(holding, await post(holding, `/api/sn_cicd/update_set/commit/${remoteId}`));
            assert.equal(commit.json.result.status_label, "Successful", commit.text);
            const app = (await list(holding, "sys_app", "scope=x_acme_fleet"))[0]!;
            const include = (await list(holding, "sys_script_include", "name=FleetUtils"))[0]!;
            assert.equal(include.sys_scope, app.sys_id);
        });

        it("answers retrieve without parameters with 400, an unknown source with 404", async () => {
            assert.equal((await post(holding, "/api/sn_cicd/update_set/retrieve")).status, 400);
            const r = await post(
                holding,
                `/api/sn_cicd/update_set/retrieve?update_set_id=x&update_source_id=${"0".repeat(32)}`,
            );
            assert.equal(r.status, 404);
        });

        it("fails a retrieve with the source's refusal when the credentials are wrong", async () => {
            const bad = await call(holding, "/api/now/table/sys_update_set_source", {
                method: "POST",
                body: { name: "dev (stale)", url: dev, username: "admin", password: "wrong" },
            });
            const done = await settle(
                holding,
                await post(
                    holding,
                    `/api/sn_cicd/update_set/retrieve?update_set_id=${setIds["ACME-101 Incident auto-assignment"]}&update_source_id=${bad.json.result.sys_id}`,
                ),
            );
            assert.equal(done.json.result.status_label, "Failed");
            assert.match(done.json.result.status_message, /Authentication failed for update source dev \(stale\)/);
            assert.doesNotMatch(done.text, /wrong/);
        });

        it("fails a retrieve of an in-progress set: only complete sets can be retrieved", async () => {
            const inProgress = (await list(dev, "sys_update_set", "name=ACME-103 Spike (empty)"))[0]!;
            const done = await settle(
                holding,
                await post(
                    holding,
                    `/api/sn_cicd/update_set/retrieve?update_set_id=${inProgress.sys_id}&update_source_id=${sourceId}`,
                ),
            );
            assert.equal(done.json.result.status_label, "Failed");
            assert.match(done.json.result.status_message, /is in progress: only complete update sets can be retrieved/);
        });
    });

    describe("commitMultiple, faults and back_out", () => {
        let remotes: string[];

        before(async () => {
            // A fresh instance (dev after its refresh) retrieves all three parked sets from the holding instance.
            const src = await call(prod, "/api/now/table/sys_update_set_source", {
                method: "POST",
                body: { name: "holding", url: holding, username: "admin", password: "admin" },
            });
            remotes = [];
            for (const name of ["ACME-101 Incident auto-assignment", "ACME-102 Purchase order approvals"]) {
                const local = (await list(holding, "sys_update_set", `name=${name}^state=complete`))[0]!;
                const done = await settle(
                    prod,
                    await post(
                        prod,
                        `/api/sn_cicd/update_set/retrieve?update_set_id=${local.sys_id}&update_source_id=${src.json.result.sys_id}&auto_preview=true`,
                    ),
                );
                remotes.push(done.json.result.links.results.id);
            }
        });

        it("answers repeated ids with 409 and unknown ids with 404, starting nothing", async () => {
            const dup = await post(
                prod,
                `/api/sn_cicd/update_set/commitMultiple?remote_update_set_ids=${remotes[0]},${remotes[0]}`,
            );
            assert.equal(dup.status, 409);
            assert.match(dup.json.error.detail, /isn't unique/);
            const unknown = await post(
                prod,
                `/api/sn_cicd/update_set/commitMultiple?remote_update_set_ids=${"0".repeat(32)}`,
            );
            assert.equal(unknown.status, 404);
        });

        it("stops in order at the first set that cannot commit, and commits none after it", async () => {
            // Production lacks the Procurement plugin: the second set has problems, the first commits.
            const done = await settle(
                prod,
                await post(prod, `/api/sn_cicd/update_set/commitMultiple?remote_update_set_ids=${remotes.join(",")}`),
            );
            assert.equal(done.json.result.status_label, "Failed");
            assert.match(done.json.result.status_message, /ACME-102 Purchase order approvals cannot be committed/);
            const states = await Promise.all(
                remotes.map(async (id) => (await list(prod, "sys_remote_update_set", `sys_id=${id}`))[0]!.state),
            );
            assert.deepEqual(states, ["committed", "previewed"]);
            assert.equal((await list(prod, "sys_script", "name=Approve large purchase orders")).length, 0);
        });

        it("recovers from a commit that fails half-way: the re-run converges and nothing is committed twice", async () => {
            await settle(prod, await post(prod, "/api/sn_cicd/plugin/com.snc.procurement/activate"));
            await settle(prod, await post(prod, `/api/sn_cicd/update_set/preview/${remotes[1]}`));
            injectCicdFault(emu.instances.get("prod")!.db, {
                kind: "commit",
                match: "ACME-102 Purchase order approvals",
                message: "Commit failed: transaction cancelled by the node",
                afterUpdates: 1,
            });
            const failed = await settle(prod, await post(prod, `/api/sn_cicd/update_set/commit/${remotes[1]}`));
            assert.equal(failed.json.result.status_label, "Failed");
            assert.equal(failed.json.result.status_message, "Commit failed: transaction cancelled by the node");
            assert.match(failed.json.result.status_detail, /1 of 2 updates/);
            assert.equal((await list(prod, "sys_script", "name=Approve large purchase orders")).length, 1);
            assert.equal(
                (await list(prod, "sys_ui_policy", "short_description=Vendor mandatory on purchase orders")).length,
                0,
            );
            const again = await settle(
                prod,
                await post(prod, `/api/sn_cicd/update_set/commitMultiple?remote_update_set_ids=${remotes.join(",")}`),
            );
            assert.equal(again.json.result.status_label, "Successful", again.text);
            assert.equal((await list(prod, "sys_script", "name=Approve large purchase orders")).length, 1);
            assert.equal(
                (await list(prod, "sys_ui_policy", "short_description=Vendor mandatory on purchase orders")).length,
                1,
            );
            assert.equal((await list(prod, "sys_update_set", "name=ACME-102 Purchase order approvals")).length, 1);
            const local = (await list(prod, "sys_update_set", "name=ACME-102 Purchase order approvals"))[0]!;
            assert.equal((await list(prod, "sys_update_xml", `update_set=${local.sys_id}`)).length, 2);
        });

        it("backs out a committed set: its records go, the update set record stays (ignored)", async () => {
            const local = (await list(prod, "sys_update_set", "name=ACME-102 Purchase order approvals"))[0]!;
            const done = await settle(
                prod,
                await post(prod, `/api/sn_cicd/update_set/back_out?update_set_id=${local.sys_id}`),
            );
            assert.equal(done.json.result.status_label, "Successful", done.text);
            assert.equal((await list(prod, "sys_script", "name=Approve large purchase orders")).length, 0);
            const after = (await list(prod, "sys_update_set", `sys_id=${local.sys_id}`))[0]!;
            assert.equal(after.state, "ignore");
            assert.equal((await list(prod, "sys_update_xml", `update_set=${local.sys_id}`)).length, 2);
        });
    });

    describe("application repository", () => {
        it("publishes an app from one instance and installs it on another", async () => {
            const pub = await settle(
                dev,
                await post(dev, "/api/sn_cicd/app_repo/publish?scope=x_acme_fleet&version=0.4.1"),
            );
            assert.equal(pub.json.result.status_label, "Successful", pub.text);
            const other = urlOf(emu, "prod");
            const inst = await settle(
                other,
                await post(other, "/api/sn_cicd/app_repo/install?scope=x_acme_fleet&version=0.4.1"),
            );
            assert.equal(inst.json.result.status_label, "Successful", inst.text);
            const app = (await list(other, "sys_app", "scope=x_acme_fleet"))[0]!;
            assert.equal(app.version, "0.4.1");
            assert.equal((await list(other, "sys_script_include", `sys_scope=${app.sys_id}`)).length, 1);
            // Remove it again so production stays without the app for the clone below.
            for (const r of await list(other, "sys_script_include", `sys_scope=${app.sys_id}`)) {
                await call(other, `/api/now/table/sys_script_include/${r.sys_id}`, { method: "DELETE" });
            }
            await call(other, `/api/now/table/sys_app/${app.sys_id}`, { method: "DELETE" });
        });

        it("answers an install of an unpublished version with 404", async () => {
            assert.equal(
                (await post(prod, "/api/sn_cicd/app_repo/install?scope=x_acme_fleet&version=9.9.9")).status,
                404,
            );
        });
    });

    describe("a clone over the dev instance", () => {
        it("removes the app production lacks with its files, and leaves dev with production's plugin activation", async () => {
            // Production activated Procurement above; roll that back so production lacks the plugin again.
            const rb = await settle(prod, await post(prod, "/api/sn_cicd/plugin/com.snc.procurement/rollback"));
            assert.equal(rb.json.result.status_label, "Successful", rb.text);
            assert.equal((await list(dev, "v_plugin", "id=com.snc.procurement"))[0]!.active, "active");
            assert.equal((await list(dev, "sys_app", "scope=x_acme_fleet")).length, 1);
            const devRef = (await list(prod, "instance", "instance_name=dev"))[0]!.sys_id;
            const req = await call(prod, "/api/now/table/sn_instance_clone_request", {
                method: "POST",
                body: { state: "Requested", target_instance: devRef },
            });
            let state = "";
            for (let i = 0; i < 500 && !["Completed", "Error"].includes(state); i++) {
                await new Promise((r) => setTimeout(r, 20));
                state = (await list(prod, "sn_instance_clone_request", `sys_id=${req.json.result.sys_id}`))[0]!.state!;
            }
            assert.equal(state, "Completed");
            assert.equal((await list(dev, "sys_app", "scope=x_acme_fleet")).length, 0);
            assert.equal((await list(dev, "sys_script_include", "name=FleetUtils")).length, 0);
            assert.equal((await list(dev, "v_plugin", "id=com.snc.procurement"))[0]!.active, "inactive");
            assert.equal((await list(dev, "sys_db_object", "name=proc_po")).length, 0);
            assert.equal((await list(dev, "sys_update_set", `sys_id=${setIds["Fleet Tracker 0.4"]}`)).length, 0);
            const log = await list(prod, "sn_instance_clone_log", `clone=${req.json.result.sys_id}`);
            assert.ok(log.some((l) => /Application x_acme_fleet is not on the source/.test(l.message!)));
        });
    });
});
