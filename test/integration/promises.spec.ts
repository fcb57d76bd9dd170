/**
 * Promises the design makes to a user of the Pulumi CLI, proved through the real CLI (Automation API on a temporary
 * file backend) rather than by calling a provider: a bad input fails at `preview` and writes nothing, credentials from
 * `SERVICENOW_*` environment variables and an OAuth client secret reach neither the backend nor any output, and the
 * production fence refuses a declared production target and any source write outside the clone configuration.
 *
 * Each test starts from the same emulator and judges only what happened after its own request-log mark, so the tests
 * run alone (`--grep`) or in any order.
 */
import * as assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { ConfigMap } from "@pulumi/pulumi/automation";
import { isWriteRequest, type RunningEmulator, type RunningInstance, startEmulator } from "../../emulator/index";
import { packageRoot } from "../../sdk/toolchain";
import { withTempStack } from "../support/pulumi";

/** A value that exists nowhere but where the test puts it: finding it anywhere else is a leak. */
const unique = (label: string) => `${label}-${randomBytes(12).toString("hex")}`;

const TARGET_PASSWORD = unique("TargetPw");
const SOURCE_PASSWORD = unique("SourcePw");
const CLIENT_SECRET = unique("OauthSecret");
const CLIENT_ID = `promises-${randomBytes(4).toString("hex")}`;

/** The forms a leaked credential could take: as is, and inside a Basic Authorization header. */
const leakForms = (user: string, secret: string) => [secret, Buffer.from(`${user}:${secret}`).toString("base64")];

/** Text of a failed Automation API call (CommandError carries the CLI's stdout and stderr in its message). */
async function failure(p: Promise<unknown>): Promise<string> {
    try {
        await p;
    } catch (err) {
        return String((err as Error).message ?? err);
    }
    assert.fail("the operation succeeded; it had to fail");
}

describe("promises through the Pulumi CLI", function () {
    this.timeout(600_000);
    let emu: RunningEmulator;
    let prod: RunningInstance;
    let qa: RunningInstance;

    /** Writes (anything but GET/HEAD; an OAuth token request is no write) an instance received after `mark`. */
    const writesSince = (instance: string, mark: number) =>
        emu.stats
            .requests(instance, mark)
            .filter(isWriteRequest)
            .map((e) => `${e.method} ${e.path}`);

    /** The target connection by Basic auth, plus the source and the production list; passwords as secrets. */
    const basicConfig = (overrides: ConfigMap = {}): ConfigMap => ({
        "servicenow:instanceUrl": { value: qa.url },
        "servicenow:username": { value: "admin" },
        "servicenow:password": { value: TARGET_PASSWORD, secret: true },
        "servicenow:instanceName": { value: "acme-qa" },
        "servicenow:productionInstances": { value: "acme" },
        "servicenow:sourceInstanceUrl": { value: prod.url },
        "servicenow:sourceUsername": { value: "admin" },
        "servicenow:sourcePassword": { value: SOURCE_PASSWORD, secret: true },
        "servicenow:sourceInstanceName": { value: "acme" },
        ...overrides,
    });

    before(async () => {
        const compiled = path.join(packageRoot, "dist", "test", "fixtures", "promises", "index.js");
        assert.ok(fs.existsSync(compiled), `${compiled} is missing: run \`npm run build\` (npm test does) first`);
        emu = await startEmulator({
            instances: [
                { name: "acme", seed: "production" },
                { name: "acme-qa", seed: "production" },
            ],
            users: 40,
            jobs: 10,
            adminPassword: TARGET_PASSWORD,
        });
        prod = emu.instances.get("acme")!;
        qa = emu.instances.get("acme-qa")!;
        // A production-seeded target must say it is not production, as after a clone that preserved its identity.
        qa.db.setProperty("glide.installation.production", "false");
        // Each credential its own unique value: the source's admin password, and an OAuth client on the target.
        const sourceAdmin = prod.db.query("sys_user", "user_name=admin")[0]!;
        prod.db.update("sys_user", sourceAdmin.sys_id!, { user_password: SOURCE_PASSWORD });
        const targetAdmin = qa.db.query("sys_user", "user_name=admin")[0]!;
        qa.db.insert("oauth_entity", {
            name: "Promises test client",
            client_id: CLIENT_ID,
            client_secret: CLIENT_SECRET,
            application_user: targetAdmin.sys_id!,
        });
    });
    after(async () => emu?.stop());

    it("fails preview with a check failure naming the property, the value and the fix, and writes nothing", async () => {
        const mark = emu.stats.lastSeq;
        await withTempStack(
            "promises",
            {
                ...basicConfig(),
                "promises:case": { value: "check" },
                "promises:allowUsers": { value: JSON.stringify(["admin", "nobody.here"]) },
            },
            async ({ stack }) => {
                const lockout = await failure(stack.preview({ diff: true }));
                assert.match(
                    lockout,
                    /UserLockout resource 'access': property allowUsers value .* has a problem: user "nobody\.here" in allowUsers does not exist on http:\/\/127\.0\.0\.1:\d+; remove it or create the user first/,
                );
                assert.ok(emu.stats.requests("acme-qa", mark).length > 0, "check looked the user up on the instance");

                // The engine stops at the first check failure, so the second bad input gets its own preview.
                await stack.removeConfig("promises:allowUsers");
                await stack.setConfig("promises:baseColor", { value: "purple" });
                const branding = await failure(stack.preview({ diff: true }));
                assert.match(
                    branding,
                    /InstanceBranding resource 'branding': property baseColor value \{purple\} has a problem: baseColor must be a CSS hex colour such as "#[0-9a-f]{6}"/,
                );
                for (const text of [lockout, branding]) assert.ok(!text.includes(TARGET_PASSWORD), "no password");
            },
        );
        assert.deepEqual(writesSince("acme-qa", mark), [], "no write reached the target");
        assert.deepEqual(writesSince("acme", mark), [], "no write reached the source");
    });

    it("keeps SERVICENOW_* environment credentials and an OAuth client secret out of every backend file and all output", async () => {
        const mark = emu.stats.lastSeq;
        const output: string[] = [];
        const collect = (s: string) => output.push(s);
        // No password in stack config at all: both come from the environment, as a pipeline passes them. The target
        // authenticates with OAuth (password grant), its client secret a stack secret.
        const config: ConfigMap = {
            "servicenow:instanceUrl": { value: qa.url },
            "servicenow:username": { value: "admin" },
            "servicenow:clientId": { value: CLIENT_ID },
            "servicenow:clientSecret": { value: CLIENT_SECRET, secret: true },
            "servicenow:instanceName": { value: "acme-qa" },
            "servicenow:productionInstances": { value: "acme" },
            "servicenow:sourceInstanceUrl": { value: prod.url },
            "servicenow:sourceUsername": { value: "admin" },
            "servicenow:sourceInstanceName": { value: "acme" },
            "promises:case": { value: "credentials" },
        };
        const env = { SERVICENOW_PASSWORD: TARGET_PASSWORD, SERVICENOW_SOURCE_PASSWORD: SOURCE_PASSWORD };
        await withTempStack(
            "promises",
            config,
            async ({ stack, files }) => {
                for (const r of [
                    await stack.up({ onOutput: collect }),
                    await stack.preview({ refresh: true, diff: true, onOutput: collect }),
                    await stack.up({ refresh: true, expectNoChanges: true, onOutput: collect }),
                ]) {
                    output.push(r.stdout, r.stderr);
                }
                // (Not stack.exportStack() or outputs(): the Automation API asks for those with --show-secrets, which
                // decrypts on purpose; the backend files below hold what is really stored.)
                // The credentials were really used: the target's marker and the source's exclusion were written.
                assert.equal(qa.db.getProperty("x_acme.promises.marker"), "written");
                assert.equal(prod.db.query("clone_data_exclude", "name=incident").length, 1);
                const tokenRequests = emu.stats
                    .requests("acme-qa", mark)
                    .filter((e) => e.path.includes("oauth_token") && e.status === 200);
                assert.ok(tokenRequests.length > 0, "the target connection authenticated with OAuth");

                const destroy = await stack.destroy({ onOutput: collect });
                output.push(destroy.stdout, destroy.stderr);
                assert.equal(qa.db.getProperty("x_acme.promises.marker"), undefined, "destroy removed what it created");

                const everything = [...files()];
                assert.ok(
                    everything.some(([f]) => f.includes(`${path.sep}.pulumi${path.sep}`)),
                    "the backend was searched",
                );
                for (const [secret, forms] of [
                    ["the target password (SERVICENOW_PASSWORD)", leakForms("admin", TARGET_PASSWORD)],
                    ["the source password (SERVICENOW_SOURCE_PASSWORD)", leakForms("admin", SOURCE_PASSWORD)],
                    ["the OAuth client secret", leakForms(CLIENT_ID, CLIENT_SECRET)],
                ] as const) {
                    for (const form of forms) {
                        const inFiles = everything.filter(([, text]) => text.includes(form)).map(([f]) => f);
                        assert.deepEqual(inFiles, [], `${secret} is in these files`);
                        assert.ok(!output.join("\n").includes(form), `${secret} is in the CLI's output`);
                    }
                }
            },
            env,
        );
    });

    it("refuses a target that is a declared production instance, at its first write, and writes nothing there", async () => {
        const mark = emu.stats.lastSeq;
        await withTempStack(
            "promises",
            {
                // The identity matches the declared target, but the stack also declares it production (by URL).
                ...basicConfig({ "servicenow:productionInstances": { value: JSON.stringify(["acme", qa.url]) } }),
                "promises:case": { value: "target" },
            },
            async ({ stack }) => {
                const message = await failure(stack.up());
                assert.match(
                    message,
                    /refusing to write: saw "acme-qa" at .*, which is a declared production instance/,
                );
                assert.doesNotMatch(message, new RegExp(TARGET_PASSWORD));
            },
        );
        assert.deepEqual(writesSince("acme-qa", mark), [], "the request log shows no write to the target");
        assert.equal(qa.db.getProperty("x_acme.promises.marker"), undefined);
    });

    it("refuses a write outside the clone configuration on the source connection, and writes nothing there", async () => {
        const mark = emu.stats.lastSeq;
        await withTempStack(
            "promises",
            { ...basicConfig(), "promises:case": { value: "source" } },
            async ({ stack }) => {
                const message = await failure(stack.up());
                assert.match(message, /refusing to write sys_properties on the source connection/);
                assert.match(message, /a source instance only accepts writes to the clone configuration/);
            },
        );
        assert.deepEqual(writesSince("acme", mark), [], "the request log shows no write to the source");
        assert.equal(prod.db.getProperty("x_acme.promises.marker"), undefined);
    });
});
