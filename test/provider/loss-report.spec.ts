/**
 * The clone loss report read from a dev instance holding work in progress, with production as the source.
 */
import * as assert from "node:assert/strict";
import type { RunningEmulator } from "../../emulator/index";
import { isWriteRequest, startEmulator } from "../../emulator/index";
import { ServiceNowClient } from "../../provider/client/client";
import {
    formatLossReport,
    lostItems,
    noLossFailure,
    readLossReport,
    withCarried,
} from "../../provider/clone/loss-report";

describe("clone loss report", function () {
    this.timeout(60_000);
    let emu: RunningEmulator;
    let dev: ServiceNowClient;
    let prod: ServiceNowClient;

    before(async () => {
        emu = await startEmulator({
            instances: [
                { name: "prod", seed: "production" },
                { name: "dev", seed: "empty", workInProgress: true },
            ],
            users: 100,
            jobs: 20,
        });
        const client = (name: string) =>
            new ServiceNowClient({
                url: emu.instances.get(name)!.url,
                credentials: { kind: "basic", username: "admin", password: "admin" },
                instanceName: name,
            });
        dev = client("dev");
        prod = client("prod");
    });
    after(() => emu.stop());

    it("names the two global sets, the scoped set, the scoped app and the plugin production lacks", async () => {
        const before = emu.stats.lastSeq;
        const report = await readLossReport(dev, prod, { preserveInProgressUpdateSetsDays: 0 });
        const names = lostItems(report).map((i) => `${i.kind}:${i.name}:${i.scope}`);
        assert.deepEqual(names.sort(), [
            "app:Fleet Tracker:x_acme_fleet",
            "plugin:com.snc.procurement:global",
            "update-set:ACME-101 Incident auto-assignment:global",
            "update-set:ACME-102 Purchase order approvals:global",
            "update-set:Fleet Tracker 0.4:x_acme_fleet",
        ]);
        assert.deepEqual(report.emptySets, ["ACME-103 Spike (empty)"]);
        const set = report.items.find((i) => i.name === "ACME-101 Incident auto-assignment")!;
        assert.equal(set.updates, 2);
        const writes = emu.stats.requests("dev", before).filter(isWriteRequest);
        assert.deepEqual(writes, [], "the report only reads");
    });

    it("marks global sets younger than the preserve window as kept, and never a scoped one", async () => {
        const report = await readLossReport(dev, prod, { preserveInProgressUpdateSetsDays: 7 });
        const kept = report.items.filter((i) => i.preserved).map((i) => i.name);
        assert.deepEqual(kept.sort(), ["ACME-101 Incident auto-assignment", "ACME-102 Purchase order approvals"]);
        const scoped = report.items.find((i) => i.scope === "x_acme_fleet" && i.kind === "update-set")!;
        assert.equal(scoped.preserved, false);
        assert.match(scoped.reason, /global update sets only/);
        const lines = formatLossReport(report);
        assert.match(lines[0]!, /would destroy 3 piece\(s\) of work and keep 2/);
        assert.ok(lines.some((l) => /kept {2}in-progress update set "ACME-101/.test(l)));
    });

    it("turns the lost items into one check failure naming each of them", async () => {
        const report = await readLossReport(dev, prod, { preserveInProgressUpdateSetsDays: 0 });
        const failure = noLossFailure(report)!;
        for (const name of ["ACME-101", "ACME-102", "Fleet Tracker 0.4", "x_acme_fleet", "com.snc.procurement"]) {
            assert.ok(failure.includes(name), `${name} in: ${failure}`);
        }
        assert.equal(noLossFailure({ target: "x", items: [], emptySets: [] }), undefined);
    });

    it("counts declared work as carried: parked sets, the app their set brings back, re-activated plugins", async () => {
        const report = withCarried(await readLossReport(dev, prod, { preserveInProgressUpdateSetsDays: 0 }), {
            updateSets: ["ACME-101 Incident auto-assignment", "Fleet Tracker 0.4"],
            plugins: ["com.snc.procurement"],
            allPlugins: false,
        });
        assert.deepEqual(
            lostItems(report).map((i) => i.name),
            ["ACME-102 Purchase order approvals"],
        );
        assert.match(report.items.find((i) => i.kind === "app")!.reason, /carried/);
    });
});
