import * as assert from "node:assert/strict";
import { isWriteRequest, type RunningEmulator, startEmulator } from "../../emulator/index";
import { ServiceNowClient } from "../../provider/client/client";
import { runSuite } from "../../provider/verify/atf";
import { readCloneEpoch, runChecks } from "../../provider/verify/gather";

const HOSTS = ["api.payments.acme-corp.com", "dw.acme-corp.com", "sap-pi.acme-corp.com", "ebs.acme-corp.com"];

describe("post-clone verification against the emulator", function () {
    this.timeout(60_000);
    let emu: RunningEmulator;
    let client: ServiceNowClient;

    before(async () => {
        emu = await startEmulator({
            instances: [
                { name: "acme", seed: "production" },
                { name: "acme-qa", seed: "empty" },
            ],
            users: 60,
            jobs: 30,
            cloneDurationMs: 200,
            cicdStepMs: 10,
            textIndexer: { paused: true },
        });
        const prod = emu.instances.get("acme")!.db;
        const target = prod.query("instance", "instance_name=acme-qa")[0]!;
        // A profile without cleanup scripts: nothing disables email or regenerates text indexes.
        const profile = prod.insert("clone_profile", { name: "Bare" });
        const req = prod.insert("sn_instance_clone_request", {
            state: "Requested",
            target_instance: target.sys_id,
            profile: profile.sys_id,
        });
        for (let i = 0; i < 400 && prod.get("sn_instance_clone_request", req.sys_id!)!.state !== "Completed"; i++) {
            await new Promise((r) => setTimeout(r, 15));
        }
        client = new ServiceNowClient({
            url: emu.instances.get("acme-qa")!.url,
            credentials: { kind: "basic", username: "admin", password: "admin" },
            instanceName: "acme-qa",
        });
    });
    after(() => emu?.stop());

    it("keys on the clone and fails email, endpoints, text indexes and job guards right after it, writing nothing", async () => {
        const seq = emu.stats.lastSeq;
        const epoch = await readCloneEpoch(client);
        assert.match(epoch?.cloneId ?? "", /^[0-9a-f]{32}$/);
        const checks = await runChecks(
            client,
            { productionHosts: HOSTS, access: { allowRoles: ["admin"] }, jobs: { allowQuery: "nameSTARTSWITHSLA" } },
            epoch,
        );
        const failed = Object.fromEntries(checks.filter((c) => !c.passed).map((c) => [c.id, c.message]));
        assert.deepEqual(Object.keys(failed).sort(), [
            "email-cannot-reach-users",
            "lockout-holds",
            "no-production-endpoints",
            "scheduled-jobs-guarded",
            "text-indexes-rebuilt",
        ]);
        assert.match(
            failed["no-production-endpoints"]!,
            /sys_rest_message ".*" → https:\/\/api\.payments\.acme-corp\.com/,
        );
        assert.match(failed["text-indexes-rebuilt"]!, /incident \(stale, last indexed 2025-11-01 02:00:00\)/);
        const midCheck = checks.find((c) => c.id === "mid-servers-up")!;
        assert.equal(midCheck.passed, true, "the target keeps its own MID servers");
        const writes = emu.stats.requests("acme-qa", seq).filter(isWriteRequest);
        assert.deepEqual(writes, [], "checks only read");
    });

    it("passes the text-index check once the indexes are rebuilt after the clone", async () => {
        const db = emu.instances.get("acme-qa")!.db;
        db.insert("sysevent", { name: "textindex.all", queue: "text_index" });
        emu.textIndexer.resume();
        for (let i = 0; i < 400 && db.query("ts_index_name", "state!=indexed").length > 0; i++) {
            await new Promise((r) => setTimeout(r, 15));
        }
        const checks = await runChecks(client, { productionHosts: HOSTS }, await readCloneEpoch(client));
        assert.equal(checks.find((c) => c.id === "text-indexes-rebuilt")?.passed, true);
    });

    it("reports a suite refused while test execution is disabled, then its failing test once enabled", async () => {
        const refused = await runSuite(client, { name: "Post-clone safety" }, { pollMs: 10 });
        assert.equal(refused.passed, false);
        assert.equal(refused.status, "refused");
        assert.match(refused.message, /sn_atf\.runner\.enabled' to true/);

        emu.instances.get("acme-qa")!.db.setProperty("sn_atf.runner.enabled", "true");
        const failing = await runSuite(client, { name: "Post-clone safety" }, { pollMs: 10 });
        assert.equal(failing.passed, false);
        assert.deepEqual(failing.counts, { success: 0, failure: 1, error: 0, skip: 0 });
        assert.deepEqual(
            failing.tests.map((t) => [t.name, t.status]),
            [["Email cannot reach real users", "failure"]],
        );
        const tolerated = await runSuite(client, { name: "Post-clone safety", allowedFailures: 1 }, { pollMs: 10 });
        assert.equal(tolerated.passed, true);
    });
});
