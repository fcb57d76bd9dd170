import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as path from "node:path";
import { promisify } from "node:util";
import { type RunningEmulator, startEmulator } from "../../emulator/index";
import { ServiceNowClient } from "../../provider/client/client";
import { UntrustedCertificateError } from "../../provider/errors";
import { packageRoot } from "../../sdk/toolchain";

describe("an instance behind a certificate from a private CA", function () {
    this.timeout(60_000);
    let emu: RunningEmulator;
    let url: string;

    before(async () => {
        emu = await startEmulator({ instances: [{ name: "acme-dev", seed: "empty" }], tls: true });
        url = emu.instances.get("acme-dev")!.url;
    });
    after(async () => emu.stop());

    it("fails at once with a message naming NODE_EXTRA_CA_CERTS, not as a transport error after retries", async () => {
        const client = new ServiceNowClient({
            url,
            credentials: { kind: "basic", username: "admin", password: "admin" },
        });
        const before = emu.stats.lastSeq;
        await assert.rejects(client.query("sys_user", { limit: 1 }), (err: unknown) => {
            assert.ok(err instanceof UntrustedCertificateError, String(err));
            assert.equal(err.retryable, false);
            assert.match(
                err.message,
                /TLS certificate is not trusted.*NODE_EXTRA_CA_CERTS.*\((SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|DEPTH_ZERO_SELF_SIGNED_CERT)\)/,
            );
            assert.doesNotMatch(err.message, /after retries|admin/);
            return true;
        });
        assert.equal(emu.stats.requests(undefined, before).length, 0, "no request got through");
    });

    it("works once NODE_EXTRA_CA_CERTS names the CA, as docs/troubleshooting.md says", async () => {
        // Node reads NODE_EXTRA_CA_CERTS at start, so the recipe is checked in a process started with it.
        const client = path.join(packageRoot, "dist", "provider", "client", "client.js");
        const script = `new (require(${JSON.stringify(client)}).ServiceNowClient)({ url: process.argv[1], credentials: { kind: "basic", username: "admin", password: "admin" } }).query("sys_user", { limit: 1, fields: ["user_name"] }).then((rows) => console.log(rows.length), (e) => { console.error(e.message); process.exit(1); });`;
        const { stdout } = await promisify(execFile)(process.execPath, ["-e", script, url], {
            env: { ...process.env, NODE_EXTRA_CA_CERTS: emu.caPath },
        });
        assert.equal(stdout.trim(), "1");
    });
});
