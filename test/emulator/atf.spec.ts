/**
 * Conformance of the ATF part of the CI/CD API: a run by sys_id or name reported through the shared tracker, the
 * results endpoint's documented shape and rolled-up counts, per-test results in the result tables, the refusal while
 * test execution is disabled, and bad or unknown suites.
 */
import * as assert from "node:assert/strict";
import { EMAIL_SUITE_NAME } from "../../emulator/cicd/atf-seed";
import type { InstanceDb, RunningEmulator } from "../../emulator/index";
import { call, type Reply, start, urlOf } from "./helpers";

const RESULT_KEYS = [
    "child_suite_results",
    "error",
    "links",
    "rolledup_test_error_count",
    "rolledup_test_failure_count",
    "rolledup_test_skip_count",
    "rolledup_test_success_count",
    "status",
    "status_detail",
    "status_label",
    "status_message",
    "test_suite_duration",
    "test_suite_name",
    "test_suite_status",
];

/** Polls a progress id until it reaches a final status, recording every status seen. */
async function settle(base: string, id: string, seen: string[] = []): Promise<Reply> {
    for (let i = 0; i < 400; i++) {
        const r = await call(base, `/api/sn_cicd/progress/${id}`);
        assert.equal(r.status, 200, r.text);
        const status = r.json.result.status as string;
        if (seen.at(-1) !== status) seen.push(status);
        if (["2", "3", "4"].includes(status)) return r;
        await new Promise((res) => setTimeout(res, 10));
    }
    throw new Error(`tracker ${id} did not settle`);
}

describe("ATF through the CI/CD API (emulator)", () => {
    let emu: RunningEmulator;
    let base: string;
    let db: InstanceDb;

    before(async () => {
        emu = await start({ instances: [{ name: "qa", seed: "empty" }], cicdStepMs: 15 });
        base = urlOf(emu, "qa");
        db = emu.instances.get("qa")!.db;
    });
    after(() => emu.stop());

    it("refuses a run while sn_atf.runner.enabled is false, with the documented failure body, and starts nothing", async () => {
        assert.equal(db.getProperty("sn_atf.runner.enabled"), "false");
        const trackers = db.count("sys_execution_tracker");
        const results = db.count("sys_atf_test_suite_result");
        const r = await call(
            base,
            `/api/sn_cicd/testsuite/run?test_suite_name=${encodeURIComponent(EMAIL_SUITE_NAME)}`,
            {
                method: "POST",
            },
        );
        assert.equal(r.status, 405, r.text);
        assert.deepEqual(r.json, {
            result: {
                status: "3",
                status_label: "Failed",
                status_message: "",
                status_detail: "",
                error: "Test/suite execution is disabled. Change the value of property 'sn_atf.runner.enabled' to true to enable it",
            },
        });
        assert.equal(db.count("sys_execution_tracker"), trackers, "no tracker");
        assert.equal(db.count("sys_atf_test_suite_result"), results, "no result");
    });

    it("refuses a run while scheduled execution is disabled, naming sn_atf.schedule.enabled as documented", async () => {
        db.setProperty("sn_atf.runner.enabled", "true");
        db.setProperty("sn_atf.schedule.enabled", "false");
        try {
            const r = await call(
                base,
                `/api/sn_cicd/testsuite/run?test_suite_name=${encodeURIComponent(EMAIL_SUITE_NAME)}`,
                {
                    method: "POST",
                },
            );
            assert.equal(r.status, 405);
            assert.equal(
                r.json.result.error,
                "Scheduled test/suite execution is disabled. Change the value of property 'sn_atf.schedule.enabled' to true to enable it",
            );
        } finally {
            db.setProperty("sn_atf.schedule.enabled", "true");
        }
    });

    it("runs a suite by name: Pending, Running, Successful, then the results link and documented counts", async () => {
        db.setProperty("sn_atf.runner.enabled", "true");
        db.setProperty("glide.email.smtp.active", "false");
        const r = await call(
            base,
            `/api/sn_cicd/testsuite/run?test_suite_name=${encodeURIComponent(EMAIL_SUITE_NAME)}&browser_name=chrome&os_name=Windows`,
            { method: "POST" },
        );
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.result.status, "0");
        assert.equal(r.json.result.status_label, "Pending");
        const seen: string[] = [];
        const done = await settle(base, r.json.result.links.progress.id, seen);
        assert.equal(seen.at(-1), "2");
        // Running may pass between two polls; the tracker records when it started.
        const tracker = db.get("sys_execution_tracker", r.json.result.links.progress.id)!;
        assert.match(tracker.start_time ?? "", /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
        assert.equal(done.json.result.percent_complete, 100);
        assert.equal(done.json.result.status_message, "Suite passed");
        const link = done.json.result.links.results;
        assert.match(link.id, /^[0-9a-f]{32}$/);
        assert.equal(link.url, `${base}/api/sn_cicd/testsuite/results/${link.id}`);
        assert.equal(
            done.json.result.links.source.id,
            db.query("sys_atf_test_suite", `name=${EMAIL_SUITE_NAME}`)[0]!.sys_id,
        );

        const res = await call(base, `/api/sn_cicd/testsuite/results/${link.id}`);
        assert.equal(res.status, 200, res.text);
        const body = res.json.result;
        assert.deepEqual(Object.keys(body).sort(), RESULT_KEYS);
        assert.equal(body.test_suite_status, "success");
        assert.equal(body.test_suite_name, EMAIL_SUITE_NAME);
        assert.match(body.test_suite_duration, /^\d+ Seconds?$/);
        assert.deepEqual(
            [
                body.rolledup_test_success_count,
                body.rolledup_test_failure_count,
                body.rolledup_test_error_count,
                body.rolledup_test_skip_count,
            ],
            [1, 0, 0, 0],
        );
        assert.equal(body.links.results.url, `${base}/sys_atf_test_suite_result.do?sys_id=${link.id}`);
        assert.equal(db.get("sys_atf_test_suite_result", link.id)!.browser_name, "chrome", "options are recorded only");
    });

    it("runs a suite by sys_id and reports a failing test in the counts and in its test result", async () => {
        db.setProperty("glide.email.smtp.active", "true");
        const suite = db.query("sys_atf_test_suite", `name=${EMAIL_SUITE_NAME}`)[0]!;
        const r = await call(base, `/api/sn_cicd/testsuite/run?test_suite_sys_id=${suite.sys_id}`, { method: "POST" });
        assert.equal(r.status, 200, r.text);
        const done = await settle(base, r.json.result.links.progress.id);
        assert.equal(done.json.result.status, "2", "the run itself completed");
        assert.equal(done.json.result.status_message, "Suite failure");
        const id = done.json.result.links.results.id as string;
        const body = (await call(base, `/api/sn_cicd/testsuite/results/${id}`)).json.result;
        assert.equal(body.test_suite_status, "failure");
        assert.equal(body.rolledup_test_failure_count, 1);
        const tests = await call(
            base,
            `/api/now/table/sys_atf_test_result?sysparm_query=parent=${id}&sysparm_display_value=true`,
        );
        assert.equal(tests.json.result.length, 1);
        assert.equal(tests.json.result[0].test.display_value, "Email cannot reach real users");
        assert.equal(tests.json.result[0].status, "Failure");
        assert.match(tests.json.result[0].output, /mail reaches real users/);
    });

    it("nests child suite results in the same format", async () => {
        const config = db.query("sys_atf_step_config", "name=Run Server Side Script")[0]!;
        const parent = db.insert("sys_atf_test_suite", { name: "Nightly" });
        const child = db.insert("sys_atf_test_suite", { name: "Nightly child", parent: parent.sys_id });
        for (const [suite, script] of [
            [parent, "true"],
            [child, "false"],
        ] as const) {
            const test = db.insert("sys_atf_test", { name: `${suite.name} test` });
            db.insert("sys_atf_step", { test: test.sys_id, step_config: config.sys_id, script });
            db.insert("sys_atf_test_suite_test", { test_suite: suite.sys_id, test: test.sys_id });
        }
        const r = await call(base, "/api/sn_cicd/testsuite/run?test_suite_name=Nightly", { method: "POST" });
        const done = await settle(base, r.json.result.links.progress.id);
        const body = (await call(base, `/api/sn_cicd/testsuite/results/${done.json.result.links.results.id}`)).json
            .result;
        assert.equal(body.rolledup_test_success_count, 1);
        assert.equal(body.rolledup_test_failure_count, 1);
        assert.equal(body.child_suite_results.length, 1);
        assert.deepEqual(Object.keys(body.child_suite_results[0]).sort(), RESULT_KEYS);
        assert.equal(body.child_suite_results[0].test_suite_name, "Nightly child");
        assert.equal(body.child_suite_results[0].rolledup_test_failure_count, 1);
    });

    it("answers 400 without a suite, 404 for an unknown suite or result", async () => {
        const none = await call(base, "/api/sn_cicd/testsuite/run", { method: "POST" });
        assert.equal(none.status, 400);
        assert.match(none.json.error.detail, /test_suite_sys_id or test_suite_name is required/);
        const unknown = await call(base, "/api/sn_cicd/testsuite/run?test_suite_name=Nope", { method: "POST" });
        assert.equal(unknown.status, 404);
        assert.match(unknown.json.error.detail, /no test suite named "Nope"/);
        const result = await call(base, `/api/sn_cicd/testsuite/results/${"0".repeat(32)}`);
        assert.equal(result.status, 404);
    });

    it("refuses a caller without admin or sn_cicd.sys_ci_automation", async () => {
        db.insert("sys_user", { user_name: "tester", user_password: "pw", active: "true" });
        const r = await call(base, `/api/sn_cicd/testsuite/run?test_suite_name=Nightly`, {
            method: "POST",
            basic: "tester:pw",
        });
        assert.equal(r.status, 403);
    });
});
