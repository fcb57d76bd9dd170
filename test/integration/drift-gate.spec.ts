/**
 * The drift gate and the connection settings, through the real `sn-clone` bin and the real Pulumi CLI: drift is
 * desired-versus-live whatever state says, every operation uses the stack config as it is now, `--expect-no-changes`
 * writes nothing, a wrong instance name exits 3, and state holds no connection setting or credential.
 */
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import { isWriteRequest, type RunningEmulator, type RunningInstance, startEmulator } from "../../emulator/index";
import type { RequestLogEntry } from "../../emulator/observability";
import type { DriftReport } from "../../sdk/automation/drift";
import { offlineEnv, packageRoot, resolvePulumiCommand } from "../../sdk/toolchain";
import { type EnvFixture, fingerprint, setProperty, startEnvFixture } from "../fixtures/env-support";

const BIN = path.join(packageRoot, "bin", "sn-clone.cjs");
const PROJECT = path.join(packageRoot, "test", "fixtures", "env-cli");
const PASSPHRASE = "drift-gate-passphrase";
// Distinctive, so finding it anywhere in state or output is unambiguous.
const FIRST_PASSWORD = "Initial-S3cret-71";
const ROTATED_PASSWORD = "Rotated-S3cret-42";

interface Run {
    code: number | null;
    stdout: string;
    stderr: string;
}

/** Write requests (batch items included) an instance received after log sequence `since`. */
function writesSince(emu: RunningEmulator, instance: string, since: number): RequestLogEntry[] {
    return emu.stats.requests(instance, since).filter(isWriteRequest);
}

/** The integration user the stack connects as; its password is distinctive, so finding it anywhere is unambiguous. */
const SERVICE_USER = "svc.pulumi";

/** A Table API call as the emulator's administrator (admin/admin), as an administrator at a browser would. */
async function asAdmin(
    i: RunningInstance,
    method: string,
    urlPath: string,
    body?: unknown,
): Promise<{ sys_id: string }[]> {
    const res = await fetch(`${i.url}${urlPath}`, {
        method,
        headers: {
            authorization: `Basic ${Buffer.from("admin:admin").toString("base64")}`,
            "content-type": "application/json",
            accept: "application/json",
        },
        body: body === undefined ? undefined : JSON.stringify(body),
    });
    assert.ok(res.ok, `${method} ${urlPath} on ${i.name}: HTTP ${res.status}`);
    const json = (await res.json()) as { result: { sys_id: string }[] | { sys_id: string } };
    return Array.isArray(json.result) ? json.result : [json.result];
}

/** Creates the integration user with the admin role. */
async function createServiceUser(i: RunningInstance, password: string): Promise<void> {
    const [user] = await asAdmin(i, "POST", "/api/now/table/sys_user", {
        user_name: SERVICE_USER,
        user_password: password,
        active: "true",
    });
    const [role] = await asAdmin(i, "GET", "/api/now/table/sys_user_role?sysparm_query=name=admin&sysparm_limit=1");
    await asAdmin(i, "POST", "/api/now/table/sys_user_has_role", { user: user!.sys_id, role: role!.sys_id });
}

/** Sets the integration user's password, as an administrator rotating it would. */
async function setPassword(i: RunningInstance, password: string): Promise<void> {
    const [user] = await asAdmin(
        i,
        "GET",
        `/api/now/table/sys_user?sysparm_query=user_name=${SERVICE_USER}&sysparm_limit=1`,
    );
    await asAdmin(i, "PATCH", `/api/now/table/sys_user/${user!.sys_id}`, { user_password: password });
}

describe("the drift gate through the real CLI", function () {
    this.timeout(900_000);
    let f: EnvFixture;
    let moved: RunningEmulator | undefined;
    const name = `gate${process.pid}`;
    const stackFiles: string[] = [];

    /** The committed qa stack pointed at the emulator; credentials go in as encrypted config, never in the file. */
    const writeStackFile = (stack: string, instanceName = "acme-qa") => {
        const qa = fs.readFileSync(path.join(packageRoot, "stacks", "Pulumi.qa.yaml"), "utf8");
        const text = qa
            .replace(/servicenow:instanceUrl: .*/, `servicenow:instanceUrl: ${f.qa.url}`)
            .replace(/servicenow:username: .*/, `servicenow:username: ${SERVICE_USER}`)
            .replace(/servicenow:instanceName: .*/, `servicenow:instanceName: ${instanceName}`)
            .replace(/servicenow:sourceInstanceUrl: .*/, `servicenow:sourceInstanceUrl: ${f.prod.url}`)
            .replace(/servicenow:sourceUsername: .*/, `servicenow:sourceUsername: ${SERVICE_USER}`)
            .replace(/servicenow:productionInstances: .*/, "servicenow:productionInstances: acme");
        const file = path.join(PROJECT, `Pulumi.${stack}.yaml`);
        fs.writeFileSync(file, text);
        stackFiles.push(file);
    };

    // The fixture's program lives in dist/, outside the fixture directory, so the providers are told where the
    // project is (a user's own project has its program inside it and needs nothing).
    const envVars = () =>
        offlineEnv({
            PULUMI_BACKEND_URL: f.backendUrl,
            PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
            PULUMI_SERVICENOW_PROJECT_DIR: PROJECT,
        });

    /** The stack through the Automation API, as a user's own `pulumi` would see it (creating it on first use). */
    const pulumiStack = async (stack: string): Promise<Stack> =>
        LocalWorkspace.createOrSelectStack(
            { stackName: stack, workDir: PROJECT },
            { pulumiCommand: await resolvePulumiCommand(), pulumiHome: f.pulumiHome, envVars: envVars() },
        );

    /** Runs the real `sn-clone` bin, with no password in its environment: it must come from the stack config. */
    const snClone = (args: string[]): Promise<Run> =>
        new Promise((resolve, reject) => {
            const env: NodeJS.ProcessEnv = { ...process.env, PULUMI_CONFIG_PASSPHRASE: PASSPHRASE };
            delete env.SERVICENOW_PASSWORD;
            delete env.SERVICENOW_SOURCE_PASSWORD;
            const child = spawn(
                process.execPath,
                [BIN, "--work-dir", PROJECT, "--backend-url", f.backendUrl, "--pulumi-home", f.pulumiHome, ...args],
                { cwd: packageRoot, env, stdio: ["ignore", "pipe", "pipe"] },
            );
            let stdout = "";
            let stderr = "";
            child.stdout.on("data", (d) => {
                stdout += d;
            });
            child.stderr.on("data", (d) => {
                stderr += d;
            });
            child.on("error", reject);
            child.on("close", (code) => resolve({ code, stdout, stderr }));
        });

    const noEngineInternals = (r: Run) => {
        assert.doesNotMatch(r.stdout + r.stderr, /Command failed with exit code|stdout:|\/bin\/pulumi /);
        assert.doesNotMatch(r.stdout + r.stderr, new RegExp(`${FIRST_PASSWORD}|${ROTATED_PASSWORD}`));
    };

    before(async () => {
        assert.ok(fs.existsSync(path.join(packageRoot, "dist", "sdk", "cli", "index.js")), "run `npm run build` first");
        f = await startEnvFixture();
        // The same user on both instances (a clone copies production's users onto the target).
        await createServiceUser(f.prod, FIRST_PASSWORD);
        await createServiceUser(f.qa, FIRST_PASSWORD);
        writeStackFile(name);
        const stack = await pulumiStack(name);
        await stack.setConfig("servicenow:password", { value: FIRST_PASSWORD, secret: true });
        await stack.setConfig("servicenow:sourcePassword", { value: FIRST_PASSWORD, secret: true });
        // The committed qa stack masks personal data: its salt is a secret set like the passwords.
        await stack.setConfig("servicenow:maskingSalt", { value: "drift-gate-masking-salt", secret: true });
    });
    after(async () => {
        for (const file of stackFiles) fs.rmSync(file, { force: true });
        await moved?.stop();
        await f?.stop();
    });

    it("prints its version", async () => {
        const r = await snClone(["--version"]);
        assert.equal(r.code, 0);
        const pkg = JSON.parse(fs.readFileSync(path.join(packageRoot, "package.json"), "utf8")) as { version: string };
        assert.equal(r.stdout.trim(), pkg.version);
    });

    it("clones and applies with the credentials from the stack config", async () => {
        const r = await snClone(["--non-interactive", "apply", name, "--clone"]);
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.equal(f.qa.db.getProperty("glide.email.read.active"), "false");
        const converged = await snClone(["--no-progress", "apply", name, "--expect-no-changes"]);
        assert.equal(converged.code, 0, converged.stdout + converged.stderr);
    });

    it("keeps no connection setting or credential in state, not even encrypted", async () => {
        const exported = JSON.stringify((await (await pulumiStack(name)).exportStack()).deployment);
        const settings = [
            "instanceUrl",
            "username",
            "password",
            "instanceName",
            "productionInstances",
            "sourceInstanceUrl",
        ];
        for (const secret of [
            FIRST_PASSWORD,
            f.qa.url,
            f.prod.url,
            SERVICE_USER,
            "ciphertext",
            "secure",
            ...settings.map((k) => `servicenow:${k}`),
        ]) {
            assert.equal(exported.includes(secret), false, `state holds ${JSON.stringify(secret)}`);
        }
        // The stack's config (encrypted in the stack file) is where the password lives instead.
        const file = fs.readFileSync(path.join(PROJECT, `Pulumi.${name}.yaml`), "utf8");
        assert.match(file, /servicenow:password:\s*\n\s+secure:/);
    });

    it("reports a hand edit that `pulumi refresh` absorbed into state: exit 2, naming the property", async () => {
        await setProperty(f.qa, "glide.email.read.active", "true");
        await (await pulumiStack(name)).refresh();
        const text = await snClone(["--no-progress", "drift", name]);
        assert.equal(text.code, 2, text.stdout + text.stderr);
        assert.match(text.stdout, /EmailPolicy "email": changed\n\s+receiving: expected false, found true/);
        const json = await snClone(["--no-progress", "drift", name, "--format", "json"]);
        assert.equal(json.code, 2);
        const report = JSON.parse(json.stdout) as DriftReport;
        assert.deepEqual(
            report.resources.map((r) => [r.name, r.properties.map((p) => [p.path, p.expected, p.actual])]),
            [["email", [["receiving", false, true]]]],
        );
    });

    it("apply --expect-no-changes on the drifted instance exits 2 and writes nothing", async () => {
        const mark = f.emu.stats.lastSeq;
        const before = fingerprint(f.qa);
        const r = await snClone(["--no-progress", "apply", name, "--expect-no-changes"]);
        assert.equal(r.code, 2, r.stdout + r.stderr);
        assert.match(r.stderr, /not converged[\s\S]*EmailPolicy "email"[\s\S]*nothing was written/);
        assert.deepEqual(writesSince(f.emu, "acme-qa", mark), [], "no write request reached the instance");
        assert.equal(fingerprint(f.qa), before);
        noEngineInternals(r);
        const repair = await snClone(["--no-progress", "apply", name]);
        assert.equal(repair.code, 0, repair.stdout + repair.stderr);
        assert.equal(f.qa.db.getProperty("glide.email.read.active"), "false");
    });

    it("numbers the history from the first operation", async () => {
        const r = await snClone(["history", name, "--format", "json"]);
        assert.equal(r.code, 0, r.stderr);
        const versions = (JSON.parse(r.stdout) as { version: number }[]).map((h) => h.version);
        assert.ok(versions.length >= 3, r.stdout);
        assert.deepEqual(
            versions,
            versions.map((_, i) => versions.length - i),
            "newest first, numbered n..1",
        );
    });

    it("uses a rotated password for drift and refresh as soon as the stack config has it", async () => {
        await setPassword(f.qa, ROTATED_PASSWORD);
        const stack = await pulumiStack(name);
        await stack.setConfig("servicenow:password", { value: ROTATED_PASSWORD, secret: true });
        const drift = await snClone(["--no-progress", "drift", name]);
        assert.equal(drift.code, 0, drift.stdout + drift.stderr);
        noEngineInternals(drift);
        // A user's own `pulumi refresh`, without --run-program: the providers still read the config as it is now.
        await stack.refresh();
        const exported = JSON.stringify((await stack.exportStack()).deployment);
        assert.equal(exported.includes(ROTATED_PASSWORD), false, "the new password is not in state either");
    });

    it("refuses drift and destroy when productionInstances now names the instance, and destroys once it does not", async () => {
        const stack = await pulumiStack(name);
        await stack.setConfig("servicenow:productionInstances", { value: "acme, acme-qa" });
        const mark = f.emu.stats.lastSeq;
        const drift = await snClone(["--no-progress", "drift", name]);
        assert.equal(drift.code, 3, drift.stdout + drift.stderr);
        const destroy = await snClone(["--no-progress", "destroy", name, "--yes"]);
        assert.equal(destroy.code, 3, destroy.stdout + destroy.stderr);
        assert.match(destroy.stderr, /declared production instance \("acme-qa"\)/);
        assert.deepEqual(writesSince(f.emu, "acme-qa", mark), []);
        await stack.setConfig("servicenow:productionInstances", { value: "acme" });
    });

    it("follows a new instanceUrl for drift, refresh and destroy, never touching the old one", async () => {
        // The instance moved: the same acme-qa (its identity preserved) now answers at another URL.
        moved = await startEmulator({ instances: [{ name: "acme-qa", seed: "production" }], users: 300, jobs: 60 });
        const next = moved.instances.get("acme-qa")!;
        next.db.setProperty("glide.installation.production", "false");
        await createServiceUser(next, ROTATED_PASSWORD);
        const stack = await pulumiStack(name);
        await stack.setConfig("servicenow:instanceUrl", { value: next.url });
        const mark = f.emu.stats.lastSeq;

        const drift = await snClone(["--no-progress", "drift", name]);
        // The moved instance was never converged, so it drifted; what matters is which instance was read.
        assert.equal(drift.code, 2, drift.stdout + drift.stderr);
        assert.ok(moved.stats.requests("acme-qa").length > 0, "drift read the new URL");
        await stack.refresh();
        const destroy = await snClone(["--no-progress", "destroy", name, "--yes"]);
        assert.equal(destroy.code, 0, destroy.stdout + destroy.stderr);
        assert.deepEqual(f.emu.stats.requests("acme-qa", mark), [], "the old URL received no request at all");
        assert.ok(writesSince(moved, "acme-qa", 0).length > 0, "destroy wrote to the new URL");
    });

    it("exits 3 on a wrong instance name before any clone lookup or write, with its own message", async () => {
        const wrong = `${name}w`;
        writeStackFile(wrong, "acme-qa-typo");
        const stack = await pulumiStack(wrong);
        await stack.setConfig("servicenow:password", { value: FIRST_PASSWORD, secret: true });
        await stack.setConfig("servicenow:sourcePassword", { value: FIRST_PASSWORD, secret: true });
        await setPassword(f.qa, FIRST_PASSWORD);
        const mark = f.emu.stats.lastSeq;
        const r = await snClone(["--no-progress", "apply", wrong]);
        assert.equal(r.code, 3, r.stdout + r.stderr);
        assert.match(r.stderr, /refusing to write: saw "acme-qa" .*the stack declares target "acme-qa-typo"/);
        assert.deepEqual(writesSince(f.emu, "acme-qa", mark), []);
        assert.deepEqual(writesSince(f.emu, "acme", mark), []);
        assert.deepEqual(
            f.emu.stats.requests("acme", mark).filter((e) => e.table === "instance"),
            [],
            "no clone lookup on the source",
        );
        noEngineInternals(r);
    });

    it("names a missing password as the cause on a first run", async () => {
        const bare = `${name}p`;
        writeStackFile(bare);
        await pulumiStack(bare);
        const r = await snClone(["--no-progress", "apply", bare]);
        assert.equal(r.code, 1, r.stdout + r.stderr);
        assert.match(r.stderr, /has no password.*servicenow:password.*--secret.*SERVICENOW_PASSWORD/);
        noEngineInternals(r);
    });
});
