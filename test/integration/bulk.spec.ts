import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { startEmulator } from "../../emulator/index";
import { ServiceNowClient } from "../../provider/client/client";
import { packageRoot } from "../../sdk/toolchain";
import { snapshot, snapshotDiff } from "../fixtures/bulk/support";
import { withTempStack } from "../support/pulumi";

// A password nothing else in the stack contains, so "state holds no password" is a meaningful search.
const PASSWORD = "Bulk-Integration-Pa55word!";

describe("UserLockout and ScheduledJobState through the Pulumi CLI", function () {
    this.timeout(600_000);
    let emu: Awaited<ReturnType<typeof startEmulator>>;
    let dev: ServiceNowClient;

    before(async () => {
        const compiled = path.join(packageRoot, "dist", "test", "fixtures", "bulk", "index.js");
        assert.ok(fs.existsSync(compiled), `${compiled} is missing: run \`npm run build\` (npm test does) first`);
        emu = await startEmulator({
            instances: [
                { name: "acme-uat", port: 0, seed: "production" },
                { name: "acme", port: 0, seed: "production" },
            ],
            users: 400,
            jobs: 80,
            adminPassword: PASSWORD,
            randomSeed: 11,
        });
        dev = new ServiceNowClient({
            url: emu.instances.get("acme-uat")!.url,
            credentials: { kind: "basic", username: "admin", password: PASSWORD },
            instanceName: "acme-uat",
        });
    });
    after(async () => emu?.stop());

    it("converges, stays unchanged, reports and repairs drift, and destroy puts every user and job back", async () => {
        const usersBefore = await snapshot(dev, "sys_user");
        const jobsBefore = await snapshot(dev, "sysauto");
        const keptJob = [...jobsBefore.values()].find((j) => j.active === "true")!;

        await withTempStack(
            "bulk",
            {
                "servicenow:instanceUrl": { value: emu.instances.get("acme-uat")!.url },
                "servicenow:username": { value: "admin" },
                "servicenow:password": { value: PASSWORD, secret: true },
                "servicenow:instanceName": { value: "acme-uat" },
                "servicenow:productionInstances": { value: JSON.stringify(["acme"]) },
                "bulk:allowJobs": { value: JSON.stringify([keptJob.name]) },
            },
            async ({ stack, readState }) => {
                const up = await stack.up();
                assert.equal(up.summary.result, "succeeded");
                assert.ok((up.outputs.lockedCount.value as number) > 100);
                assert.ok((up.outputs.deactivatedCount.value as number) > 10);
                assert.equal(up.outputs.unlockedCount.value, 0);
                assert.equal(await dev.count("sysauto", "active=true"), 1, "only the allow-listed job is active");

                // Re-applying with nothing changed must be a no-op.
                await stack.up({ expectNoChanges: true });

                // Drift behind Pulumi's back, straight to the instance: 3 users unlocked, 2 jobs re-activated.
                const locked = await dev.query("sys_user", {
                    query: "active=true^locked_out=true^user_nameSTARTSWITHa",
                    fields: ["sys_id"],
                    limit: 3,
                });
                const lockedBefore = new Set(
                    [...usersBefore.values()].filter((u) => u.locked_out === "true").map((u) => u.sys_id),
                );
                const drifted = locked.filter((u) => !lockedBefore.has(u.sys_id));
                assert.equal(drifted.length, 3);
                for (const u of drifted) await dev.update("sys_user", u.sys_id!, { locked_out: "false" });
                const inactive = await dev.query("sysauto", {
                    query: "active=false^sys_class_name=sysauto_script",
                    fields: ["sys_id", "sys_class_name"],
                    limit: 200,
                });
                const reactivated = inactive.filter((j) => jobsBefore.get(j.sys_id!)?.active === "true").slice(0, 2);
                for (const j of reactivated) await dev.update("sysauto_script", j.sys_id!, { active: "true" });

                const preview = await stack.preview({ refresh: true, diff: true });
                assert.equal(preview.changeSummary.update, 2, "both resources drifted");
                // The refresh names each drifted output with its state and live values, on a line of its own.
                assert.match(preview.stdout, /^\s*~ unlockedCount\s*: 0 => 3$/m);
                assert.match(preview.stdout, /^\s*~ activeCount\s*: 0 => 2$/m);
                for (const u of drifted) {
                    assert.equal(
                        (await dev.getRecord("sys_user", u.sys_id!, ["locked_out"])).locked_out,
                        "false",
                        "preview wrote nothing",
                    );
                }

                const repair = await stack.up({ refresh: true });
                assert.equal(repair.summary.resourceChanges?.update, 2);
                for (const u of drifted)
                    assert.equal((await dev.getRecord("sys_user", u.sys_id!, ["locked_out"])).locked_out, "true");
                for (const j of reactivated)
                    assert.equal((await dev.getRecord("sysauto", j.sys_id!, ["active"])).active, "false");
                await stack.up({ expectNoChanges: true, refresh: true });

                const state = readState();
                assert.ok(!state.includes(PASSWORD), "the state file contains no password");
                // The whole backend (history and backups included) is searched for the password; the size limit is
                // about the stack's current state.
                const current = JSON.stringify((await stack.exportStack()).deployment);
                assert.ok(current.length < 256 * 1024, `state is ${current.length} bytes`);

                const destroy = await stack.destroy();
                assert.equal(destroy.summary.result, "succeeded");
                assert.deepEqual(snapshotDiff(usersBefore, await snapshot(dev, "sys_user")), [], "users as before");
                assert.deepEqual(snapshotDiff(jobsBefore, await snapshot(dev, "sysauto")), [], "jobs as before");
            },
        );
    });
});
