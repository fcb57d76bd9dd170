import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { ConfigMap } from "@pulumi/pulumi/automation";
import { isWriteRequest, type RunningEmulator, startEmulator } from "../../emulator/index";
import { packageRoot } from "../../sdk/toolchain";
import { until } from "../fixtures/clone-support/emulator";
import { withTempStack } from "../support/pulumi";
import { dbSnapshot, snapshotDiff } from "../support/snapshot";

/** The source's clone configuration: what the clone-source stack adopts, creates and must put back on destroy. */
const CLONE_CONFIG_TABLES = [
    "clone_data_preserver",
    "clone_data_exclude",
    "clone_cleanup_script",
    "clone_profile",
    "clone_profile_exclusions",
    "clone_profile_preservers",
    "clone_profile_cleanup_scripts",
];

// A password nothing else in the stacks contains, so "state holds no password" is a meaningful search.
const PASSWORD = "Clone-Integration-Pa55word!";

describe("CloneRun and the clone's configuration through the Pulumi CLI", function () {
    this.timeout(900_000);
    let emu: RunningEmulator;

    before(async () => {
        for (const fixture of ["clone-source", "clone-env"]) {
            const compiled = path.join(packageRoot, "dist", "test", "fixtures", fixture, "index.js");
            assert.ok(fs.existsSync(compiled), `${compiled} is missing: run \`npm run build\` (npm test does) first`);
        }
        emu = await startEmulator({
            instances: [
                { name: "prod", port: 0, seed: "production" },
                { name: "dev", port: 0, seed: "empty" },
            ],
            users: 60,
            jobs: 20,
            adminPassword: PASSWORD,
            cloneDurationMs: 1500,
        });
    });
    after(async () => emu?.stop());

    it("configures the clone on the source, clones, applies the policy, and re-asserts it after the next clone", async () => {
        const prod = emu.instances.get("prod")!.db;
        const dev = emu.instances.get("dev")!.db;
        const prop = (name: string) => dev.query("sys_properties", `name=${name}`)[0]?.value;
        /** Active users who can still sign in on the target, by user name. */
        const unlockedNames = () =>
            dev
                .query("sys_user", "active=true^locked_out=false")
                .map((u) => u.user_name!)
                .sort();
        /** Active users holding admin (the clone-env fixture's allowRoles, directly or through a group) on the target. */
        const allowedNames = () => {
            const roles = new Set(dev.query("sys_user_role", "name=admin").map((r) => r.sys_id!));
            const holders = new Set(
                dev
                    .query("sys_user_has_role")
                    .filter((g) => roles.has(g.role!))
                    .map((g) => g.user!),
            );
            return dev
                .query("sys_user", "active=true")
                .filter((u) => holders.has(u.sys_id!) || u.user_name === "admin")
                .map((u) => u.user_name!)
                .sort();
        };
        const counts = () => ({
            unlockedUsers: dev.query("sys_user", "active=true^locked_out=false").length,
            activeJobs: dev.query("sysauto", "active=true").length,
            smtp: prop("glide.email.smtp.active"),
        });
        const source: ConfigMap = {
            "servicenow:sourceInstanceUrl": { value: emu.instances.get("prod")!.url },
            "servicenow:sourceUsername": { value: "admin" },
            "servicenow:sourcePassword": { value: PASSWORD, secret: true },
            "servicenow:sourceInstanceName": { value: "prod" },
            "servicenow:productionInstances": { value: "prod" },
        };
        const target: ConfigMap = {
            "servicenow:instanceUrl": { value: emu.instances.get("dev")!.url },
            "servicenow:username": { value: "admin" },
            "servicenow:password": { value: PASSWORD, secret: true },
            "servicenow:instanceName": { value: "dev" },
        };
        const cloneConfigBefore = dbSnapshot(prod, CLONE_CONFIG_TABLES);
        dev.setProperty("acme.env.marker", "dev environment");
        prod.insert("incident", { number: "INC0010001", short_description: "production ticket" });

        await withTempStack("clone-source", source, async ({ stack: sourceStack, readState: sourceState }) => {
            const sourceUp = await sourceStack.up();
            assert.equal(sourceUp.summary.result, "succeeded");
            const profileId = sourceUp.outputs.profileId.value as string;
            assert.match(profileId, /^[0-9a-f]{32}$/);
            assert.equal(prod.get("clone_profile", profileId)!.name, "Environment refresh");
            await sourceStack.up({ expectNoChanges: true });

            await withTempStack(
                "clone-env",
                { ...source, ...target, "cloneenv:profile": { value: profileId } },
                async ({ stack, readState }) => {
                    // The clone, then the policy on the freshly cloned target.
                    const progress: string[] = [];
                    const up = await stack.up({ onOutput: (s) => progress.push(s) });
                    assert.equal(up.summary.result, "succeeded");
                    assert.equal(up.outputs.state.value, "Completed");
                    const firstEpoch = up.outputs.epoch.value as string;
                    assert.match(firstEpoch, new RegExp(`^${up.outputs.cloneId.value}@`));
                    assert.match(
                        progress.join(""),
                        /CloneRun: clone \w+ into dev: Active, Copy data/,
                        "progress shows",
                    );

                    assert.equal(prop("acme.env.marker"), "dev environment", "the preserver kept the target's row");
                    assert.equal(dev.query("incident").length, 0, "the exclusion left the table empty");
                    assert.equal(prop("acme.cleanup.ran"), "yes", "the cleanup script ran on the target");
                    assert.equal(prop("instance_name"), "dev", "Core Instance Properties kept the target's identity");
                    // Admins stay unlocked; every other user is locked out.
                    const applied = counts();
                    assert.deepEqual(
                        { activeJobs: applied.activeJobs, smtp: applied.smtp },
                        { activeJobs: 0, smtp: "false" },
                        "every job off, sending off",
                    );
                    assert.deepEqual(
                        unlockedNames(),
                        allowedNames(),
                        "exactly the users holding an allowed role (and the connection's own) can sign in",
                    );

                    await stack.up({ expectNoChanges: true });

                    // Someone clones again in the Clone Admin Console: production's values are back on the target.
                    const devRef = prod.query("instance", "instance_name=dev")[0]!.sys_id!;
                    const again = prod.insert("sn_instance_clone_request", {
                        state: "Requested",
                        target_instance: devRef,
                        profile: profileId,
                    });
                    await until(
                        "the second clone",
                        () => prod.get("sn_instance_clone_request", again.sys_id!)!.state === "Completed",
                        120_000,
                    );
                    const drifted = counts();
                    assert.ok(
                        drifted.unlockedUsers > 1 && drifted.activeJobs > 0 && drifted.smtp === "true",
                        "the clone undid the policy",
                    );

                    // Without refresh, CloneRun's diff asks the instance: everything keyed on the epoch must re-assert.
                    const beforePreviews = emu.stats.lastSeq;
                    const plain = await stack.preview();
                    assert.equal(plain.changeSummary.update, 4, JSON.stringify(plain.changeSummary));

                    // With refresh, the preview says why, in plain words, next to the epoch's own change.
                    const refreshed = await stack.preview({ refresh: true, diff: true });
                    assert.match(refreshed.stdout, /instance dev was cloned again at .* since the last apply/);
                    assert.match(refreshed.stdout, new RegExp(`epoch\\s*:\\s*"${firstEpoch}"\\s*=>`));
                    assert.equal(refreshed.changeSummary.update, 4, JSON.stringify(refreshed.changeSummary));
                    assert.deepEqual(counts(), drifted, "preview changed nothing");
                    assert.deepEqual(
                        emu.stats
                            .requests(undefined, beforePreviews)
                            .filter(isWriteRequest)
                            .map((e) => `${e.instance} ${e.method} ${e.path}`),
                        [],
                        "the request log shows no write by either preview",
                    );

                    const repair = await stack.up();
                    assert.equal(repair.summary.result, "succeeded");
                    assert.notEqual(repair.outputs.epoch.value, firstEpoch);
                    assert.match(repair.outputs.epoch.value as string, new RegExp(`^${again.sys_id}@`));
                    assert.equal(repair.outputs.reclonedSinceApply.value, "");
                    assert.equal(repair.outputs.cloneId.value, up.outputs.cloneId.value, "no new clone was requested");
                    assert.deepEqual(counts(), applied, "policy re-asserted");
                    assert.deepEqual(
                        unlockedNames(),
                        allowedNames(),
                        "the same users can sign in as after the first up",
                    );
                    await stack.up({ expectNoChanges: true, refresh: true });

                    for (const state of [readState(), sourceState()]) {
                        assert.ok(!state.includes(PASSWORD), "no password in any state");
                    }
                    const destroy = await stack.destroy();
                    assert.equal(destroy.summary.result, "succeeded");
                },
            );

            const destroy = await sourceStack.destroy();
            assert.equal(destroy.summary.result, "succeeded");
            assert.deepEqual(
                snapshotDiff(cloneConfigBefore, dbSnapshot(prod, CLONE_CONFIG_TABLES)),
                [],
                "destroy put the clone configuration back field by field: what it created is gone, what it adopted restored",
            );
        });
    });
});
