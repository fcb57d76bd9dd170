import * as assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import * as path from "node:path";
import { buildCommand } from "../../emulator/cli";

const ROOT = path.resolve(__dirname, "../..");

describe("sn-emulator command", () => {
    it("documents every flag in --help", () => {
        const help = buildCommand().helpInformation();
        for (const flag of [
            "--instance",
            "--data",
            "--seed",
            "--users",
            "--jobs",
            "--admin-password",
            "--latency-ms",
            "--fault-rate",
            "--random-seed",
            "--tls",
            "--clone-duration-ms",
            "--welcome-table",
            "--batch-quota-ms",
        ]) {
            assert.ok(help.includes(flag), flag);
        }
    });

    it("rejects a malformed --instance", () => {
        const cmd = buildCommand()
            .exitOverride()
            .configureOutput({ writeErr: () => {} });
        assert.throws(() => cmd.parse(["node", "cli", "--instance", "prod"]), /name=port/);
    });

    describe("running", () => {
        let child: ChildProcess | undefined;
        after(async () => {
            if (child && child.exitCode === null && child.signalCode === null) {
                const exited = new Promise((r) => child!.once("exit", r));
                child.kill("SIGKILL");
                await exited;
            }
        });

        it("prints one line per instance, serves verifiable HTTPS with --tls, and stops cleanly on SIGTERM", async () => {
            child = spawn(
                process.execPath,
                [
                    "--require",
                    "tsx/cjs",
                    "emulator/cli.ts",
                    "--instance",
                    "prod=0",
                    "--instance",
                    "dev=0:empty",
                    "--tls",
                    "--users",
                    "30",
                    "--jobs",
                    "10",
                ],
                { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
            );
            let out = "";
            await new Promise<void>((resolve, reject) => {
                child!.stdout!.on("data", (c: Buffer) => {
                    out += c.toString();
                    if (out.includes("CA certificate:")) resolve();
                });
                child!.on("exit", (code) => reject(new Error(`exited ${code}`)));
            });
            const lines = out.trim().split("\n");
            assert.match(lines[0]!, /^instance prod listening on https:\/\/127\.0\.0\.1:\d+$/);
            assert.match(lines[1]!, /^instance dev listening on https:\/\/127\.0\.0\.1:\d+$/);
            const caPath = lines[2]!.replace("CA certificate: ", "");
            const ca = fs.readFileSync(caPath, "utf8");
            const url = lines[1]!.split(" ").pop()!;
            const status = await new Promise<number>((resolve, reject) => {
                https
                    .get(
                        `${url}/api/now/table/sys_properties?name=instance_name`,
                        { ca, auth: "admin:admin" },
                        (res) => {
                            res.resume();
                            resolve(res.statusCode!);
                        },
                    )
                    .on("error", reject);
            });
            assert.equal(status, 200);
            const code = await new Promise<number | null>((resolve) => {
                child!.once("exit", (c) => resolve(c));
                child!.kill("SIGTERM");
            });
            assert.equal(code, 0);
            assert.equal(fs.existsSync(caPath), false, "the temporary CA is removed at stop");
        });
    });
});
