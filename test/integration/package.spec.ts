/**
 * The package as another project uses it: `npm pack`, install the tarball into a fresh project, run the CLI and an
 * Automation API program there. The tarball holds what a user runs and nothing else, and state lands in the
 * consuming project, never inside node_modules.
 */
import * as assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { bootstrappedToolchain, packageRoot } from "../../sdk/toolchain";
import { connectionConfig, type EnvFixture, startEnvFixture } from "../fixtures/env-support";

const run = promisify(execFile);

interface PackedFile {
    path: string;
}

/** Runs a command in the consuming project; resolves with its output and exit code. */
function inProject(
    cwd: string,
    cmd: string,
    args: string[],
    env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
        const child = spawn(cmd, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
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
}

describe("the package installed into another project", function () {
    this.timeout(900_000);
    let tmp: string;
    let tarball: string;
    let files: string[];
    let f: EnvFixture | undefined;

    before(async () => {
        assert.ok(fs.existsSync(path.join(packageRoot, "dist", "sdk", "cli", "index.js")), "run `npm run build` first");
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pssc-pack-"));
        const { stdout } = await run("npm", ["pack", "--json", "--pack-destination", tmp], {
            cwd: packageRoot,
            maxBuffer: 64 * 1024 * 1024,
        });
        const [packed] = JSON.parse(stdout) as { filename: string; files: PackedFile[] }[];
        tarball = path.join(tmp, path.basename(packed!.filename));
        files = packed!.files.map((p) => p.path);
    });
    after(async () => {
        await f?.stop();
        if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    });

    it("ships what a user runs and no test, bench, demo or example output", () => {
        for (const needed of [
            "bin/sn-clone.cjs",
            "bin/sn-emulator.cjs",
            "dist/sdk/index.js",
            "dist/sdk/index.d.ts",
            "dist/sdk/cli/index.js",
            "dist/sdk/environment/program.js",
            "dist/provider/shim.js",
            "dist/emulator/cli.js",
            "Pulumi.yaml",
            "stacks/Pulumi.qa.yaml",
            "package.json",
        ]) {
            assert.ok(files.includes(needed), `the tarball lacks ${needed}`);
        }
        const unwanted = files.filter((p) =>
            /^dist\/(test|bench|demo|examples)\/|\.tsbuildinfo$|^node_modules\/|^\.pulumi-state\//.test(p),
        );
        assert.deepEqual(unwanted, []);
    });

    it("declares @pulumi/pulumi as a peer and only run-time dependencies", () => {
        const pkg = JSON.parse(fs.readFileSync(path.join(packageRoot, "package.json"), "utf8")) as {
            dependencies: Record<string, string>;
            peerDependencies: Record<string, string>;
        };
        assert.match(pkg.peerDependencies["@pulumi/pulumi"] ?? "", /^\^3\./);
        assert.equal(pkg.dependencies["@pulumi/pulumi"], undefined);
        assert.equal(pkg.dependencies["cli-table3"], undefined, "only the demo uses cli-table3");
    });

    it("runs the CLI and an Automation API program there, keeping state in the consuming project", async () => {
        const toolchain = bootstrappedToolchain();
        assert.ok(toolchain, "run the bootstrap first: the consuming project uses the Pulumi CLI on PATH");
        const project = path.join(tmp, "consumer");
        fs.mkdirSync(project);
        fs.writeFileSync(
            path.join(project, "package.json"),
            JSON.stringify({ name: "consumer", version: "1.0.0", private: true }),
        );
        // Dependencies come from the registry (or npm's cache); the package itself from the local tarball.
        await run("npm", ["install", tarball, "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts"], {
            cwd: project,
            maxBuffer: 64 * 1024 * 1024,
        });
        const installed = path.join(project, "node_modules", "pulumi-servicenow-clone");
        assert.ok(fs.existsSync(path.join(project, "node_modules", "@pulumi", "pulumi")), "the peer is installed");

        const env: NodeJS.ProcessEnv = {
            ...process.env,
            PATH: [path.dirname(process.execPath), path.join(toolchain.root, "bin"), process.env.PATH].join(
                path.delimiter,
            ),
            PULUMI_CONFIG_PASSPHRASE: "consumer",
            PULUMI_HOME: path.join(tmp, "home"),
        };
        delete env.PULUMI_BACKEND_URL;
        const version = await inProject(
            project,
            path.join(project, "node_modules", ".bin", "sn-clone"),
            ["--version"],
            env,
        );
        assert.equal(version.code, 0, version.stderr);
        assert.equal(
            version.stdout.trim(),
            JSON.parse(fs.readFileSync(path.join(installed, "package.json"), "utf8")).version,
        );

        f = await startEnvFixture();
        fs.writeFileSync(
            path.join(project, "apply.js"),
            [
                'const { withEnvironment } = require("pulumi-servicenow-clone");',
                "const config = JSON.parse(process.env.SN_CONFIG);",
                'withEnvironment({ environment: "qa", isolated: true, config }, (env) => env.apply({ clone: { pollMs: 50 } }))',
                "    .then((r) => console.log(JSON.stringify(r.changes)))",
                "    .catch((e) => { console.error(e.message); process.exit(1); });",
                "",
            ].join("\n"),
        );
        const applied = await inProject(project, process.execPath, ["apply.js"], {
            ...env,
            SN_CONFIG: JSON.stringify(connectionConfig(f)),
        });
        assert.equal(applied.code, 0, applied.stdout + applied.stderr);
        assert.equal(
            f.qa.db.getProperty("glide.email.test.user"),
            "qa-inbox@acme-test.com",
            "the program converged qa",
        );

        const stacks = path.join(project, ".pulumi-state", ".pulumi", "stacks");
        assert.ok(fs.existsSync(stacks), "state is in the consuming project");
        assert.deepEqual(
            fs
                .readdirSync(stacks, { recursive: true })
                .map(String)
                .filter((p) => p.endsWith(".json")),
            [path.join("servicenow-environment", "qa.json")],
        );
        assert.equal(fs.existsSync(path.join(installed, ".pulumi-state")), false, "nothing in node_modules");
    });
});
