import * as assert from "node:assert/strict";
import { executionDisabledReason, findSuite, runTestSuite } from "../../emulator/cicd/atf-runner";
import { EMAIL_SUITE_NAME } from "../../emulator/cicd/atf-seed";
import type { InstanceDb, RunningEmulator } from "../../emulator/index";
import { start } from "./helpers";

describe("the ATF runner", () => {
    let emu: RunningEmulator;
    let db: InstanceDb;

    before(async () => {
        emu = await start({ instances: [{ name: "qa", seed: "empty" }] });
        db = emu.instances.get("qa")!.db;
    });
    after(async () => {
        await emu?.stop();
    });

    /** A suite with one test per script (each one Run Server Side Script step), optionally under a parent. */
    const suiteOf = (name: string, scripts: string[], parent = "") => {
        const config = db.query("sys_atf_step_config", "name=Run Server Side Script")[0]!;
        const suite = db.insert("sys_atf_test_suite", { name, parent });
        scripts.forEach((script, i) => {
            const test = db.insert("sys_atf_test", { name: `${name} test ${i + 1}` });
            db.insert("sys_atf_step", { test: test.sys_id, step_config: config.sys_id, order: "100", script });
            db.insert("sys_atf_test_suite_test", { test_suite: suite.sys_id, test: test.sys_id, order: String(i) });
        });
        return suite;
    };

    it("is refused while sn_atf.runner.enabled is false, as seeded", () => {
        assert.equal(db.getProperty("sn_atf.runner.enabled"), "false");
        assert.equal(
            executionDisabledReason(db),
            "Test/suite execution is disabled. Change the value of property 'sn_atf.runner.enabled' to true to enable it",
        );
        db.setProperty("sn_atf.runner.enabled", "true");
        db.setProperty("sn_atf.schedule.enabled", "false");
        assert.match(executionDisabledReason(db) ?? "", /^Scheduled test\/suite execution is disabled/);
        db.setProperty("sn_atf.schedule.enabled", "true");
        assert.equal(executionDisabledReason(db), undefined);
    });

    it("fails the seeded email suite while mail reaches real users, and passes it once sending is off", () => {
        const suite = findSuite(db, { name: EMAIL_SUITE_NAME })!;
        db.setProperty("glide.email.smtp.active", "true");
        const failed = runTestSuite(db, suite);
        assert.equal(failed.status, "failure");
        assert.deepEqual(failed.counts, { success: 0, failure: 1, error: 0, skip: 0 });
        const [test] = db.query("sys_atf_test_result", `parent=${failed.resultId}`);
        assert.equal(test!.status, "failure");
        assert.match(test!.output!, /glide\.email\.test\.user is empty: mail reaches real users/);

        db.setProperty("glide.email.smtp.active", "false");
        const passed = runTestSuite(db, suite);
        assert.equal(passed.status, "success");
        assert.deepEqual(passed.counts, { success: 1, failure: 0, error: 0, skip: 0 });
        const row = db.get("sys_atf_test_suite_result", passed.resultId)!;
        assert.equal(row.rolledup_test_success_count, "1");
        assert.equal(row.status, "success");
    });

    it("runs steps against the instance: GlideRecord counts, assertEqual, throws and stepResult", () => {
        const suite = suiteOf("Server checks", [
            `(function (outputs, steps, params, stepResult, assertEqual) {
                var gr = new GlideRecord("sys_user"); gr.addQuery("user_name", "admin"); gr.query();
                assertEqual({ name: "admin exists", shouldbe: 1, value: gr.getRowCount() });
            })(outputs, steps, params, stepResult, assertEqual);`,
            `(function (outputs, steps, params, stepResult, assertEqual) {
                assertEqual({ name: "banner", shouldbe: "ACME QA", value: gs.getProperty("glide.product.description") });
            })(outputs, steps, params, stepResult, assertEqual);`,
            `var d = new GlideDateTime();`,
            `(function (outputs, steps, params, stepResult) { stepResult.setOutputMessage("nope"); stepResult.setFailed(); })(outputs, steps, params, stepResult);`,
        ]);
        const run = runTestSuite(db, suite);
        assert.deepEqual(run.counts, { success: 1, failure: 3, error: 0, skip: 0 });
        const outputs = db
            .query("sys_atf_test_result", `parent=${run.resultId}^ORDERBYsys_created_on`)
            .map((r) => `${r.status}: ${r.output}`);
        assert.ok(outputs.includes("success: All steps passed"), outputs.join("\n"));
        assert.ok(
            outputs.some((o) => o.includes("Assertion failed: banner: expected 'ACME QA', got 'Service Management'")),
            outputs.join("\n"),
        );
        assert.ok(outputs.some((o) => o.includes("ReferenceError: GlideDateTime is not defined")));
        assert.ok(outputs.some((o) => o.endsWith(": nope")));
    });

    it("errors on a UI step without a client test runner and skips the steps after a failure", () => {
        const ui = db.query("sys_atf_step_config", "name=Open a New Form")[0]!;
        const server = db.query("sys_atf_step_config", "name=Run Server Side Script")[0]!;
        const suite = db.insert("sys_atf_test_suite", { name: "UI suite" });
        const test = db.insert("sys_atf_test", { name: "Opens a form" });
        db.insert("sys_atf_step", { test: test.sys_id, step_config: ui.sys_id, order: "100" });
        db.insert("sys_atf_step", { test: test.sys_id, step_config: server.sys_id, order: "200", script: "true" });
        db.insert("sys_atf_test_suite_test", { test_suite: suite.sys_id, test: test.sys_id });
        const run = runTestSuite(db, suite);
        assert.equal(run.status, "error");
        assert.deepEqual(run.counts, { success: 0, failure: 0, error: 1, skip: 0 });
        const result = db.query("sys_atf_test_result", `parent=${run.resultId}`)[0]!;
        const steps = db.query("sys_atf_test_result_step", `test_result=${result.sys_id}^ORDERBYorder`);
        assert.deepEqual(
            steps.map((s) => [s.status, s.output]),
            [
                ["error", "no scheduled client test runner available"],
                ["skipped", "Not run: an earlier step did not pass"],
            ],
        );
    });

    it("rolls child suite counts up into the parent's result", () => {
        const parent = suiteOf("Parent", ["true"]);
        suiteOf("Child A", ["true", "false"], parent.sys_id);
        suiteOf("Child B", ["true"], parent.sys_id);
        const run = runTestSuite(db, parent);
        assert.deepEqual(run.counts, { success: 3, failure: 1, error: 0, skip: 0 });
        const top = db.get("sys_atf_test_suite_result", run.resultId)!;
        assert.equal(top.success_count, "1", "own tests only");
        assert.equal(top.rolledup_test_success_count, "3");
        assert.equal(top.rolledup_test_failure_count, "1");
        const children = db.query("sys_atf_test_suite_result", `parent=${run.resultId}`);
        assert.equal(children.length, 2);
        assert.ok(children.every((c) => c.base_suite_result === run.resultId));
    });
});

describe("test execution after a clone", () => {
    let emu: RunningEmulator;
    after(async () => {
        await emu?.stop();
    });

    it("is off on the target after a clone from production, as production has it", async () => {
        emu = await start({
            instances: [
                { name: "prod", seed: "production" },
                { name: "qa", seed: "empty" },
            ],
            cloneDurationMs: 200,
        });
        const prod = emu.instances.get("prod")!.db;
        const qa = emu.instances.get("qa")!.db;
        qa.setProperty("sn_atf.runner.enabled", "true");
        const target = prod.query("instance", "instance_name=qa")[0]!;
        const req = prod.insert("sn_instance_clone_request", { state: "Requested", target_instance: target.sys_id });
        for (let i = 0; i < 400 && prod.get("sn_instance_clone_request", req.sys_id!)!.state !== "Completed"; i++) {
            await new Promise((res) => setTimeout(res, 15));
        }
        assert.equal(prod.get("sn_instance_clone_request", req.sys_id!)!.state, "Completed");
        assert.equal(qa.getProperty("sn_atf.runner.enabled"), "false");
        assert.ok(findSuite(qa, { name: EMAIL_SUITE_NAME }), "the suite came with the clone");
        assert.match(executionDisabledReason(qa) ?? "", /sn_atf\.runner\.enabled/);
    });
});
