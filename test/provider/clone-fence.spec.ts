/**
 * The fence on clone requests: a clone into a declared production instance, or into any instance the stack does not
 * declare as its target, is refused before the request is sent: at preview (CloneRun's check), in the client (every
 * write path), and in the automation library's clone driver. The source's request log shows no write.
 */
import * as assert from "node:assert/strict";
import { isWriteRequest } from "../../emulator/index";
import { clientFor, configureConnections } from "../../provider/connection";
import { UnsafeTargetError } from "../../provider/errors";
import { cloneRunProvider } from "../../provider/resources/clone-run";
import { cloneInstance } from "../../sdk/automation/clone";
import { type ClonePair, startClonePair } from "../fixtures/clone-support/emulator";

describe("the fence on clone requests", function () {
    this.timeout(60_000);
    let pair: ClonePair;
    before(async () => {
        pair = await startClonePair(600);
        // A second instance registered on the source as a clone target, which this stack does not declare.
        pair.source.db.insert("instance", { instance_name: "qa", instance_url: "https://acme-qa.example.com" });
    });
    after(async () => pair?.stop());

    const writesOnSource = (seq: number) =>
        pair.emulator.stats
            .requests("prod", seq)
            .filter(isWriteRequest)
            .map((e) => `${e.method} ${e.path}`);
    const configure = (overrides: Record<string, string>) => {
        const config = { ...pair.config, ...overrides };
        configureConnections({ get: (k: string) => config[k], require: (k: string) => config[k]! } as never);
    };
    afterEach(() => configure({}));

    it("refuses at preview a request into a declared production instance, naming targetInstance", async () => {
        configure({ "servicenow:productionInstances": "prod, dev" });
        const seq = pair.emulator.stats.lastSeq;
        const r = await cloneRunProvider.check!({} as never, { targetInstance: "dev" } as never);
        assert.equal(r.failures?.[0]?.property, "targetInstance");
        assert.match(r.failures![0]!.reason, /refusing to request a clone into "dev".*declared production instance/);
        assert.match(r.failures![0]!.reason, /\(received "dev"\)/);
        assert.deepEqual(writesOnSource(seq), []);
    });

    it("refuses at preview a request into an instance the stack does not declare as its target", async () => {
        const seq = pair.emulator.stats.lastSeq;
        const r = await cloneRunProvider.check!({} as never, { targetInstance: "qa" } as never);
        assert.equal(r.failures?.[0]?.property, "targetInstance");
        assert.match(r.failures![0]!.reason, /the stack's target is "dev"/);
        assert.deepEqual(writesOnSource(seq), []);
    });

    it("refuses in the client, whatever sends the request", async () => {
        const source = await clientFor("source");
        const qa = pair.source.db.query("instance", "instance_name=qa")[0]!;
        const seq = pair.emulator.stats.lastSeq;
        await assert.rejects(
            source.insert("sn_instance_clone_request", { state: "Requested", target_instance: qa.sys_id! }),
            (e) => e instanceof UnsafeTargetError && /the stack's target is "dev"/.test(e.message),
        );
        assert.deepEqual(writesOnSource(seq), []);
    });

    it("refuses in the automation library's clone driver, with the fence's production list", async () => {
        const seq = pair.emulator.stats.lastSeq;
        await assert.rejects(
            cloneInstance({
                sourceUrl: pair.source.url,
                sourceUsername: "admin",
                sourcePassword: "admin",
                sourceInstanceName: "prod",
                targetInstanceName: "dev",
                productionInstances: "prod,dev",
                pollMs: 20,
            }),
            (e) => e instanceof UnsafeTargetError && /declared production instance/.test(e.message),
        );
        assert.deepEqual(writesOnSource(seq), []);
    });
});
