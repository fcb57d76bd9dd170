#!/usr/bin/env node
// @ts-check
// Bootstrap: everything a fresh clone needs before `npm test` or `npm run demo`, idempotent and fast when done.
//   1. npm dependencies (`npm ci` when missing or stale), which bring Node 24 from the npm registry;
//   2. the Pulumi CLI at exactly the SDK's version: a compatible `pulumi` on PATH, else the cached build, else a build
//      from the Go module proxy (the official installer is unreachable offline);
//   3. a link so the dynamic-provider process can `require("pulumi-servicenow-clone/...")` from this checkout.
// Plain CommonJS, Node built-ins only: it runs before `npm ci`, possibly on the machine's Node 20.
"use strict";

const { spawn, spawnSync } = require("node:child_process");
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");
const { packageRoot, toolchainFile, cacheDir } = require("./toolchain.cjs");

const quiet = process.argv.includes("--quiet");
const started = Date.now();

/** Progress goes to stderr so that `npm run pulumi -- version` keeps a clean stdout. @param {string} msg */
function say(msg) {
    process.stderr.write(`[bootstrap] ${msg}\n`);
}

/** A failure the user can act on: one message, no stack trace. */
class BootstrapError extends Error {}

function seconds(ms = Date.now() - started) {
    return `${(ms / 1000).toFixed(1)}s`;
}

function lockHash() {
    // Only what decides the installed tree: editing a script in package.json must not trigger a reinstall.
    const pkg = JSON.parse(fs.readFileSync(path.join(packageRoot, "package.json"), "utf8"));
    const decides = [pkg.dependencies, pkg.devDependencies, pkg.optionalDependencies, pkg.overrides, pkg.allowScripts];
    return crypto
        .createHash("sha256")
        .update(fs.readFileSync(path.join(packageRoot, "package-lock.json")))
        .update(JSON.stringify(decides))
        .digest("hex");
}

function ensureDependencies() {
    const stamp = path.join(packageRoot, "node_modules", ".bootstrap-deps");
    const want = lockHash();
    const have = fs.existsSync(stamp) ? fs.readFileSync(stamp, "utf8") : "";
    if (have === want && fs.existsSync(path.join(packageRoot, "node_modules", ".bin", "node"))) return;
    say(have ? "package-lock.json changed: reinstalling npm dependencies" : "installing npm dependencies (npm ci)");
    const npm = process.platform === "win32" ? "npm.cmd" : "npm";
    const ci = spawnSync(npm, ["ci", "--no-audit", "--no-fund"], { cwd: packageRoot, encoding: "utf8" });
    if (ci.status !== 0) {
        const output = `${ci.stdout ?? ""}${ci.stderr ?? ""}`;
        if (!/in sync|from lock file/.test(output)) {
            process.stderr.write(output);
            throw new BootstrapError("npm ci failed (see above); check that the npm registry is reachable");
        }
        // npm ci validates that the lock lists every optional package of every platform; registry mirrors that lack
        // other platforms' binaries (Biome's Windows/macOS builds, for one) make it refuse. npm install --no-save
        // installs the same locked versions and leaves package-lock.json untouched.
        say("npm ci refused the lock (this registry lacks other platforms' optional packages): npm install --no-save");
        const res = spawnSync(npm, ["install", "--no-save", "--no-audit", "--no-fund", "--loglevel=error"], {
            cwd: packageRoot,
            stdio: ["ignore", 2, 2],
        });
        if (res.status !== 0)
            throw new BootstrapError("npm install failed (see above); is the npm registry reachable?");
    }
    fs.writeFileSync(stamp, want);
    say(`npm dependencies installed (${seconds()})`);
}

function ensureSelfLink() {
    // Dynamic providers are serialized into state as small shims that require this package by name, so upgrades of
    // the provider code reach existing resources. In this checkout the package is not in its own node_modules:
    // link it there, as npm would for a user who installed it.
    const link = path.join(packageRoot, "node_modules", "pulumi-servicenow-clone");
    try {
        if (fs.readlinkSync(link) === "..") return;
        fs.rmSync(link, { recursive: true, force: true });
    } catch {
        // missing: create below
    }
    fs.symlinkSync("..", link, "dir");
}

/** @returns {string} the @pulumi/pulumi version installed, which the CLI must match. */
function sdkVersion() {
    const pkg = path.join(packageRoot, "node_modules", "@pulumi", "pulumi", "package.json");
    return JSON.parse(fs.readFileSync(pkg, "utf8")).version;
}

/** @param {string} bin @returns {string | undefined} the version a pulumi binary reports, without a leading v. */
function cliVersion(bin) {
    const res = spawnSync(bin, ["version"], {
        encoding: "utf8",
        env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" },
    });
    if (res.status !== 0) return undefined;
    return res.stdout.trim().replace(/^v/, "");
}

/** @param {string} a @param {string} b @returns {number} */
function compareVersions(a, b) {
    const pa = a.split(/[.-]/).map(Number);
    const pb = b.split(/[.-]/).map(Number);
    for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
    return 0;
}

/** @param {string} name @returns {string | undefined} */
function onPath(name) {
    for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
        const candidate = path.join(dir, name);
        if (dir && !dir.startsWith(path.join(packageRoot, "node_modules")) && fs.existsSync(candidate))
            return candidate;
    }
    return undefined;
}

/** The language host is our own source: its hash is part of the cache key so a change rebuilds it. */
function languageHostHash() {
    const dir = path.join(packageRoot, "tools", "language-host");
    const hash = crypto.createHash("sha256");
    for (const f of fs.readdirSync(dir).sort()) hash.update(f).update(fs.readFileSync(path.join(dir, f)));
    return hash.digest("hex").slice(0, 12);
}

/**
 * Runs a command for the Go build, reporting progress while it is slow and a clear error when it fails.
 * @param {string} what @param {string} cmd @param {string[]} args @param {{cwd: string, env: NodeJS.ProcessEnv}} opts
 * @returns {Promise<string>} stdout
 */
function run(what, cmd, args, opts) {
    const t0 = Date.now();
    say(`${what}...`);
    return new Promise((resolve, reject) => {
        const child = spawn(cmd, args, { ...opts, stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        let err = "";
        child.stdout.on("data", (d) => {
            out += d;
        });
        child.stderr.on("data", (d) => {
            err += d;
            if (err.length > 200_000) err = err.slice(-100_000);
        });
        const heartbeat = setInterval(() => say(`  still ${what.toLowerCase()} (${seconds(Date.now() - t0)})`), 30_000);
        child.on("error", (e) => {
            clearInterval(heartbeat);
            reject(new BootstrapError(`${what} failed: could not run ${cmd}: ${e.message}`));
        });
        child.on("close", (code) => {
            clearInterval(heartbeat);
            if (code === 0) {
                say(`  done (${seconds(Date.now() - t0)})`);
                resolve(out);
                return;
            }
            // `go mod download -json` reports its errors on stdout, inside the JSON.
            const said = err.trim() || out.replace(/[{}"\t]/g, "").trim();
            const tail = said.split("\n").slice(-15).join("\n");
            reject(
                new BootstrapError(
                    `${what} failed (exit ${code}):\n${tail}\n` +
                        "Check that the Go module proxy is reachable (GOPROXY) and retry, or install the Pulumi CLI " +
                        "at the SDK's version and put it on PATH.",
                ),
            );
        });
    });
}

function checkGo() {
    const res = spawnSync("go", ["version"], { encoding: "utf8" });
    if (res.error || res.status !== 0) {
        throw new BootstrapError(
            "The Pulumi CLI is not installed and cannot be built here: Go is not on PATH (or `go version` fails).\n" +
                "Install Go 1.24 or later (Debian: `apt-get install golang-go`; or https://go.dev/dl), or install the " +
                `Pulumi CLI v${sdkVersion()} and put it on PATH; then run this command again.`,
        );
    }
    return res.stdout.trim();
}

/**
 * Builds `pulumi` from the Go module proxy and our language host against the same sdk/v3, into root/bin.
 * @param {string} version @param {string} root
 */
async function buildCli(version, root) {
    const goVersion = checkGo();
    const v = `v${version}`;
    say(`building the Pulumi CLI ${v} from the Go module proxy with ${goVersion} (once; cached in ${root})`);
    const work = `${root}.build-${process.pid}`;
    fs.rmSync(work, { recursive: true, force: true });
    fs.mkdirSync(path.join(work, "langhost"), { recursive: true });
    const env = { ...process.env, CGO_ENABLED: "0", GOFLAGS: "-mod=mod", GOWORK: "off" };
    const opts = { cwd: work, env };

    // A wrapper module: `go install pkg@v` refuses modules with replace directives, so we require the CLI's module
    // at the exact version and copy its non-local replace directives.
    fs.writeFileSync(
        path.join(work, "tools.go"),
        '//go:build tools\n\npackage tools\n\nimport _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"\n',
    );
    fs.copyFileSync(
        path.join(packageRoot, "tools", "language-host", "main.go"),
        path.join(work, "langhost", "main.go"),
    );
    await run("Initialising the build module", "go", ["mod", "init", "local/pulumi-servicenow-clone-toolchain"], opts);
    const info = JSON.parse(
        await run(
            "Fetching the Pulumi CLI module",
            "go",
            ["mod", "download", "-json", `github.com/pulumi/pulumi/pkg/v3@${v}`],
            opts,
        ),
    );
    if (info.Error)
        throw new BootstrapError(`the Go module proxy has no github.com/pulumi/pulumi/pkg/v3@${v}: ${info.Error}`);
    const replaces = [];
    for (const m of fs
        .readFileSync(info.GoMod, "utf8")
        .matchAll(/^replace\s+(\S+)(?:\s+\S+)?\s+=>\s+(\S+)\s+(\S+)\s*$/gm)) {
        if (!m[2].startsWith(".")) replaces.push(`-replace=${m[1]}=${m[2]}@${m[3]}`);
    }
    const pins = [`-require=github.com/pulumi/pulumi/pkg/v3@${v}`, `-require=github.com/pulumi/pulumi/sdk/v3@${v}`];
    await run("Pinning versions", "go", ["mod", "edit", ...pins, ...replaces], opts);
    await run("Resolving dependencies (downloads once into the Go module cache)", "go", ["mod", "tidy"], opts);
    // tidy may raise sdk/v3 to satisfy another requirement; the CLI must be exactly the SDK's version.
    await run("Re-pinning versions", "go", ["mod", "edit", ...pins], opts);
    const ldflags = `-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=${v}`;
    const flags = ["build", "-trimpath", "-tags", "osusergo,grpcnotrace", "-ldflags", ldflags];
    const bin = path.join(work, "bin");
    await run(
        "Compiling the Pulumi CLI (the long step: several minutes on two cores)",
        "go",
        [...flags, "-o", path.join(bin, "pulumi"), "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"],
        opts,
    );
    await run(
        "Compiling the Node.js language host",
        "go",
        [...flags, "-o", path.join(bin, "pulumi-language-nodejs"), "./langhost"],
        opts,
    );
    // The engine runs dynamic providers through this shell shim, shipped in the npm SDK.
    const shim = path.join(packageRoot, "node_modules", "@pulumi", "pulumi", "pulumi-resource-pulumi-nodejs");
    fs.copyFileSync(shim, path.join(bin, "pulumi-resource-pulumi-nodejs"));
    fs.chmodSync(path.join(bin, "pulumi-resource-pulumi-nodejs"), 0o755);
    fs.writeFileSync(path.join(bin, ".language-host"), languageHostHash());

    const got = cliVersion(path.join(bin, "pulumi"));
    if (got !== version) throw new BootstrapError(`the CLI built reports version ${got}, expected ${version}`);
    fs.rmSync(root, { recursive: true, force: true });
    fs.mkdirSync(root, { recursive: true });
    fs.renameSync(bin, path.join(root, "bin"));
    fs.rmSync(work, { recursive: true, force: true });
}

async function ensurePulumi() {
    const version = sdkVersion();
    /** @type {{version: string, root: string, source: string}} */
    let toolchain;

    const fromPath = process.env.PULUMI_SERVICENOW_BUILD_CLI ? undefined : onPath("pulumi");
    const pathVersion = fromPath ? cliVersion(fromPath) : undefined;
    const root = path.join(cacheDir(), `pulumi-v${version}`);
    const cachedBin = path.join(root, "bin");
    const hostStamp = path.join(cachedBin, ".language-host");
    const cached =
        fs.existsSync(path.join(cachedBin, "pulumi-language-nodejs")) &&
        fs.existsSync(hostStamp) &&
        fs.readFileSync(hostStamp, "utf8") === languageHostHash() &&
        cliVersion(path.join(cachedBin, "pulumi")) === version;

    if (
        fromPath &&
        pathVersion &&
        pathVersion.split(".")[0] === version.split(".")[0] &&
        compareVersions(pathVersion, version) >= 0 &&
        fs.existsSync(path.join(path.dirname(fromPath), "pulumi-language-nodejs"))
    ) {
        // A CLI the user installed, as new as the SDK or newer within the major version: the engine protocol is
        // backward compatible, so use it rather than building.
        toolchain = {
            version: pathVersion,
            root: path.dirname(path.dirname(fromPath)),
            source: `on PATH: ${fromPath}`,
        };
    } else if (cached) {
        toolchain = { version, root, source: `cached build: ${cachedBin}` };
    } else {
        await buildCli(version, root);
        toolchain = { version, root, source: `built from the Go module proxy: ${cachedBin}` };
    }
    fs.writeFileSync(toolchainFile, `${JSON.stringify(toolchain, null, 2)}\n`);
    if (!quiet) say(`Pulumi CLI v${toolchain.version} (${toolchain.source})`);
}

async function main() {
    ensureDependencies();
    ensureSelfLink();
    await ensurePulumi();
    if (!quiet) say(`ready (${seconds()})`);
}

main().catch((err) => {
    if (err instanceof BootstrapError) {
        say(`error: ${err.message}`);
    } else {
        say(`unexpected error: ${err?.stack ?? err}`);
    }
    process.exit(1);
});
