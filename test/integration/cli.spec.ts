import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import type { DriftReport } from "../../sdk/automation/drift";
import { packageRoot } from "../../sdk/toolchain";
import {
    type EnvFixture,
    setProperty,
    startEnvFixture,
    unlockOneUser,
    writesSince as writesTo,
} from "../fixtures/env-support";
import { snClone } from "../support/sn-clone";
import { snapshotDiff, wholeInstance } from "../support/snapshot";

const PROJECT = path.join(packageRoot, "test", "fixtures", "env-cli");

/** Checks that every tag opened is closed in order; enough to know a JUnit report parses. */
function assertWellFormedXml(xml: string): void {
    const stack: string[] = [];
    for (const m of xml.replace(/<\?xml[^>]*\?>/, "").matchAll(/<(\/?)([A-Za-z][\w-]*)([^>]*?)(\/?)>/g)) {
        const [, closing, name, , selfClosing] = m;
        if (selfClosing) continue;
        if (closing) assert.equal(stack.pop(), name, `</${name}> closes the wrong element`);
        else stack.push(name!);
    }
    assert.deepEqual(stack, [], "unclosed elements");
    assert.doesNotMatch(xml.replace(/&(amp|lt|gt|quot|apos);/g, ""), /&/, "an unescaped &");
}

/*
 * An ordered scenario, on purpose: one environment's life through the CLI (apply with a clone, no-change apply, drift
 * in three formats, repair, refusals, history, destroy), each step starting where the previous one left the stack and
 * the instance; applying from scratch in every test would cost minutes each. The help and usage tests stand alone.
 */
describe("the sn-clone CLI", function () {
    this.timeout(600_000);
    let f: EnvFixture;
    const stacks: string[] = [];

    /** Writes a stack file for the fixture project: the committed qa stack with the connection on the emulator. */
    const writeStack = (name: string, targetUrl: string) => {
        const qa = yaml.load(fs.readFileSync(path.join(packageRoot, "stacks", "Pulumi.qa.yaml"), "utf8")) as {
            config: Record<string, unknown>;
        };
        Object.assign(qa.config, {
            "servicenow:instanceUrl": targetUrl,
            "servicenow:username": "admin",
            "servicenow:sourceInstanceUrl": f.prod.url,
            "servicenow:sourceUsername": "admin",
            "servicenow:productionInstances": "acme",
        });
        fs.writeFileSync(path.join(PROJECT, `Pulumi.${name}.yaml`), yaml.dump(qa));
        stacks.push(name);
    };
    const common = () => ["--work-dir", PROJECT, "--backend-url", f.backendUrl, "--pulumi-home", f.pulumiHome];
    // The password comes from the environment here, as a pipeline would pass it; never from the stack file.
    const env = () => ({
        PULUMI_CONFIG_PASSPHRASE: "test",
        SERVICENOW_PASSWORD: "admin",
        SERVICENOW_SOURCE_PASSWORD: "admin",
        SERVICENOW_MASKING_SALT: "cli-test-masking-salt",
    });
    const stackName = `cli${process.pid}`;

    before(async () => {
        assert.ok(fs.existsSync(path.join(packageRoot, "dist", "sdk", "cli", "index.js")), "run `npm run build` first");
        f = await startEnvFixture();
        writeStack(stackName, f.qa.url);
    });
    after(async () => {
        for (const s of stacks) fs.rmSync(path.join(PROJECT, `Pulumi.${s}.yaml`), { force: true });
        await f?.stop();
    });

    it("prints help for the program and every command, exiting 0", async () => {
        for (const args of [
            ["--help"],
            ...["apply", "preview", "drift", "destroy", "history", "verify", "recover"].map((c) => [c, "--help"]),
        ]) {
            const r = await snClone(args);
            assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
            assert.match(r.stdout, /Usage: sn-clone/);
        }
    });

    it("exits 1 with usage on a bad drift format", async () => {
        const r = await snClone(["drift", "qa", "--format", "xml"]);
        assert.equal(r.code, 1);
        assert.match(r.stderr, /Allowed choices are text, json, junit/);
    });

    it("exits 1 from drift on an environment never applied, without creating its stack", async () => {
        const r = await snClone([...common(), "--no-progress", "drift", "neverapplied"], env());
        assert.equal(r.code, 1, r.stdout + r.stderr);
        assert.match(r.stderr, /environment neverapplied has no stack .* yet; apply it first/);
        assert.equal(fs.existsSync(path.join(PROJECT, "Pulumi.neverapplied.yaml")), false, "no stack file written");
    });

    it("clones and applies, and a second apply expecting no changes succeeds", async () => {
        const first = await snClone([...common(), "apply", stackName, "--clone"], env());
        assert.equal(first.code, 0, first.stderr);
        assert.match(first.stdout, /Cloned into .*: request [0-9a-f]{32}/);
        // The clone run, eight checklist items, the verification gate (environment:verify) and the stack.
        assert.match(first.stdout, /Applied .*11 created/);
        assert.match(first.stderr, /clone Completed/, "clone progress on stderr");
        assert.match(first.stderr, /✓ created\s+UserLockout access/, "progress on stderr");
        assert.equal(f.qa.db.getProperty("glide.product.description"), "ACME QA (non-production)");

        const second = await snClone([...common(), "apply", stackName, "--expect-no-changes"], env());
        assert.equal(second.code, 0, second.stderr);
        assert.match(second.stdout, /11 unchanged/);
    });

    it("exits 0 from drift when the instance matches", async () => {
        const r = await snClone([...common(), "--no-progress", "drift", stackName], env());
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /No drift/);
    });

    it("exits 2 from drift and names each drifted property, in text, JSON and JUnit", async () => {
        await setProperty(f.qa, "glide.email.read.active", "true");
        await unlockOneUser(f.qa);

        const text = await snClone([...common(), "drift", stackName], env());
        assert.equal(text.code, 2, text.stderr);
        assert.match(text.stdout, /EmailPolicy "email": changed\n\s+receiving: expected false, found true/);
        assert.match(text.stdout, /UserLockout "access": changed[\s\S]*unlockedCount: expected 0, found 1/);

        const json = await snClone([...common(), "--no-progress", "drift", stackName, "--format", "json"], env());
        assert.equal(json.code, 2, json.stderr);
        const report = JSON.parse(json.stdout) as DriftReport;
        assert.equal(report.drifted, true);
        assert.deepEqual(report.resources.map((r) => r.name).sort(), ["access", "email"]);
        assert.deepEqual(report.resources.find((r) => r.name === "email")?.properties, [
            { path: "receiving", expected: false, actual: true },
        ]);

        const file = path.join(f.tmp, "drift.xml");
        const junit = await snClone(
            [...common(), "--no-progress", "drift", stackName, "--format", "junit", "-o", file],
            env(),
        );
        assert.equal(junit.code, 2, junit.stderr);
        const xml = fs.readFileSync(file, "utf8");
        assert.equal(xml, junit.stdout);
        assertWellFormedXml(xml);
        assert.equal((xml.match(/<failure /g) ?? []).length, 2);
        assert.match(xml, /receiving: expected false, found true/);
    });

    it("repairs drift with apply, then drift exits 0", async () => {
        const repair = await snClone([...common(), "apply", stackName], env());
        assert.equal(repair.code, 0, repair.stderr);
        assert.match(repair.stdout, /2 updated/);
        const r = await snClone([...common(), "--no-progress", "drift", stackName], env());
        assert.equal(r.code, 0, r.stdout + r.stderr);
    });

    /** Runs `fn` with the stack file's config changed by `edit`, then puts the file back byte for byte. */
    const withStackEdit = async <T>(edit: (config: Record<string, unknown>) => void, fn: () => Promise<T>) => {
        const file = path.join(PROJECT, `Pulumi.${stackName}.yaml`);
        const original = fs.readFileSync(file, "utf8");
        const doc = yaml.load(original) as { config: Record<string, unknown> };
        edit(doc.config);
        fs.writeFileSync(file, yaml.dump(doc));
        try {
            return await fn();
        } finally {
            fs.writeFileSync(file, original);
        }
    };
    /** Writes either instance received after `mark`. */
    const writesSince = (mark: number) => writesTo(f, undefined, mark);

    it("exits 1 from preview on a provider check failure, naming the property and the value, and writes nothing", async () => {
        const mark = f.emu.stats.lastSeq;
        const r = await withStackEdit(
            (config) => {
                const access = config["environment:access"] as Record<string, unknown>;
                access.allowUsers = ["nobody.here"];
            },
            () => snClone([...common(), "--no-progress", "preview", stackName], env()),
        );
        assert.equal(r.code, 1, r.stdout + r.stderr);
        assert.match(r.stderr, /allowUsers/);
        assert.match(r.stderr, /user "nobody\.here" in allowUsers does not exist/);
        assert.ok(f.emu.stats.requests("acme-qa", mark).length > 0, "the check looked the user up on the instance");
        assert.deepEqual(writesSince(mark), [], "the request log shows no write");
    });

    it("exits 1 on a stack config error, naming the key, the value and the fix, before any request", async () => {
        const mark = f.emu.stats.lastSeq;
        const r = await withStackEdit(
            (config) => {
                const branding = config["environment:branding"] as Record<string, unknown>;
                branding.baseColor = "purple";
            },
            () => snClone([...common(), "--no-progress", "apply", stackName], env()),
        );
        assert.equal(r.code, 1, r.stdout + r.stderr);
        assert.match(r.stderr, /environment:branding\.baseColor/);
        assert.match(r.stderr, /purple/);
        assert.match(r.stderr, /CSS hex colour such as "#/, "the fix");
        assert.deepEqual(writesSince(mark), [], "the request log shows no write");
    });

    it("lists the history", async () => {
        const r = await snClone([...common(), "history", stackName, "--format", "json"], env());
        assert.equal(r.code, 0, r.stderr);
        const entries = JSON.parse(r.stdout) as { kind: string }[];
        assert.ok(entries.filter((e) => e.kind === "update").length >= 3);
    });

    it("recovers a healthy environment without clearing anything, and says what the next apply will do", async () => {
        const r = await snClone([...common(), "--no-progress", "recover", stackName, "--format", "json"], env());
        assert.equal(r.code, 0, r.stderr);
        const report = JSON.parse(r.stdout) as {
            pendingOperations: unknown[];
            repairedFiles: unknown[];
            steps: string[];
        };
        assert.deepEqual(report.pendingOperations, []);
        assert.deepEqual(report.repairedFiles, []);
        assert.ok(
            report.steps.some((s) => /the next up will/.test(s)),
            report.steps.join("; "),
        );
    });

    it("exits 3 on an unsafe target and writes nothing to it", async () => {
        const unsafe = `${stackName}u`;
        writeStack(unsafe, f.prod.url);
        const before = wholeInstance(f.prod.db);
        const mark = f.emu.stats.lastSeq;
        const r = await snClone([...common(), "apply", unsafe], env());
        assert.equal(r.code, 3, r.stdout + r.stderr);
        assert.match(r.stderr, /unsafe target[\s\S]*refusing to write: saw "acme"/);
        assert.doesNotMatch(r.stdout + r.stderr, /SERVICENOW_PASSWORD=|admin:admin/);
        assert.deepEqual(snapshotDiff(before, wholeInstance(f.prod.db)), [], "production is unchanged");
        assert.deepEqual(writesSince(mark), [], "the request log shows no write");
    });

    it("refuses destroy without --yes, and destroys with it", async () => {
        const refused = await snClone([...common(), "destroy", stackName], env());
        assert.equal(refused.code, 1);
        assert.match(refused.stderr, /add --yes/);
        const r = await snClone([...common(), "destroy", stackName, "--yes"], env());
        assert.equal(r.code, 0, r.stderr);
        assert.equal(f.qa.db.getProperty("glide.product.description"), "ACME Production");
    });
});
