#!/usr/bin/env node
// Runs the compiled emulator CLI; `npm run build` (tsc -b) produces dist/emulator/cli.js.
"use strict";
const path = require("node:path");
const cli = path.join(__dirname, "..", "dist", "emulator", "cli.js");
let mod;
try {
    mod = require(cli);
} catch (err) {
    if (err && err.code === "MODULE_NOT_FOUND" && String(err.message).includes("cli.js")) {
        process.stderr.write("sn-emulator: dist/emulator/cli.js is missing; run `npm run build` first\n");
        process.exit(1);
    }
    throw err;
}
mod.main(process.argv).catch((err) => {
    process.stderr.write(`sn-emulator: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
});
