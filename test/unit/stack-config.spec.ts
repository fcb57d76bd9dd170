import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { ConnectionConfigError } from "../../provider/errors";
import { readStackConfig } from "../../provider/stack-config";
import { withoutProviders } from "../../sdk/automation/environment";

/** A stand-in for the Pulumi CLI that prints `stdout` (or fails with `stderr`), so no engine is needed. */
function fakeCli(dir: string, stdout: string, stderr = "", code = 0): string {
    const file = path.join(dir, "pulumi");
    fs.writeFileSync(file, `#!/bin/sh\nprintf '%s' '${stdout}'\nprintf '%s' '${stderr}' >&2\nexit ${code}\n`, {
        mode: 0o755,
    });
    return file;
}

describe("reading the stack config at run time", () => {
    let dir: string;
    const saved = process.env.PULUMI_SERVICENOW_CLI;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "pssc-stack-config-"));
    });
    afterEach(() => {
        if (saved === undefined) delete process.env.PULUMI_SERVICENOW_CLI;
        else process.env.PULUMI_SERVICENOW_CLI = saved;
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("returns every key with secrets in plain text and structured values as JSON", async () => {
        process.env.PULUMI_SERVICENOW_CLI = fakeCli(
            dir,
            JSON.stringify({
                "servicenow:instanceUrl": { value: "https://acme-qa.service-now.com", secret: false },
                "servicenow:password": { value: "pw", secret: true },
                "environment:access": { objectValue: { allowRoles: ["admin"] }, secret: false },
            }),
        );
        assert.deepEqual(await readStackConfig("qa", dir), {
            "servicenow:instanceUrl": "https://acme-qa.service-now.com",
            "servicenow:password": "pw",
            "environment:access": '{"allowRoles":["admin"]}',
        });
    });

    it("fails with a ConnectionConfigError naming the stack and the way out when the CLI cannot read it", async () => {
        process.env.PULUMI_SERVICENOW_CLI = fakeCli(dir, "", "error: incorrect passphrase", 255);
        await assert.rejects(readStackConfig("qa", dir), (err: unknown) => {
            assert.ok(err instanceof ConnectionConfigError);
            assert.match(err.message, /stack qa .*incorrect passphrase.*PULUMI_CONFIG_PASSPHRASE.*SERVICENOW_\*/);
            return true;
        });
    });
});

describe("change counts", () => {
    const step = (seq: number, urn: string, type: string, op: string): EngineEvent => ({
        sequence: seq,
        timestamp: 0,
        resourcePreEvent: { metadata: { urn, type, op, provider: "" } as never },
    });

    it("leave out provider resources and count a replacement once", () => {
        const events = [
            step(1, "u::stack", "pulumi:pulumi:Stack", "same"),
            step(2, "u::servicenow", "pulumi:providers:pulumi-nodejs", "create"),
            step(3, "u::email", "pulumi-nodejs:dynamic/servicenow:EmailPolicy", "refresh"),
            step(4, "u::email", "pulumi-nodejs:dynamic/servicenow:EmailPolicy", "update"),
            step(5, "u::jobs", "pulumi-nodejs:dynamic/servicenow:ScheduledJobState", "create-replacement"),
            step(6, "u::jobs", "pulumi-nodejs:dynamic/servicenow:ScheduledJobState", "delete-replaced"),
        ];
        assert.deepEqual(withoutProviders({ same: 1, create: 2, update: 1, replace: 1 }, events), {
            same: 1,
            update: 1,
            replace: 1,
        });
    });

    it("keep the engine's counts when the events carry no steps", () => {
        assert.deepEqual(withoutProviders({ create: 3 }, []), { create: 3 });
    });
});
