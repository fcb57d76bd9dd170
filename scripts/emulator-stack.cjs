#!/usr/bin/env node
// @ts-check
// `npm run emulator:stack -- <env>`: one command to try a committed stack (stacks/Pulumi.<env>.yaml) on the emulator.
//
// It writes stacks/Pulumi.<env>-emulator.yaml (git-ignored): the committed stack with its connection keys pointed at
// the emulator, then starts the emulator with the stack's own source and target instance names (production seeded,
// the target empty until cloned) and keeps it running until Ctrl-C. The password is not written anywhere: the
// emulator's is `admin`, which sn-clone and the providers read from SERVICENOW_PASSWORD and SERVICENOW_SOURCE_PASSWORD
// (printed below). The committed stack file is never touched.
"use strict";

const fs = require("node:fs");
const path = require("node:path");
const { packageRoot } = require("./toolchain.cjs");

const USAGE = "usage: npm run emulator:stack -- <environment> [--source-port N] [--target-port N] [--users N]";

/** @param {string[]} argv */
function parseArgs(argv) {
    /** @type {{ env?: string, sourcePort: number, targetPort: number, users: number }} */
    const out = { sourcePort: 8101, targetPort: 8102, users: 2000 };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const num = () => {
            const n = Number(argv[++i]);
            if (!Number.isInteger(n) || n < 0) throw new Error(`${a} needs a non-negative integer\n${USAGE}`);
            return n;
        };
        if (a === "--source-port") out.sourcePort = num();
        else if (a === "--target-port") out.targetPort = num();
        else if (a === "--users") out.users = num();
        else if (a === "--help" || a === "-h") {
            process.stdout.write(`${USAGE}\n`);
            process.exit(0);
        } else if (!a.startsWith("-") && !out.env) out.env = a;
        else throw new Error(`unknown argument ${a}\n${USAGE}`);
    }
    if (!out.env) throw new Error(USAGE);
    return out;
}

/**
 * The committed stack's text with the connection keys pointed at the emulator.
 * @param {string} text
 * @param {{ targetUrl: string, sourceUrl: string, target: string, source: string }} at
 */
function pointAtEmulator(text, at) {
    const keys = {
        "servicenow:instanceUrl": at.targetUrl,
        "servicenow:username": "admin",
        "servicenow:instanceName": at.target,
        "servicenow:productionInstances": `${at.source}, ${at.sourceUrl}`,
        "servicenow:sourceInstanceUrl": at.sourceUrl,
        "servicenow:sourceUsername": "admin",
        "servicenow:sourceInstanceName": at.source,
    };
    let out = text.replace(/^(encryptionsalt|secretsprovider|encryptedkey):.*\n/gm, "");
    for (const [key, value] of Object.entries(keys)) {
        const line = new RegExp(`^(\\s+)${key.replace(":", "\\:")}:.*$`, "m");
        out = line.test(out)
            ? out.replace(line, `$1${key}: ${value}`)
            : out.replace(/^config:\n/m, `config:\n    ${key}: ${value}\n`);
    }
    // Keys that would point elsewhere or need secrets the emulator does not use.
    return out.replace(
        /^\s+servicenow:(clientId|clientSecret|sourceClientId|sourceClientSecret|password|sourcePassword):.*\n/gm,
        "",
    );
}

async function main() {
    const args = parseArgs(process.argv.slice(2));
    const env = /** @type {string} */ (args.env);
    const committed = path.join(packageRoot, "stacks", `Pulumi.${env}.yaml`);
    if (!fs.existsSync(committed)) throw new Error(`stacks/Pulumi.${env}.yaml does not exist`);
    const text = fs.readFileSync(committed, "utf8");
    const target = /^\s+servicenow:instanceName:\s*(\S+)/m.exec(text)?.[1] ?? `acme-${env}`;
    const source = /^\s+servicenow:sourceInstanceName:\s*(\S+)/m.exec(text)?.[1] ?? "acme";
    const emulatorJs = path.join(packageRoot, "dist", "emulator", "index.js");
    if (!fs.existsSync(emulatorJs)) throw new Error("dist/emulator is missing; run `npm run build` first");
    /** @type {typeof import("../emulator/index")} */
    const { startEmulator } = require(emulatorJs);
    const emu = await startEmulator({
        instances: [
            { name: source, port: args.sourcePort, seed: "production" },
            { name: target, port: args.targetPort, seed: "empty" },
        ],
        users: args.users,
    });
    const sourceUrl = /** @type {NonNullable<ReturnType<typeof emu.instances.get>>} */ (emu.instances.get(source)).url;
    const targetUrl = /** @type {NonNullable<ReturnType<typeof emu.instances.get>>} */ (emu.instances.get(target)).url;
    const stack = `${env}-emulator`;
    fs.writeFileSync(
        path.join(packageRoot, "stacks", `Pulumi.${stack}.yaml`),
        `# Written by \`npm run emulator:stack -- ${env}\`: stacks/Pulumi.${env}.yaml pointed at the emulator (git-ignored).\n` +
            pointAtEmulator(text, { targetUrl, sourceUrl, target, source }),
    );
    process.stdout.write(
        `Emulator: ${source} (production) on ${sourceUrl}, ${target} (never cloned) on ${targetUrl}\n` +
            `Stack ${stack}: stacks/Pulumi.${stack}.yaml, the ${env} stack pointed at the emulator.\n\n` +
            "In another terminal:\n" +
            "  export SERVICENOW_PASSWORD=admin SERVICENOW_SOURCE_PASSWORD=admin\n" +
            `  npx sn-clone apply ${stack} --clone     # clone ${source} into ${target}, then converge\n` +
            `  npx sn-clone drift ${stack}\n\n` +
            "Ctrl-C stops the emulator (its data lives in memory).\n",
    );
    const stop = () => {
        emu.stop().finally(() => process.exit(0));
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
}

main().catch((err) => {
    process.stderr.write(`emulator:stack: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
});
