/**
 * A first apply of a committed stack on an instance that was never cloned: the error names that cause and the way
 * out, not whichever resource failed first.
 */
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { isWriteRequest, type RunningEmulator, startEmulator } from "../../emulator/index";
import { packageRoot } from "../../sdk/toolchain";

const BIN = path.join(packageRoot, "bin", "sn-clone.cjs");
const PROJECT = path.join(packageRoot, "test", "fixtures", "env-cli");

describe("a first apply on a never-cloned instance", function () {
    this.timeout(600_000);
    let emu: RunningEmulator;
    let tmp: string;
    const stack = `first${process.pid}`;
    const stackFile = path.join(PROJECT, `Pulumi.${stack}.yaml`);

    before(async () => {
        emu = await startEmulator({
            instances: [
                { name: "acme", seed: "production" },
                { name: "acme-dev", seed: "empty" },
            ],
            users: 200,
            jobs: 40,
        });
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pssc-first-"));
        fs.mkdirSync(path.join(tmp, "state"));
        const dev = fs.readFileSync(path.join(packageRoot, "stacks", "Pulumi.dev.yaml"), "utf8");
        fs.writeFileSync(
            stackFile,
            dev
                .replace(/servicenow:instanceUrl: .*/, `servicenow:instanceUrl: ${emu.instances.get("acme-dev")!.url}`)
                .replace(/servicenow:username: .*/, "servicenow:username: admin")
                .replace(
                    /servicenow:sourceInstanceUrl: .*/,
                    `servicenow:sourceInstanceUrl: ${emu.instances.get("acme")!.url}`,
                )
                .replace(/servicenow:sourceUsername: .*/, "servicenow:sourceUsername: admin")
                .replace(/servicenow:productionInstances: .*/, "servicenow:productionInstances: acme"),
        );
    });
    after(async () => {
        fs.rmSync(stackFile, { force: true });
        await emu?.stop();
        if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    });

    it("says the instance has not been cloned yet and how to clone it, exit 1, nothing written", async () => {
        const mark = emu.stats.lastSeq;
        const r = await new Promise<{ code: number | null; out: string }>((resolve, reject) => {
            const child = spawn(
                process.execPath,
                [
                    BIN,
                    "--no-progress",
                    "--work-dir",
                    PROJECT,
                    "--backend-url",
                    `file://${path.join(tmp, "state")}`,
                    "--pulumi-home",
                    path.join(tmp, "home"),
                    "apply",
                    stack,
                ],
                {
                    env: {
                        ...process.env,
                        PULUMI_CONFIG_PASSPHRASE: "first",
                        SERVICENOW_PASSWORD: "admin",
                        SERVICENOW_SOURCE_PASSWORD: "admin",
                    },
                    stdio: ["ignore", "pipe", "pipe"],
                },
            );
            let out = "";
            child.stdout.on("data", (d) => {
                out += d;
            });
            child.stderr.on("data", (d) => {
                out += d;
            });
            child.on("error", reject);
            child.on("close", (code) => resolve({ code, out }));
        });
        assert.equal(r.code, 1, r.out);
        assert.match(r.out, /acme-dev has not been cloned from acme yet/);
        assert.match(r.out, new RegExp(`sn-clone apply ${stack} --clone`));
        const writes = emu.stats.requests("acme-dev", mark).filter(isWriteRequest);
        assert.deepEqual(writes, [], "nothing was written to the instance");
    });
});
