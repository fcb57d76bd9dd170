/**
 * Walks docs/write-paths.md: every write path it lists is made against an instance the stack must not write, and
 * each is refused before anything is sent. A path added to the table without a case here fails the walk.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { isWriteRequest } from "../../emulator/index";
import { clientFor, configureConnections } from "../../provider/connection";
import { UnsafeTargetError } from "../../provider/errors";
import { type ClonePair, startClonePair } from "../fixtures/clone-support/emulator";

/** The rows of the doc's table: the first column of each. */
function documentedPaths(): string[] {
    const text = fs.readFileSync(path.join(__dirname, "..", "..", "docs", "write-paths.md"), "utf8");
    return text
        .split("\n")
        .filter((l) => l.startsWith("| ") && !l.startsWith("| Path") && !l.startsWith("|---"))
        .map((l) => l.split("|")[1]!.trim());
}

describe("every write path in docs/write-paths.md is fenced", function () {
    this.timeout(60_000);
    let pair: ClonePair;
    before(async () => {
        pair = await startClonePair(600);
        pair.source.db.insert("instance", { instance_name: "qa", instance_url: "https://acme-qa.example.com" });
    });
    after(async () => pair?.stop());

    /** The target connection declared as production: every target write must be refused. */
    const targetIsProduction = () => {
        const config: Record<string, string> = { ...pair.config, "servicenow:productionInstances": "prod,dev" };
        configureConnections({ get: (k: string) => config[k], require: (k: string) => config[k]! } as never);
    };
    const writes = (seq: number) =>
        ["prod", "dev"].flatMap((i) => pair.emulator.stats.requests(i, seq).filter(isWriteRequest));

    const cases: Record<string, () => Promise<unknown>> = {
        "table-insert": async () => (await clientFor("target")).insert("sys_properties", { name: "x.y", value: "1" }),
        "table-update": async () => {
            const row = pair.target.db.query("sys_properties", "name=instance_name")[0]!;
            return (await clientFor("target")).update("sys_properties", row.sys_id!, { value: "other" });
        },
        "table-delete": async () => {
            const row = pair.target.db.query("sys_properties", "name=instance_name")[0]!;
            return (await clientFor("target")).remove("sys_properties", row.sys_id!);
        },
        "batch-update": async () => {
            const row = pair.target.db.query("sys_properties", "name=instance_name")[0]!;
            return (await clientFor("target")).batchUpdate("sys_properties", [
                { sysId: row.sys_id!, values: { value: "other" } },
            ]);
        },
        "source-table": async () => (await clientFor("source")).insert("sys_user", { user_name: "intruder" }),
        "clone-request": async () => {
            const qa = pair.source.db.query("instance", "instance_name=qa")[0]!;
            return (await clientFor("source")).insert("sn_instance_clone_request", { target_instance: qa.sys_id! });
        },
    };

    it("has a case for every documented path, and documents every case", () => {
        assert.deepEqual(documentedPaths().sort(), Object.keys(cases).sort());
    });

    for (const name of documentedPaths()) {
        it(`refuses ${name} before sending it`, async () => {
            targetIsProduction();
            const seq = pair.emulator.stats.lastSeq;
            await assert.rejects(cases[name]!(), UnsafeTargetError);
            assert.deepEqual(writes(seq), []);
        });
    }
});
