/**
 * What every seeded instance carries of the Automated Test Framework: the execution properties (off, as the platform
 * ships them), the step configurations the emulator runs or refuses, and one suite that asserts outbound email
 * cannot reach real users, which a clone copies from production onto its target.
 */

/** Adds one row to a table of the seed being built and returns it. */
type AddRow = (table: string, values: Record<string, string>) => Readonly<Record<string, string>>;

/** Name of the seeded suite that proves email is off or redirected after a clone. */
export const EMAIL_SUITE_NAME = "Post-clone safety";

const EMAIL_STEP_SCRIPT = `(function (outputs, steps, params, stepResult, assertEqual) {
    var sending = gs.getProperty("glide.email.smtp.active", "false") === "true";
    var redirect = gs.getProperty("glide.email.test.user", "");
    if (sending && redirect === "") {
        stepResult.setOutputMessage("Email sending is on (glide.email.smtp.active=true) and glide.email.test.user is empty: mail reaches real users");
        return false;
    }
    stepResult.setOutputMessage(sending ? "Email is redirected to " + redirect : "Email sending is off");
    return true;
})(outputs, steps, params, stepResult, assertEqual);
`;

/** Seeds the ATF properties, step configurations and the email suite. */
export function seedAtf(add: AddRow): void {
    // "By default, the system property that is used to run automated tests is disabled" [DOC atf-enable-tests.md].
    add("sys_properties", {
        name: "sn_atf.runner.enabled",
        value: "false",
        type: "true | false",
        description: "Enable test/test suite execution",
    });
    add("sys_properties", {
        name: "sn_atf.schedule.enabled",
        value: "true",
        type: "true | false",
        description: "Enable scheduled test/test suite execution",
    });
    const server = add("sys_atf_step_config", {
        name: "Run Server Side Script",
        step_env: "Server",
        category: "Server",
        description: "Run a server-side script and fail the step when it returns false or an assertion fails",
    });
    add("sys_atf_step_config", { name: "Open a New Form", step_env: "UI", category: "Form" });
    add("sys_atf_step_config", { name: "Impersonate", step_env: "Server", category: "Server" });

    const suite = add("sys_atf_test_suite", {
        name: EMAIL_SUITE_NAME,
        description: "Checks that must hold on a copy of production before people are let in",
    });
    const test = add("sys_atf_test", {
        name: "Email cannot reach real users",
        description: "Sending is off, or every message is redirected to glide.email.test.user",
    });
    add("sys_atf_step", {
        test: test.sys_id!,
        step_config: server.sys_id!,
        order: "100",
        description: "Email is off or redirected",
        script: EMAIL_STEP_SCRIPT,
    });
    add("sys_atf_test_suite_test", { test_suite: suite.sys_id!, test: test.sys_id!, order: "100" });
}
