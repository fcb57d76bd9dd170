// @ts-check
// Where the project's toolchain lives and how to call the Pulumi CLI with it. Plain CommonJS on purpose: this runs
// before `npm ci`, on whatever Node the machine has (possibly 20), so it can use nothing but Node's built-ins.
"use strict";

const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

/** The repository (package) root. */
const packageRoot = path.resolve(__dirname, "..");

/** Written by the bootstrap once a usable Pulumi CLI is known; read by scripts/pulumi.cjs and sdk/toolchain.ts. */
const toolchainFile = path.join(packageRoot, "node_modules", ".pulumi-toolchain.json");

/**
 * The cache for CLI builds, outside the repository so a fresh clone reuses it.
 * Override with PULUMI_SERVICENOW_TOOLCHAIN_DIR.
 * @returns {string}
 */
function cacheDir() {
    if (process.env.PULUMI_SERVICENOW_TOOLCHAIN_DIR) return path.resolve(process.env.PULUMI_SERVICENOW_TOOLCHAIN_DIR);
    const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
    return path.join(base, "pulumi-servicenow-clone");
}

/**
 * The recorded toolchain, or undefined when the bootstrap has not run.
 * @returns {{ version: string, root: string, source: string } | undefined}
 */
function readToolchain() {
    try {
        return JSON.parse(fs.readFileSync(toolchainFile, "utf8"));
    } catch {
        return undefined;
    }
}

/**
 * The environment every Pulumi command gets: offline defaults that the user's own environment overrides.
 * @param {{ root: string }} toolchain
 * @param {NodeJS.ProcessEnv} base
 * @returns {NodeJS.ProcessEnv}
 */
function pulumiEnv(toolchain, base = process.env) {
    const env = { ...base };
    const bin = path.join(toolchain.root, "bin");
    const nodeBin = path.join(packageRoot, "node_modules", ".bin");
    // Node 24 (node_modules/.bin) first, so the language host and the dynamic-provider shim run on it; then the CLI.
    env.PATH = [nodeBin, bin, base.PATH ?? ""].join(path.delimiter);
    env.PULUMI_BACKEND_URL ??= `file://${path.join(packageRoot, ".pulumi-state")}`;
    if (env.PULUMI_CONFIG_PASSPHRASE === undefined && env.PULUMI_CONFIG_PASSPHRASE_FILE === undefined) {
        // The file backend encrypts secrets with a passphrase; an empty one keeps local trials non-interactive.
        // Anyone keeping real credentials in a stack sets their own (see README, "Using a real instance").
        env.PULUMI_CONFIG_PASSPHRASE = "";
    }
    // refresh, destroy and `up --refresh` run the program, so providers are configured from the current stack config
    // (a rotated password, a new instanceUrl, a changed productionInstances), not from what the last update saw.
    env.PULUMI_RUN_PROGRAM ??= "true";
    env.PULUMI_SKIP_UPDATE_CHECK ??= "true";
    env.PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION ??= "true";
    return env;
}

module.exports = { packageRoot, toolchainFile, cacheDir, readToolchain, pulumiEnv };
