#!/usr/bin/env node
// Runs the compiled sn-clone CLI; `npm run build` (tsc -b) produces dist/sdk/cli/index.js.
"use strict";
const path = require("node:path");
const cli = path.join(__dirname, "..", "dist", "sdk", "cli", "index.js");
let mod;
try {
    mod = require(cli);
} catch (err) {
    if (err && err.code === "MODULE_NOT_FOUND" && String(err.message).includes(cli)) {
        process.stderr.write("sn-clone: dist/sdk/cli/index.js is missing; run `npm run build` first\n");
        process.exit(1);
    }
    throw err;
}
mod.main(process.argv).then(
    (code) => {
        process.exitCode = code;
    },
    (err) => {
        process.stderr.write(`sn-clone: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exitCode = 1;
    },
);
