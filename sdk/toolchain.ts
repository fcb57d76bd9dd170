/**
 * Finds the package root and the Pulumi CLI the package bootstraps, for the automation library and the CLI.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { PulumiCommand } from "@pulumi/pulumi/automation";

/** The package root (this file compiles to dist/sdk/toolchain.js or runs from sdk/toolchain.ts under tsx). */
export const packageRoot = findPackageRoot(__dirname);

/** What the bootstrap recorded about the Pulumi CLI it chose. */
export interface Toolchain {
    /** CLI version, without a leading "v". */
    version: string;
    /** Directory whose `bin/` holds pulumi, pulumi-language-nodejs and pulumi-resource-pulumi-nodejs. */
    root: string;
    /** Where it came from, for messages. */
    source: string;
}

/**
 * The Pulumi CLI this project's bootstrap prepared, or `undefined` when the bootstrap has not run here (for example
 * when this package is installed as a dependency: then the user's own `pulumi` on PATH is used).
 */
export function bootstrappedToolchain(): Toolchain | undefined {
    const file = path.join(packageRoot, "node_modules", ".pulumi-toolchain.json");
    try {
        return JSON.parse(fs.readFileSync(file, "utf8")) as Toolchain;
    } catch {
        return undefined;
    }
}

/**
 * The Pulumi CLI to drive through the Automation API: the bootstrapped one if any, else `pulumi` on PATH.
 * Never downloads (the Automation API's `PulumiCommand.install()` would fetch from the internet).
 */
export async function resolvePulumiCommand(): Promise<PulumiCommand> {
    const toolchain = bootstrappedToolchain();
    return toolchain ? PulumiCommand.get({ root: toolchain.root }) : PulumiCommand.get();
}

/**
 * Environment for every Pulumi command run offline: no update check, no plugin download, and the PATH that puts
 * Node 24 and the CLI's plugins first. Values already in `overrides` or in the user's environment win. The backend
 * is the caller's choice (`overrides.PULUMI_BACKEND_URL`, see `defaultBackendUrl` in sdk/automation/backend.ts).
 *
 * @param overrides e.g. `{ PULUMI_BACKEND_URL: "file:///tmp/state" }`.
 */
export function offlineEnv(overrides: Record<string, string> = {}): Record<string, string> {
    const toolchain = bootstrappedToolchain();
    const pathParts = [path.join(packageRoot, "node_modules", ".bin")];
    if (toolchain) pathParts.push(path.join(toolchain.root, "bin"));
    pathParts.push(process.env.PATH ?? "");
    const env: Record<string, string> = {
        PATH: pathParts.join(path.delimiter),
        PULUMI_SKIP_UPDATE_CHECK: process.env.PULUMI_SKIP_UPDATE_CHECK ?? "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: process.env.PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION ?? "true",
    };
    if (process.env.PULUMI_CONFIG_PASSPHRASE === undefined && process.env.PULUMI_CONFIG_PASSPHRASE_FILE === undefined) {
        // Same default as scripts/toolchain.cjs: local trials stay non-interactive; real stacks set their own.
        env.PULUMI_CONFIG_PASSPHRASE = "";
    }
    return { ...env, ...overrides };
}

function findPackageRoot(start: string): string {
    let dir = start;
    for (;;) {
        const pkg = path.join(dir, "package.json");
        if (fs.existsSync(pkg) && JSON.parse(fs.readFileSync(pkg, "utf8")).name === "pulumi-servicenow-clone")
            return dir;
        const parent = path.dirname(dir);
        if (parent === dir) throw new Error(`pulumi-servicenow-clone: cannot find the package root above ${start}`);
        dir = parent;
    }
}
