/**
 * Clone history read from the source through the provider's client: every clone into the target with its times,
 * duration, profile name, error and the warnings of its log.
 */
import * as assert from "node:assert/strict";
import { readCloneHistory } from "../../provider/clone/history";
import { clientFor } from "../../provider/connection";
import { type ClonePair, startClonePair, until } from "../fixtures/clone-support/emulator";

describe("clone history", function () {
    this.timeout(60_000);
    let pair: ClonePair;
    before(async () => {
        pair = await startClonePair(300);
    });
    after(async () => pair.stop());

    it("lists the clones into the target newest first, with duration, profile, error and cleanup-script warnings", async () => {
        const prod = pair.source.db;
        const devRef = prod.query("instance", "instance_name=dev")[0]!.sys_id;
        const profile = prod.query("clone_profile", "default_profile=true")[0]!;
        const script = prod.insert("clone_cleanup_script", {
            name: "Broken script",
            order: "1",
            script: "throw new Error('boom');",
        });
        prod.insert("clone_profile_cleanup_scripts", {
            profile: profile.sys_id,
            cleanup_script: script.sys_id,
            order: "1",
        });
        const ok = prod.insert("sn_instance_clone_request", {
            state: "Requested",
            target_instance: devRef,
            profile: profile.sys_id,
        });
        await until("the first clone", () => prod.get("sn_instance_clone_request", ok.sys_id)!.state === "Completed");
        // Times are stored to the second: start the next request in a later second, so "newest first" is defined.
        const firstCreated = prod.get("sn_instance_clone_request", ok.sys_id)!.sys_created_on;
        await until("a later second", () => new Date().toISOString().slice(0, 19).replace("T", " ") > firstCreated!);
        const failed = prod.insert("sn_instance_clone_request", {
            state: "Requested",
            target_instance: devRef,
            profile: "0".repeat(32),
        });
        await until("the second clone", () => prod.get("sn_instance_clone_request", failed.sys_id)!.state === "Error");

        const history = await readCloneHistory(await clientFor("source"), "dev");
        assert.deepEqual(
            history.map((h) => [h.cloneId, h.state]),
            [
                [failed.sys_id, "Error"],
                [ok.sys_id, "Completed"],
            ],
        );
        const [second, first] = history;
        assert.equal(first!.profile, profile.name);
        assert.match(first!.startedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
        assert.ok(first!.durationSeconds >= 0);
        assert.equal(String(first!.durationSeconds), prod.get("sn_instance_clone_request", ok.sys_id)!.duration);
        assert.ok(
            first!.warnings.some((w) => /^error: Cleanup script "Broken script" failed: Error: boom/.test(w)),
            first!.warnings.join("\n"),
        );
        assert.match(second!.errorMessage, /Clone profile 0{32} does not exist/);
    });

    it("fails naming the source when the target is not registered there", async () => {
        await assert.rejects(readCloneHistory(await clientFor("source"), "nowhere"), /"nowhere" is not registered/);
    });
});
