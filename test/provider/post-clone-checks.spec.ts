import * as assert from "node:assert/strict";
import { postCloneChecksProvider as provider } from "../../provider/resources/post-clone-checks";
import { createThrough, type Loose } from "../fixtures/checklist/harness";
import { useChecklistInstance } from "../support/emulator";

const INPUTS = {
    environment: "qa",
    suites: [{ name: "Post-clone safety" }],
    productionHosts: ["api.payments.acme-corp.com", "dw.acme-corp.com"],
    access: { allowRoles: ["admin"] },
    jobs: { allowQuery: "nameSTARTSWITHSLA" },
    thresholds: { "mid-servers-up": 1 },
};

describe("PostCloneChecks against the emulator", function () {
    this.timeout(60_000);
    const env = useChecklistInstance();
    const runner = () => env.instance.db.getProperty("sn_atf.runner.enabled");
    const runnerId = () => env.instance.db.query("sys_properties", "name=sn_atf.runner.enabled")[0]!.sys_id!;

    it("fails its create when enforced, naming the findings, and leaves the runner as it was", async () => {
        const seq = env.mark();
        await assert.rejects(createThrough(provider, { ...INPUTS, enforce: true }), (e: Error) => {
            assert.equal(e.name, "VerificationFailedError");
            assert.match(e.message, /email-cannot-reach-users: Email can reach real users/);
            assert.match(e.message, /no-production-endpoints: Active endpoints still point at production/);
            assert.match(e.message, /atf "Post-clone safety": Suite "Post-clone safety" failed/);
            return true;
        });
        assert.equal(runner(), "false", "the transactional create put it back");
        for (const w of env.writesSince(seq)) {
            assert.ok(
                w === `PATCH /api/now/table/sys_properties/${runnerId()}` ||
                    w.startsWith("POST /api/sn_cicd/testsuite/run"),
                `unexpected write ${w}`,
            );
        }
    });

    it("turns test execution on, keeps the verdict, sees the runner switched off as drift, and restores it", async () => {
        const seq = env.mark();
        const { id, outs } = await createThrough(provider, INPUTS);
        assert.equal(runner(), "true");
        assert.deepEqual(outs.runnerMemory, { "sn_atf.runner.enabled": "false" });
        assert.equal(outs.passed, false);
        assert.ok(outs.findings.some((f: string) => f.startsWith("scheduled-jobs-guarded:")));
        assert.ok(!outs.findings.some((f: string) => f.startsWith("mid-servers-up")), "a warning never blocks");
        assert.deepEqual(
            env.writesSince(seq).filter((w) => !w.startsWith("POST /api/sn_cicd/testsuite/run")),
            [`PATCH /api/now/table/sys_properties/${runnerId()}`],
        );

        env.instance.db.setProperty("sn_atf.runner.enabled", "false");
        const read = await provider.read!(id, outs);
        assert.equal((read.props as Loose).runnerEnabled, false);
        const checked = await provider.check!({} as Loose, INPUTS as Loose);
        const diff = await provider.diff!(id, read.props as Loose, checked.inputs as Loose);
        assert.equal(diff.changes, true, "the next up turns it back on");

        await provider.delete!(id, outs);
        assert.equal(runner(), "false");
    });
});
