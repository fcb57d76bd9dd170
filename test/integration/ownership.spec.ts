import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { isWriteRequest, startEmulator } from "../../emulator/index";
import { packageRoot } from "../../sdk/toolchain";
import { withTempStack } from "../support/pulumi";
import { snapshotDiff, wholeInstance } from "../support/snapshot";

const PASSWORD = "Ownership-Pa55word!";

describe("two stacks whose bulk scopes overlap on one instance", function () {
    this.timeout(900_000);
    let emu: Awaited<ReturnType<typeof startEmulator>>;

    before(async () => {
        assert.ok(
            fs.existsSync(path.join(packageRoot, "dist", "test", "fixtures", "bulk", "index.js")),
            "run tsc -b first",
        );
        emu = await startEmulator({
            instances: [{ name: "acme-uat", port: 0, seed: "production" }],
            users: 200,
            jobs: 40,
            adminPassword: PASSWORD,
            randomSeed: 5,
        });
    });
    after(async () => emu?.stop());

    it("the second's preview names the first and writes nothing; opted in, destroying one shows as drift in the other", async () => {
        const target = emu.instances.get("acme-uat")!;
        const before = wholeInstance(target.db);
        const config = {
            "servicenow:instanceUrl": { value: target.url },
            "servicenow:username": { value: "admin" },
            "servicenow:password": { value: PASSWORD, secret: true },
            "servicenow:instanceName": { value: "acme-uat" },
        };
        const writesSince = (seq: number) =>
            emu.stats
                .requests("acme-uat", seq)
                .filter(isWriteRequest)
                .map((e) => `${e.method} ${e.path}`);

        await withTempStack("bulk", config, async (first) => {
            await first.stack.up();
            await withTempStack("bulk", config, async (second) => {
                const mark = emu.stats.lastSeq;
                await assert.rejects(second.stack.preview(), (err: Error) => {
                    assert.match(err.message, new RegExp(`stack "bulk/${first.stack.name}"`));
                    assert.match(err.message, /allowOverlap/);
                    return true;
                });
                assert.deepEqual(writesSince(mark), [], "a refused preview writes nothing");

                await second.stack.setConfig("bulk:allowOverlap", { value: "true" });
                await second.stack.up();
                // The first stack's destroy unlocks the users both policies cover: the second sees it as drift.
                await first.stack.destroy();
                const drift = await second.stack.preview({ refresh: true, diff: true });
                assert.match(drift.stdout, /unlockedCount\s*:\s*0 => [1-9]/);
                await second.stack.up({ refresh: true });
                await second.stack.destroy();
            });
        });
        assert.deepEqual(snapshotDiff(before, wholeInstance(target.db)), []);
    });
});
