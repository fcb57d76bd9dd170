/**
 * Bad input fails `pulumi preview` through the real CLI, naming the property and the value, and the emulator's
 * request log shows no write: misspelt query fields, names that do not exist, malformed connection settings, a clone
 * request into production, two resources on one property. A name with commas and carets that does exist passes.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { ConfigMap } from "@pulumi/pulumi/automation";
import { type RunningEmulator, type RunningInstance, startEmulator } from "../../emulator";
import { packageRoot } from "../../sdk/toolchain";
import { withTempStack } from "../support/pulumi";

const TARGET = "acme-qa";

interface BadCase {
    what: string;
    case: unknown;
    config?: ConfigMap;
    /** What the printed message must contain: the property and the value, and the point. */
    expect: RegExp[];
}

const CASES: BadCase[] = [
    {
        what: "a misspelt field in UserLockout.scope",
        case: { kind: "UserLockout", args: { scope: "active=true^departmnt=Finance" } },
        expect: [/scope/, /active=true\^departmnt=Finance/, /"departmnt" does not exist on sys_user/, /"department"/],
    },
    {
        what: "a misspelt field in UserLockout.allowQuery",
        case: { kind: "UserLockout", args: { allowQuery: "web_service_acess_only=true" } },
        expect: [/allowQuery/, /web_service_acess_only=true/, /"web_service_access_only"/],
    },
    {
        what: "a misspelt field in ScheduledJobState.scope",
        case: { kind: "ScheduledJobState", args: { scope: "nmaeSTARTSWITHSLA" } },
        expect: [/scope/, /nmaeSTARTSWITHSLA/, /"name"/],
    },
    {
        what: "an LDAP server that does not exist",
        case: { kind: "LdapServerState", args: { servers: ["ACME CROP LDAP"] } },
        expect: [/servers/, /"ACME CROP LDAP"/, /"ACME CORP LDAP"/],
    },
    {
        what: "a MID server that does not exist",
        case: { kind: "MidServerState", args: { midServers: ["mid-prod-99"] } },
        expect: [/midServers/, /"mid-prod-99"/],
    },
    {
        what: "a MID role that does not exist",
        case: { kind: "MidServerState", args: { role: "mid_srv" } },
        expect: [/role/, /"mid_srv" does not exist in sys_user_role/],
    },
    {
        what: "a welcome-page table that does not exist",
        case: { kind: "InstanceBranding", args: { welcomeText: "<p>QA</p>", welcomePageTable: "welcome_page_contnt" } },
        expect: [/welcomePageTable/, /"welcome_page_contnt" is not a table/],
    },
    {
        what: "an SMTP account that does not exist",
        case: { kind: "EmailPolicy", args: { smtpAccount: { name: "Relay" } } },
        expect: [/smtpAccount/, /"Relay" matches no sys_email_account/],
    },
    {
        what: "an endpoint rule whose host is not a host",
        case: { kind: "IntegrationEndpoints", args: { rules: [{ from: "api.acme.com/v2", to: "sandbox.acme.com" }] } },
        expect: [/rules\[0\]\.from/, /api\.acme\.com\/v2/],
    },
    {
        what: "an instance URL that is not a URL",
        case: { kind: "SystemProperty", args: { name: "glide.ui.session_timeout", value: "240" } },
        config: { "servicenow:instanceUrl": { value: "acc-qa service-now com" } },
        expect: [/servicenow:instanceUrl/, /"acc-qa service-now com" is not a URL/],
    },
    {
        what: "an ftp instance URL",
        case: { kind: "SystemProperty", args: { name: "glide.ui.session_timeout", value: "240" } },
        config: { "servicenow:instanceUrl": { value: "ftp://acme-qa.service-now.com" } },
        expect: [/servicenow:instanceUrl/, /ftp:\/\/acme-qa\.service-now\.com must use https/],
    },
    {
        what: "productionInstances that is not valid JSON",
        case: { kind: "SystemProperty", args: { name: "glide.ui.session_timeout", value: "240" } },
        config: { "servicenow:productionInstances": { value: '["acme-prod"' } },
        expect: [/productionInstances is not valid JSON \(\["acme-prod"\)/],
    },
    {
        what: "two SystemProperty resources on one property",
        case: [
            { kind: "SystemProperty", args: { name: "glide.ui.session_timeout", value: "240" } },
            { kind: "SystemProperty", args: { name: "glide.ui.session_timeout", value: "480" } },
        ],
        expect: [
            /SystemProperty "systemproperty-2" and SystemProperty "systemproperty-1" both manage/,
            /glide\.ui\.session_timeout/,
        ],
    },
    {
        what: "a clone request into a declared production instance",
        case: { kind: "CloneRun", args: { mode: "request", targetInstance: TARGET } },
        config: { "servicenow:productionInstances": { value: `acme-prod,${TARGET}` } },
        expect: [/targetInstance/, /"acme-qa"/, /declared production instance/],
    },
];

describe("bad input fails preview through the real Pulumi CLI, with nothing written", function () {
    this.timeout(900_000);
    let emulator: RunningEmulator;
    let instance: RunningInstance;
    const printed: { what: string; message: string }[] = [];

    before(async () => {
        const compiled = path.join(packageRoot, "dist", "test", "fixtures", "bad-input", "index.js");
        assert.ok(fs.existsSync(compiled), `${compiled} is missing: run \`npm run build\` (npm test does) first`);
        emulator = await startEmulator({
            instances: [{ name: TARGET, port: 0, seed: "production" }],
            users: 40,
            jobs: 20,
        });
        instance = emulator.instances.get(TARGET)!;
        // A job whose name holds a comma, a caret and a quote: allow-lists must find it by that exact name.
        instance.db.insert("sysauto_script", { name: 'Nightly export, EMEA ^ APAC "v2"', active: "true" });
        instance.db.insert("sysauto_script", { name: "Plain nightly job", active: "true" });
    });
    after(async () => {
        await emulator?.stop();
        const report = process.env.BAD_INPUT_REPORT;
        if (report) fs.writeFileSync(report, JSON.stringify(printed, null, 2));
    });

    const base = (): ConfigMap => ({
        "servicenow:instanceUrl": { value: instance.url },
        "servicenow:username": { value: "admin" },
        "servicenow:password": { value: "admin", secret: true },
        "servicenow:instanceName": { value: TARGET },
        "servicenow:productionInstances": { value: "acme-prod" },
        "servicenow:sourceInstanceUrl": { value: instance.url },
        "servicenow:sourceUsername": { value: "admin" },
        "servicenow:sourcePassword": { value: "admin", secret: true },
        "servicenow:sourceInstanceName": { value: TARGET },
    });
    const writes = (seq: number) =>
        emulator.stats
            .requests(TARGET, seq)
            .filter((e) => e.method !== "GET")
            .map((e) => `${e.method} ${e.path}`);

    it("refuses each bad input at preview, naming the property and the value, with 0 writes", async () => {
        await withTempStack("bad-input", { ...base(), "badinput:case": { value: "{}" } }, async ({ stack }) => {
            for (const c of CASES) {
                await stack.setAllConfig({
                    ...base(),
                    ...c.config,
                    "badinput:case": { value: JSON.stringify(c.case) },
                });
                const seq = emulator.stats.lastSeq;
                const error = await stack.preview().then(
                    () => undefined,
                    (e: Error) => e,
                );
                assert.ok(error, `preview accepted ${c.what}`);
                const message = problemLines(error.message);
                printed.push({ what: c.what, message });
                for (const x of c.expect) assert.match(message, x, `${c.what}: ${message}`);
                assert.doesNotMatch(message, /\{<nil>\}/, "values print readably");
                assert.deepEqual(writes(seq), [], `${c.what}: nothing written`);
            }
        });
    });

    it("finds names holding commas, carets and quotes, and previews them with 0 writes", async () => {
        const args = { allowNames: ['Nightly export, EMEA ^ APAC "v2"', "Plain nightly job"] };
        await withTempStack(
            "bad-input",
            { ...base(), "badinput:case": { value: JSON.stringify({ kind: "ScheduledJobState", args }) } },
            async ({ stack }) => {
                const seq = emulator.stats.lastSeq;
                const preview = await stack.preview();
                assert.equal(preview.changeSummary.create, 2, "the stack and the job state");
                assert.deepEqual(writes(seq), []);
            },
        );
    });
});

/** The lines of a failed preview's output that say what is wrong (diagnostics), each once. */
function problemLines(output: string): string {
    const lines = output
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => /has a problem|error:|Error:/.test(l) && !/^error: preview failed$/.test(l));
    return [...new Set(lines)].join("\n") || output;
}
