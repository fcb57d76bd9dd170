import * as assert from "node:assert/strict";
import { hostOf } from "../../provider/resources/integration-endpoints";
import {
    blocksGate,
    CheckId,
    checkEmail,
    checkEndpoints,
    checkJobGuards,
    checkLockout,
    checkMidServers,
    checkTextIndexes,
    guardsInstance,
} from "../../provider/verify/checks";
import {
    EXIT_VERIFICATION_FAILED,
    formatVerificationText,
    suiteOutcome,
    verificationReport,
    verificationTestCases,
} from "../../provider/verify/report";

describe("post-clone checks", () => {
    it("email passes when sending is off or redirected, and fails naming both properties otherwise", () => {
        assert.equal(checkEmail({ "glide.email.smtp.active": "false" }).passed, true);
        const redirected = checkEmail({ "glide.email.smtp.active": "true", "glide.email.test.user": "qa@test" });
        assert.equal(redirected.passed, true);
        assert.equal(redirected.message, "Email is redirected to qa@test");
        const open = checkEmail({ "glide.email.smtp.active": "true", "glide.email.test.user": " " });
        assert.equal(open.passed, false);
        assert.equal(open.id, CheckId.Email);
        assert.equal(open.severity, "critical");
        assert.match(open.message, /glide\.email\.smtp\.active is true and glide\.email\.test\.user is empty/);
    });

    it("endpoints fail only for active ones on a declared production host, named with table and URL", () => {
        const rows = [
            { table: "sys_rest_message", name: "Payments", url: "https://API.payments.acme-corp.com/v1", active: true },
            {
                table: "sys_rest_message",
                name: "Sandbox",
                url: "https://api.payments.sandbox.acme-corp.com",
                active: true,
            },
            { table: "http_connection", name: "Old DW", url: "https://dw.acme-corp.com", active: false },
            { table: "sys_soap_message_function", name: "SAP", url: "{{endpoint}}", active: true },
        ];
        const o = checkEndpoints(rows, ["api.payments.acme-corp.com", "dw.acme-corp.com"], hostOf);
        assert.deepEqual(o.offenders, ['sys_rest_message "Payments" → https://API.payments.acme-corp.com/v1']);
        assert.equal(o.passed, false);
        assert.match(o.message, /^Active endpoints still point at production: sys_rest_message "Payments"/);
    });

    it("text indexes fail when not indexed or last indexed before the clone started", () => {
        const started = "2026-11-30 10:00:00";
        const o = checkTextIndexes(
            [
                { table: "incident", state: "indexed", lastIndexed: "2026-11-30 10:05:00", active: true },
                { table: "sys_user", state: "stale", lastIndexed: "2025-11-01 02:00:00", active: true },
                { table: "task", state: "indexed", lastIndexed: "2025-11-01 02:00:00", active: true },
                { table: "kb", state: "stale", lastIndexed: "", active: false },
            ],
            started,
        );
        assert.deepEqual(o.offenders, [
            "sys_user (stale, last indexed 2025-11-01 02:00:00)",
            "task (indexed, last indexed 2025-11-01 02:00:00)",
        ]);
        assert.equal(blocksGate(o), true);
    });

    it("MID servers down are a warning that does not block the gate", () => {
        const o = checkMidServers([
            { name: "mid-01", status: "Up" },
            { name: "mid-04", status: "Down" },
        ]);
        assert.equal(o.passed, false);
        assert.equal(o.severity, "warning");
        assert.equal(blocksGate(o), false);
        assert.deepEqual(o.offenders, ["mid-04 (Down)"]);
    });

    it("job guards accept the instance_name guard or the allow-list, and honour a threshold", () => {
        assert.equal(guardsInstance('if (gs.getProperty("instance_name") == "acme") { run(); }'), true);
        assert.equal(guardsInstance('gs.info("x");'), false);
        const jobs = [
            { sysId: "a", name: "Guarded", script: 'if (gs.getProperty("instance_name") != "acme") return;' },
            { sysId: "b", name: "SLA timers", script: "run();" },
            { sysId: "c", name: "HR sync", script: "sync();" },
        ];
        const o = checkJobGuards(jobs, new Set(["b"]));
        assert.deepEqual(o.offenders, ['"HR sync"']);
        assert.equal(o.passed, false);
        const tolerated = checkJobGuards(jobs, new Set(["b"]), { threshold: 1 });
        assert.equal(tolerated.passed, true);
        assert.match(tolerated.message, /\(1 within the threshold of 1\)$/);
    });

    it("lockout lists users outside the allow-list who can sign in: ten in the message, a hundred in the report", () => {
        const users = Array.from({ length: 13 }, (_, i) => ({ sysId: `u${i}`, userName: `user.${i}` }));
        const o = checkLockout(users, new Set(["u0"]));
        assert.equal(o.offenders.length, 12);
        assert.match(o.message, /user\.1, .*user\.10 and 2 more; apply environment:access/);
        const many = checkLockout(
            Array.from({ length: 150 }, (_, i) => ({ sysId: `u${i}`, userName: `user.${i}` })),
            new Set(),
        );
        assert.equal(many.offenderCount, 150);
        assert.equal(many.offenders.length, 100, "the report keeps the first hundred names");
    });
});

describe("the verification report", () => {
    const failingSuite = suiteOutcome({
        name: "Post-clone safety",
        resultId: "r1",
        status: "failure",
        counts: { success: 0, failure: 1, error: 0, skip: 0 },
        tests: [{ name: "Email cannot reach real users", status: "failure", output: "mail reaches real users\nmore" }],
    });

    it("fails the gate on a blocking check or a failing suite, never on a warning alone", () => {
        const warnOnly = verificationReport({
            environment: "qa",
            cloneId: "c",
            cloneStarted: "2026-11-30 10:00:00",
            checks: [checkMidServers([{ name: "m", status: "Down" }]), checkEmail({})],
            suites: [],
        });
        assert.equal(warnOnly.passed, true);
        const failing = verificationReport({ ...warnOnly, suites: [failingSuite] });
        assert.equal(failing.passed, false);
        assert.equal(
            failingSuite.message,
            'Suite "Post-clone safety" failed: 1 of 1 tests did not pass: "Email cannot reach real users" (failure: mail reaches real users)',
        );
        assert.equal(EXIT_VERIFICATION_FAILED, 4);
    });

    it("gives one test case per check and per suite, failing only those that block", () => {
        const report = verificationReport({
            environment: "qa",
            cloneId: "c",
            cloneStarted: "2026-11-30 10:00:00",
            checks: [
                checkEmail({ "glide.email.smtp.active": "true" }),
                checkMidServers([{ name: "m", status: "Down" }]),
            ],
            suites: [failingSuite],
        });
        const cases = verificationTestCases(report);
        assert.deepEqual(
            cases.map((c) => [c.group, c.name, c.failure !== undefined]),
            [
                ["checks", "email-cannot-reach-users", true],
                ["checks", "mid-servers-up", false],
                ["atf", "Post-clone safety", true],
            ],
        );
        assert.match(cases[0]!.failure!, /^\[critical\] Email can reach real users/);
    });

    it("renders a readable terminal summary, with colour only when asked", () => {
        const report = verificationReport({
            environment: "qa",
            cloneId: "0123456789abcdef0123456789abcdef",
            cloneStarted: "2026-11-30 10:00:00",
            checks: [
                checkEmail({ "glide.email.smtp.active": "true" }),
                checkMidServers([{ name: "m", status: "Down" }]),
            ],
            suites: [failingSuite],
        });
        const text = formatVerificationText(report);
        assert.equal(text.includes("\u001b["), false);
        assert.match(text, /^Verification of qa \(clone 01234567… started 2026-11-30 10:00:00 UTC\)/);
        assert.match(text, /✖ Email cannot reach real users \[critical\]/);
        assert.match(
            text,
            /▲ MID servers are up \[warning\]\n {6}MID servers not up\n {8}• m \(Down\)\n {6}→ check their credentials and restart them/,
        );
        assert.match(text, /✖ Post-clone safety \(0 passed, 1 failed, 0 errored, 0 skipped\)/);
        assert.match(text, /✖ Not ready: 2 findings block the gate\n$/);
        assert.ok(formatVerificationText(report, { color: true }).includes("\u001b[31m✖\u001b[0m"));
    });
});
