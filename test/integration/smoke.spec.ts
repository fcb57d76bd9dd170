import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { bootstrappedToolchain, packageRoot, resolvePulumiCommand } from "../../sdk/toolchain";
import { stacksInBackend, withTempStack } from "../support/pulumi";

describe("the offline Pulumi toolchain", function () {
    this.timeout(300_000);
    let dir: string;

    before(async () => {
        const compiled = path.join(packageRoot, "dist", "test", "fixtures", "smoke", "index.js");
        assert.ok(fs.existsSync(compiled), `${compiled} is missing: run \`npm run build\` (npm test does) first`);
        const cmd = await resolvePulumiCommand();
        const toolchain = bootstrappedToolchain();
        // Printed on purpose: CI logs must show which CLI the tests ran against.
        console.log(`      Pulumi CLI ${cmd.version?.toString()} (${toolchain?.source ?? "pulumi on PATH"})`);
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "pssc-smoke-files-"));
    });

    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("uses a CLI at exactly the SDK's version", async () => {
        const sdk = JSON.parse(
            fs.readFileSync(path.join(packageRoot, "node_modules", "@pulumi", "pulumi", "package.json"), "utf8"),
        );
        const cmd = await resolvePulumiCommand();
        assert.equal(cmd.version?.toString(), sdk.version);
    });

    it("runs a dynamic resource through up, a no-change up, preview, refresh and destroy", async () => {
        const file = path.join(dir, "note.txt");
        await withTempStack(
            "smoke",
            {
                "smoke:path": { value: file },
                "smoke:text": { value: "hello" },
                "smoke:signature": { value: " (signed)" },
            },
            async ({ stack, stateDir }) => {
                const up = await stack.up();
                assert.equal(up.outputs.content.value, "hello (signed)", "configure() saw the stack config");
                assert.equal(fs.readFileSync(file, "utf8"), "hello (signed)");
                assert.equal(up.summary.resourceChanges?.create, 2, "the stack and the note were created");

                // A second up with nothing changed must be a no-op (expectNoChanges makes the CLI fail otherwise).
                await stack.up({ expectNoChanges: true });

                await stack.setConfig("smoke:text", { value: "hello again" });
                const preview = await stack.preview();
                assert.equal(preview.changeSummary.update, 1);
                assert.equal(fs.readFileSync(file, "utf8"), "hello (signed)", "preview writes nothing");
                await stack.up();
                assert.equal(fs.readFileSync(file, "utf8"), "hello again (signed)");

                // Drift: the file disappears behind Pulumi's back; refresh notices, up puts it back.
                fs.rmSync(file);
                const refresh = await stack.refresh();
                assert.equal(refresh.summary.resourceChanges?.delete, 1);
                await stack.up();
                assert.equal(fs.readFileSync(file, "utf8"), "hello again (signed)");

                // A new clone epoch alone makes up re-assert, even where the provider's own diff sees nothing.
                await stack.setConfig("smoke:epoch", { value: "clone-1" });
                await stack.up();
                fs.writeFileSync(file, "tampered");
                assert.equal((await stack.preview()).changeSummary.update, undefined, "same epoch: nothing to do");
                await stack.setConfig("smoke:epoch", { value: "clone-2" });
                assert.equal((await stack.preview()).changeSummary.update, 1, "new epoch: re-assert");
                await stack.up();
                assert.equal(fs.readFileSync(file, "utf8"), "hello again (signed)");

                const destroy = await stack.destroy();
                assert.equal(destroy.summary.resourceChanges?.delete, 2);
                assert.equal(fs.existsSync(file), false, "destroy removed the file");

                await stack.workspace.removeStack(stack.name);
                assert.deepEqual(stacksInBackend(stateDir), [], "the backend holds no leftover stack");
            },
        );
    });
});
