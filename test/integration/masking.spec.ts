import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { startEmulator } from "../../emulator/index";
import { ServiceNowClient } from "../../provider/client/client";
import { packageRoot } from "../../sdk/toolchain";
import { logMark, writesSince } from "../fixtures/bulk/support";
import { withTempStack } from "../support/pulumi";

const PASSWORD = "Masking-Integration-Pa55word!";
const SALT = "masking-integration-salt-8c1f0d";
// An original value planted in a masked field: it must never show up in state, logs or output.
const PLANTED = "planted.original.0417@acme-corp.com";

type Outputs = { maskedCount: number; unmaskedCount: number; exceptedCount: number };

describe("DataMasking through the Pulumi CLI", function () {
    this.timeout(600_000);
    let emu: Awaited<ReturnType<typeof startEmulator>>;
    let uat: ServiceNowClient;

    before(async () => {
        const compiled = path.join(packageRoot, "dist", "test", "fixtures", "masking", "index.js");
        assert.ok(fs.existsSync(compiled), `${compiled} is missing: run \`npm run build\` (npm test does) first`);
        emu = await startEmulator({
            instances: [
                { name: "acme-uat", port: 0, seed: "production" },
                { name: "acme", port: 0, seed: "production" },
            ],
            users: 400,
            jobs: 40,
            adminPassword: PASSWORD,
            randomSeed: 17,
        });
        uat = client("acme-uat");
    });
    after(async () => emu?.stop());

    function client(name: string): ServiceNowClient {
        return new ServiceNowClient({
            url: emu.instances.get(name)!.url,
            credentials: { kind: "basic", username: "admin", password: PASSWORD },
            instanceName: name,
        });
    }

    function stackConfig(instance: string, extra: Record<string, string> = {}) {
        return {
            "servicenow:instanceUrl": { value: emu.instances.get(instance)!.url },
            "servicenow:username": { value: "admin" },
            "servicenow:password": { value: PASSWORD, secret: true },
            "servicenow:instanceName": { value: instance },
            "servicenow:productionInstances": { value: JSON.stringify(["acme"]) },
            "servicenow:maskingSalt": { value: SALT, secret: true },
            ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, { value: v }])),
        };
    }

    async function user(name: string): Promise<Record<string, string>> {
        const [u] = await uat.query("sys_user", {
            query: `user_name=${name}`,
            fields: ["sys_id", "name", "email", "phone", "mobile_phone"],
        });
        return u!;
    }

    it("masks once, writes nothing the second time, keeps the excepted user, and re-masks a hand-restored value", async () => {
        const trainer = await user("trainer.one");
        await uat.update("sys_user", trainer.sys_id!, { email: PLANTED });
        const lead = await user("uat.lead");
        const printed: string[] = [];

        await withTempStack(
            "masking",
            stackConfig("acme-uat", {
                "masking:cloneEpoch": "0123456789abcdef0123456789abcdef@2026-11-30T09:00:00Z",
                "masking:exceptUsers": JSON.stringify(["uat.lead"]),
            }),
            async ({ stack, readState, stateDir }) => {
                const up = await stack.up();
                printed.push(up.stdout, up.stderr);
                assert.equal(up.summary.result, "succeeded");
                const outs = up.outputs.outputs!.value as Outputs;
                assert.equal(outs.unmaskedCount, 0);
                assert.equal(outs.exceptedCount, 2, "uat.lead and the stack's own admin");
                const masked = await user("trainer.one");
                assert.match(masked.email!, /^user\.\d{6}@example\.invalid$/);
                assert.equal(masked.mobile_phone, "");
                assert.deepEqual(await user("uat.lead"), lead, "the excepted user is untouched");

                const mark = logMark(emu, "acme-uat");
                const again = await stack.up({ expectNoChanges: true });
                printed.push(again.stdout, again.stderr);
                assert.deepEqual(writesSince(emu, "acme-uat", mark), [], "a second up writes nothing");

                // Someone puts the original back by hand.
                await uat.update("sys_user", trainer.sys_id!, { email: PLANTED });
                const preview = await stack.preview({ refresh: true, diff: true });
                printed.push(preview.stdout, preview.stderr);
                assert.equal(preview.changeSummary.update, 1);
                assert.match(preview.stdout, /unmaskedCount\s*:\s*0 => 1/);
                const repairMark = logMark(emu, "acme-uat");
                const repair = await stack.up({ refresh: true });
                printed.push(repair.stdout, repair.stderr);
                assert.equal(repair.summary.resourceChanges?.update, 1);
                const rewritten = writesSince(emu, "acme-uat", repairMark).filter((w) => w.batch);
                assert.equal(rewritten.length, 1, "only the restored record is written");
                assert.deepEqual(await user("trainer.one"), masked, "masked to the same value again");
                await stack.up({ expectNoChanges: true, refresh: true });

                const destroyMark = logMark(emu, "acme-uat");
                const destroy = await stack.destroy();
                printed.push(destroy.stdout, destroy.stderr);
                assert.deepEqual(writesSince(emu, "acme-uat", destroyMark), [], "destroy writes nothing");
                assert.deepEqual(await user("trainer.one"), masked, "destroy cannot and does not unmask");

                const everything = [readState(), readTree(path.dirname(stateDir)), ...printed].join("\n");
                assert.ok(!everything.includes(PLANTED), "the planted original is nowhere in state, logs or output");
                assert.ok(!everything.includes(SALT), "nor is the salt");
            },
        );
    });

    it("refuses the production instance with no write", async () => {
        const mark = logMark(emu, "acme");
        await withTempStack(
            "masking",
            stackConfig("acme", { "masking:cloneEpoch": "0123456789abcdef0123456789abcdef@2026-11-30T09:00:00Z" }),
            async ({ stack }) => {
                await assert.rejects(stack.up(), (e: Error) => {
                    assert.match(e.message, /refusing to write.*declared production instance/s);
                    return true;
                });
            },
        );
        assert.deepEqual(writesSince(emu, "acme", mark), [], "0 writes on production");
    });

    it("fails the tripwire on a data source and a connection on a production host, naming them, before any write", async () => {
        const mark = logMark(emu, "acme-uat");
        await withTempStack(
            "masking",
            stackConfig("acme-uat", {
                "masking:productionHosts": JSON.stringify(["sftp.acme-corp.com", "auth.acme-corp.com"]),
            }),
            async ({ stack }) => {
                await assert.rejects(stack.up(), (e: Error) => {
                    assert.match(e.message, /sys_data_source "Payroll feed \(SFTP\)"/);
                    assert.match(e.message, /http_connection "Identity gateway"/);
                    assert.match(e.message, /nothing was written/);
                    return true;
                });
            },
        );
        assert.deepEqual(writesSince(emu, "acme-uat", mark), []);
    });
});

function readTree(dir: string): string {
    let out = "";
    for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
        if (entry.isFile() && fs.statSync(path.join(entry.parentPath, entry.name)).size < 5_000_000)
            out += fs.readFileSync(path.join(entry.parentPath, entry.name), "utf8");
    }
    return out;
}
