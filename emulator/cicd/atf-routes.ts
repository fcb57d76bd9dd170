/**
 * The ATF part of the CI/CD API: `POST /api/sn_cicd/testsuite/run` (by `test_suite_sys_id` or `test_suite_name`; the
 * browser and OS options are accepted and ignored, since only server-side steps run here) and
 * `GET /api/sn_cicd/testsuite/results/{result_id}`. A run is an operation on the shared execution tracker, so
 * `progress/{id}` reports it and ends with `links.results`. Shapes follow reference/platform-apis.md §2.4 and the
 * CI/CD API page; per-test results are the `sys_atf_test_result` rows (`parent` = the suite result), as on the
 * platform, where the results endpoint documents only the suite's rolled-up counts.
 */

import type { InstanceDb } from "../db";
import { type ApiResponse, failure, json } from "../envelope";
import type { Row } from "../values";
import { executionDisabledReason, findSuite, runTestSuite } from "./atf-runner";
// Type-only: routes.ts spreads these routes into its table, so a value import back would be a cycle.
import type { CicdRoute } from "./routes";

const RESULT_TABLE = "sys_atf_test_suite_result";

/** The documented 404, worded as the core's notFound (which routes.ts owns). */
function notFoundItem(what: string): ApiResponse {
    return failure(404, "Not Found", `The requested item wasn't found: ${what}`);
}

/**
 * The documented failure response of a refused run (`result.status` "3", the reason in `error`). Its HTTP status is
 * not documented; 405 is the page's "The functionality is inactive" (inferred).
 */
function refused(reason: string): ApiResponse {
    return json(405, {
        result: { status: "3", status_label: "Failed", status_message: "", status_detail: "", error: reason },
    });
}

const runRoute: CicdRoute = {
    method: "POST",
    path: /^\/testsuite\/run$/,
    handle({ ctx, req, start }) {
        const sysId = req.params.get("test_suite_sys_id") ?? "";
        const name = req.params.get("test_suite_name") ?? "";
        if (sysId === "" && name === "") {
            return failure(400, "Missing parameter", "test_suite_sys_id or test_suite_name is required");
        }
        const disabled = executionDisabledReason(ctx.db);
        if (disabled) return refused(disabled);
        const suite = findSuite(ctx.db, sysId !== "" ? { sysId } : { name });
        if (!suite) {
            return notFoundItem(sysId !== "" ? `no test suite with sys_id ${sysId}` : `no test suite named "${name}"`);
        }
        return start({
            name: `Run test suite ${suite.name}`,
            source: { table: "sys_atf_test_suite", id: suite.sys_id! },
            // Test runs do not take the instance-wide lock that installs and commits queue for.
            exclusive: false,
            async run(op) {
                await op.step(10, `Running test suite ${suite.name}`);
                const summary = runTestSuite(op.db, suite, {
                    browserName: req.params.get("browser_name") ?? "",
                    osName: req.params.get("os_name") ?? "",
                });
                op.setResults({
                    table: RESULT_TABLE,
                    id: summary.resultId,
                    path: `/api/sn_cicd/testsuite/results/${summary.resultId}`,
                });
                await op.step(90, "Collecting results");
                const c = summary.counts;
                const message = summary.status === "success" ? "Suite passed" : `Suite ${summary.status}`;
                return {
                    message,
                    detail: `${message}: ${c.success} passed, ${c.failure} failed, ${c.error} errored, ${c.skip} skipped`,
                };
            },
        });
    },
};

const resultsRoute: CicdRoute = {
    method: "GET",
    path: /^\/testsuite\/results\/([^/]+)$/,
    handle({ ctx, args }) {
        const row = ctx.db.get(RESULT_TABLE, args[0]!);
        if (!row) return notFoundItem(`no test suite result with id ${args[0]}`);
        return json(200, { result: renderResult(ctx.db, row, ctx.baseUrl) });
    },
};

/** One suite result as the results endpoint returns it, children in the same format. */
function renderResult(db: InstanceDb, row: Row, baseUrl: string): Record<string, unknown> {
    const running = row.status === "running";
    const suite = db.get("sys_atf_test_suite", row.test_suite ?? "");
    return {
        links: {
            results: { id: row.sys_id, url: `${baseUrl}/${RESULT_TABLE}.do?sys_id=${row.sys_id}` },
        },
        status: running ? "1" : "2",
        status_label: running ? "Running" : "Successful",
        status_message: "",
        status_detail: "",
        error: "",
        test_suite_status: row.status ?? "",
        test_suite_duration: row.run_time ?? "",
        rolledup_test_success_count: Number(row.rolledup_test_success_count || "0"),
        rolledup_test_failure_count: Number(row.rolledup_test_failure_count || "0"),
        rolledup_test_error_count: Number(row.rolledup_test_error_count || "0"),
        rolledup_test_skip_count: Number(row.rolledup_test_skip_count || "0"),
        test_suite_name: suite?.name ?? "",
        child_suite_results: db
            .query(RESULT_TABLE, `parent=${row.sys_id}^ORDERBYsys_created_on`)
            .map((child) => renderResult(db, child, baseUrl)),
    };
}

/** The ATF routes, spread into the CI/CD route table. */
export const atfRoutes: CicdRoute[] = [runRoute, resultsRoute];
