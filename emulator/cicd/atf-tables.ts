/**
 * The Automated Test Framework tables: step configurations, tests and their steps, suites and their members, and
 * the results a run writes (suite result, test results, step results).
 *
 * Table names are the platform's (reference/platform-apis.md §2.4). Columns are those the CI/CD API and a reader of
 * results need; a step's script is a column here, where the platform keeps step inputs as variables (a documented
 * emulator decision in emulator/README.md).
 */
import { type FieldDef, fields, type TableDef } from "../schema";

/** Values of a result's `status`, as the ATF result lists show them. */
export const AtfStatus = {
    Running: "running",
    Success: "success",
    Failure: "failure",
    Error: "error",
    Skipped: "skipped",
    Cancelled: "cancelled",
} as const;

const STATUS_CHOICES: Record<string, string> = {
    running: "Running",
    success: "Success",
    failure: "Failure",
    error: "Error",
    skipped: "Skipped",
    cancelled: "Cancelled",
};

function withStatus(list: FieldDef[]): FieldDef[] {
    return list.map((f) => (f.name === "status" ? { ...f, type: "choice" as const, choices: STATUS_CHOICES } : f));
}

/** Who may author and run tests besides admin. */
const atfAcl = { write: ["admin", "atf_test_admin", "atf_test_designer"] };

/** The ATF tables, for `platformTables()`. */
export function atfTables(): TableDef[] {
    return [
        {
            name: "sys_atf_step_config",
            label: "Test Step Config",
            fields: fields("name", "description", "step_env=Server", "category", "active:boolean=true"),
        },
        {
            name: "sys_atf_test",
            label: "Test",
            acl: atfAcl,
            fields: fields("name", "description", "active:boolean=true"),
        },
        {
            name: "sys_atf_step",
            label: "Test Step",
            display: "description",
            acl: atfAcl,
            fields: fields(
                "test:ref:sys_atf_test",
                "step_config:ref:sys_atf_step_config",
                "order:integer=100",
                "active:boolean=true",
                "description",
                "script:script",
            ),
        },
        {
            name: "sys_atf_test_suite",
            label: "Test Suite",
            acl: atfAcl,
            fields: fields("name", "description", "active:boolean=true", "parent:ref:sys_atf_test_suite"),
        },
        {
            name: "sys_atf_test_suite_test",
            label: "Test Suite Test",
            display: "test",
            acl: atfAcl,
            fields: fields(
                "test_suite:ref:sys_atf_test_suite",
                "test:ref:sys_atf_test",
                "order:integer=100",
                "abort_on_failure:boolean=false",
            ),
        },
        {
            name: "sys_atf_test_suite_result",
            label: "Test Suite Result",
            display: "test_suite",
            acl: atfAcl,
            fields: withStatus(
                fields(
                    "test_suite:ref:sys_atf_test_suite",
                    "parent:ref:sys_atf_test_suite_result",
                    "base_suite_result:ref:sys_atf_test_suite_result",
                    "status=running",
                    "start_time:glide_date_time",
                    "end_time:glide_date_time",
                    "run_time",
                    "success_count:integer=0",
                    "failure_count:integer=0",
                    "error_count:integer=0",
                    "skip_count:integer=0",
                    "rolledup_test_success_count:integer=0",
                    "rolledup_test_failure_count:integer=0",
                    "rolledup_test_error_count:integer=0",
                    "rolledup_test_skip_count:integer=0",
                    "browser_name",
                    "os_name",
                ),
            ),
        },
        {
            name: "sys_atf_test_result",
            label: "Test Result",
            display: "test",
            acl: atfAcl,
            fields: withStatus(
                fields(
                    "test:ref:sys_atf_test",
                    "parent:ref:sys_atf_test_suite_result",
                    "status=running",
                    "start_time:glide_date_time",
                    "end_time:glide_date_time",
                    "run_time",
                    "output",
                ),
            ),
        },
        {
            name: "sys_atf_test_result_step",
            label: "Test Result Step",
            display: "step",
            acl: atfAcl,
            fields: withStatus(
                fields(
                    "test_result:ref:sys_atf_test_result",
                    "step:ref:sys_atf_step",
                    "order:integer=100",
                    "status=running",
                    "start_time:glide_date_time",
                    "output",
                    "summary",
                ),
            ),
        },
    ];
}
