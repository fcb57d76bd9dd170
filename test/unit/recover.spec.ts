import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { repairCheckpoint } from "../../sdk/automation/recover";

describe("repairCheckpoint (sn-clone recover)", () => {
    let dir: string;
    let stacks: string;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "pssc-recover-"));
        stacks = path.join(dir, ".pulumi", "stacks", "proj");
        fs.mkdirSync(stacks, { recursive: true });
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("moves a 0-byte .json.attrs aside and keeps it as a backup", () => {
        fs.writeFileSync(path.join(stacks, "qa.json"), '{"version":3}');
        fs.writeFileSync(path.join(stacks, "qa.json.attrs"), "");
        const repaired = repairCheckpoint(dir, "proj", "qa");
        assert.equal(repaired.length, 1);
        assert.equal(fs.existsSync(path.join(stacks, "qa.json.attrs")), false);
        assert.ok(fs.existsSync(repaired[0]!.backup), "the broken file is kept");
        assert.equal(fs.readFileSync(path.join(stacks, "qa.json"), "utf8"), '{"version":3}', "checkpoint untouched");
    });

    it("replaces an unreadable checkpoint with Pulumi's .bak, keeping the broken one", () => {
        fs.writeFileSync(path.join(stacks, "qa.json"), '{"version":3,"checkpoint":');
        fs.writeFileSync(path.join(stacks, "qa.json.bak"), '{"version":3}');
        const repaired = repairCheckpoint(dir, "proj", "qa");
        assert.deepEqual(
            repaired.map((r) => path.basename(r.file)),
            ["qa.json"],
        );
        assert.equal(fs.readFileSync(path.join(stacks, "qa.json"), "utf8"), '{"version":3}');
        assert.equal(fs.readFileSync(repaired[0]!.backup, "utf8"), '{"version":3,"checkpoint":');
    });

    it("leaves a readable checkpoint alone", () => {
        fs.writeFileSync(path.join(stacks, "qa.json"), '{"version":3}');
        fs.writeFileSync(path.join(stacks, "qa.json.attrs"), '{"Checksum":""}');
        assert.deepEqual(repairCheckpoint(dir, "proj", "qa"), []);
        assert.deepEqual(fs.readdirSync(stacks).sort(), ["qa.json", "qa.json.attrs"]);
    });
});
