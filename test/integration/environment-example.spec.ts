import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { packageRoot } from "../../sdk/toolchain";
import { type EnvFixture, startEnvFixture } from "../fixtures/env-support";
import { withTempStack } from "../support/pulumi";

describe("the whole-environment example", function () {
    this.timeout(600_000);
    let f: EnvFixture;

    before(async () => {
        const compiled = path.join(packageRoot, "dist", "examples", "environment.js");
        assert.ok(fs.existsSync(compiled), `${compiled} is missing: run \`npm run build\` first`);
        f = await startEnvFixture();
    });
    after(async () => f?.stop());

    it("converges the emulator's QA instance, re-applies with no changes and destroys back to the start", async () => {
        const before = {
            banner: f.qa.db.getProperty("glide.product.description"),
            ldap: f.qa.db.count("ldap_server_config", "active=true"),
            canSignIn: f.qa.db.count("sys_user", "active=true^locked_out!=true"),
        };
        await withTempStack(
            "env-example",
            {
                "servicenow:instanceUrl": { value: f.qa.url },
                "servicenow:username": { value: "admin" },
                "servicenow:password": { value: "admin", secret: true },
                "servicenow:instanceName": { value: "acme-qa" },
                "servicenow:productionInstances": { value: "acme" },
            },
            async ({ stack, readState }) => {
                const up = await stack.up();
                assert.equal(up.summary.resourceChanges?.create, 9, "the stack and eight resources");
                assert.ok((up.outputs.lockedUsers?.value as number) > 0);
                assert.equal(f.qa.db.getProperty("glide.product.description"), "ACME QA (non-production)");
                assert.equal(f.qa.db.getProperty("glide.email.test.user"), "qa-inbox@acme-test.com");
                assert.equal(f.qa.db.count("ldap_server_config", "active=true"), 0);
                assert.equal(f.qa.db.getProperty("glide.ui.session_timeout"), "240");
                assert.doesNotMatch(readState(), /"admin"\s*,\s*"admin"|password":\s*"admin"/, "no password in state");

                await stack.up({ expectNoChanges: true });
                await stack.destroy();
                assert.deepEqual(
                    {
                        banner: f.qa.db.getProperty("glide.product.description"),
                        ldap: f.qa.db.count("ldap_server_config", "active=true"),
                        canSignIn: f.qa.db.count("sys_user", "active=true^locked_out!=true"),
                    },
                    before,
                );
            },
        );
    });
});
