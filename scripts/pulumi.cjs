#!/usr/bin/env node
// @ts-check
// `npm run pulumi -- <args>`: the bootstrapped Pulumi CLI with offline defaults (a file backend in .pulumi-state/,
// an empty passphrase, no update check, no plugin download). Anything set in the user's environment wins.
"use strict";

const { spawnSync } = require("node:child_process");
const path = require("node:path");
const { readToolchain, pulumiEnv } = require("./toolchain.cjs");

const toolchain = readToolchain();
if (!toolchain) {
    process.stderr.write("The Pulumi CLI is not prepared yet: run `npm run bootstrap` first.\n");
    process.exit(1);
}
const res = spawnSync(path.join(toolchain.root, "bin", "pulumi"), process.argv.slice(2), {
    stdio: "inherit",
    env: pulumiEnv(toolchain),
});
if (res.error) {
    process.stderr.write(`Could not run the Pulumi CLI: ${res.error.message}\n`);
    process.exit(1);
}
process.exit(res.status ?? 1);
