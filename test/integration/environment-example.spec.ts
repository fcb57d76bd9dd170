import * as assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { packageRoot } from "../../sdk/toolchain";
import { type EnvFixture, startEnvFixture } from "../fixtures/env-support";
import { withTempStack } from "../support/pulumi";
import { snapshotDiff, wholeInstance } from "../support/snapshot";

// A password nothing else in the stack or the instance's data contains, so searching for it means something (the
// user name is admin, so searching for "admin" would not).
const PASSWORD = `Env-Example-${randomBytes(9).toString("hex")}`;

describe("the whole-environment example", function () {
    this.timeout(600_000);
    let f: EnvFixture;

    before(async () => {
        const compiled = path.join(packageRoot, "dist", "examples", "environment.js");
        assert.ok(fs.existsSync(compiled), `${compiled} is missing: run \`npm run build\` first`);
        f = await startEnvFixture({ adminPassword: PASSWORD });
    });
    after(async () => f?.stop());

    it("converges the emulator's QA instance, re-applies with no changes and destroys back to the start", async () => {
        const before = wholeInstance(f.qa.db);
        await withTempStack(
            "env-example",
            {
                "servicenow:instanceUrl": { value: f.qa.url },
                "servicenow:username": { value: "admin" },
                "servicenow:password": { value: PASSWORD, secret: true },
                "servicenow:instanceName": { value: "acme-qa" },
                "servicenow:productionInstances": { value: "acme" },
            },
            async ({ stack, files }) => {
                const output: string[] = [];
                const up = await stack.up({ onOutput: (s) => output.push(s) });
                assert.equal(
                    up.summary.resourceChanges?.create,
                    10,
                    "the stack, the explicit provider, eight resources",
                );
                // The example passes the explicit provider, so state holds no connection setting at all.
                const state = JSON.stringify((await stack.exportStack()).deployment);
                for (const leak of [f.qa.url, "servicenow:password", "servicenow:instanceUrl", "ciphertext"]) {
                    assert.ok(!state.includes(leak), `state holds ${leak}`);
                }
                assert.ok((up.outputs.lockedUsers?.value as number) > 0);
                assert.equal(f.qa.db.getProperty("glide.product.description"), "ACME QA (non-production)");
                assert.equal(f.qa.db.getProperty("glide.email.test.user"), "qa-inbox@acme-test.com");
                assert.equal(f.qa.db.count("ldap_server_config", "active=true"), 0);
                assert.equal(f.qa.db.getProperty("glide.ui.session_timeout"), "240");

                await stack.up({ expectNoChanges: true, onOutput: (s) => output.push(s) });
                await stack.destroy({ onOutput: (s) => output.push(s) });
                const leaks = [...files()].filter(([, text]) => text.includes(PASSWORD)).map(([file]) => file);
                assert.deepEqual(leaks, [], "the password is in no backend, home or stack file");
                assert.ok(!output.join("").includes(PASSWORD), "nor in the CLI's output");
                // Every table of the instance, field by field (the ECC queue too: clearing marks it processed so
                // destroy can put it back).
                assert.deepEqual(snapshotDiff(before, wholeInstance(f.qa.db)), []);
            },
            // The program's `main` lies outside the fixture project, so the provider is told where the project is.
            { PULUMI_SERVICENOW_PROJECT_DIR: path.join(packageRoot, "test", "fixtures", "env-example") },
        );
    });
});
