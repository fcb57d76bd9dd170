/**
 * Bad input fails `pulumi preview` through the real CLI, naming the property and the value, and the emulator's
 * request log shows no write: misspelt query fields, names that do not exist, malformed connection settings, a clone
 * request into production, two resources on one property. A name with commas and carets that does exist passes.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { ConfigMap, EngineEvent } from "@pulumi/pulumi/automation";
import { type RunningEmulator, type RunningInstance, SEEDED_OAUTH_CLIENT, startEmulator } from "../../emulator";
import { isWriteRequest } from "../../emulator/index";
import { packageRoot } from "../../sdk/toolchain";
import { failureLines, tableCell } from "../support/preview-failures";
import { withTempStack } from "../support/pulumi";
import { snClone } from "../support/sn-clone";

const TARGET = "acme-qa";
/** The passphrase withTempStack gives its stacks' secrets. */
const PASSPHRASE = "integration-test-passphrase";
/** Production hosts of the seeded integrations, each with its sandbox. */
const SANDBOXES: Record<string, string> = {
    "api.payments.acme-corp.com": "api.payments-sandbox.acme-corp.com",
    "dw.acme-corp.com": "dw-test.acme-corp.com",
    "sap-pi.acme-corp.com": "sap-pi-qa.acme-corp.com",
    "cmdb-legacy.acme-corp.com": "cmdb-legacy-qa.acme-corp.com",
    "ebs.acme-corp.com": "ebs-uat.acme-corp.com",
    "wd5-services.myworkday.com": "wd5-impl-services1.workday.com",
};

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
        what: "a clone profile's exclusion and cleanup script that do not exist",
        case: {
            kind: "CloneProfile",
            args: {
                name: "QA refresh",
                exclusions: ["sys_emial"],
                preservers: ["Core Instance Properties"],
                cleanupScripts: ["Disable emials"],
            },
        },
        expect: [
            /exclusions\[0\]: exclusions entry "sys_emial" of a clone profile does not exist in clone_data_exclude/,
            /did you mean "sys_email"/,
            /cleanupScripts\[0\]: .*"Disable emials" .*clone_cleanup_script.*did you mean "Disable emails"/,
        ],
    },
    {
        what: "a clone request with a profile that does not exist",
        case: { kind: "CloneRun", args: { mode: "request", profile: "Sytem Profile" } },
        expect: [/profile/, /clone profile "Sytem Profile" does not exist in clone_profile/, /"System Profile"/],
    },
    {
        what: "misspelt fields in a DataMasking rule's query and exception query, and a table that does not exist",
        case: {
            kind: "DataMasking",
            args: {
                allowUnknownCloneEpoch: true,
                rules: [
                    {
                        table: "sys_user",
                        query: "actve=true",
                        exceptQuery: "user_nmae=uat.lead",
                        fields: { email: { technique: "fake", fake: "email" } },
                    },
                    { table: "sys_usr", fields: { email: { technique: "remove" } } },
                ],
            },
        },
        config: { "servicenow:maskingSalt": { value: "bad-input-masking-salt", secret: true } },
        expect: [
            /rules\[0\]\.query: field "actve" does not exist on sys_user.*did you mean "active"/,
            /rules\[0\]\.exceptQuery: field "user_nmae" does not exist on sys_user.*did you mean "user_name"/,
            /rules\[1\]\.table: table "sys_usr" does not exist/,
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

    let doc: string;

    before(async () => {
        doc = fs.readFileSync(path.join(packageRoot, "docs", "preview-checks.md"), "utf8");
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
            .filter(isWriteRequest)
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
                const events: EngineEvent[] = [];
                const error = await stack.preview({ onEvent: (e) => events.push(e) }).then(
                    () => undefined,
                    (e: Error) => e,
                );
                assert.ok(error, `preview accepted ${c.what}`);
                const message = problemLines(error.message);
                printed.push({ what: c.what, message });
                // docs/preview-checks.md must say what preview prints now: regenerate it when a message changes.
                const lines = failureLines(events, instance.url);
                assert.ok(lines.length > 0, `${c.what}: the engine reported no error event`);
                for (const line of lines) {
                    assert.ok(
                        doc.includes(tableCell(line)),
                        `${c.what}: docs/preview-checks.md lacks this message; run \`npx tsx bench/preview-checks.ts\`:\n${line}`,
                    );
                }
                for (const x of c.expect) assert.match(message, x, `${c.what}: ${message}`);
                assert.doesNotMatch(message, /\{<nil>\}/, "values print readably");
                assert.doesNotMatch(
                    message,
                    /\{map\[/,
                    "an item's failure does not print its whole list in Go notation",
                );
                assert.deepEqual(writes(seq), [], `${c.what}: nothing written`);
            }
        });
    });

    it("with OAuth, a hibernating instance is reported as hibernating at preview, never as bad credentials", async () => {
        const oauth: ConfigMap = {
            ...base(),
            "servicenow:clientId": { value: SEEDED_OAUTH_CLIENT.clientId },
            "servicenow:clientSecret": { value: SEEDED_OAUTH_CLIENT.clientSecret, secret: true },
            "badinput:case": { value: JSON.stringify({ kind: "UserLockout", args: { scope: "active=true" } }) },
        };
        await withTempStack("bad-input", oauth, async ({ stack }) => {
            const seq = emulator.stats.lastSeq;
            emulator.faults.configure({ hibernating: true });
            try {
                const error = await stack.preview().then(
                    () => undefined,
                    (e: Error) => e,
                );
                assert.ok(error, "preview passed against a hibernating instance");
                const message = problemLines(error.message);
                assert.match(message, /hibernating/, message);
                assert.doesNotMatch(message, /credential|401|unauthori[sz]ed|invalid_client/i, message);
            } finally {
                emulator.faults.configure({ hibernating: false });
            }
            // Asking for a token is a POST but writes no record.
            const records = writes(seq).filter((w) => w !== "POST /oauth_token.do");
            assert.deepEqual(records, [], "nothing written");
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

    it("previews a profile naming an exclusion the stack creates, and a clone naming that profile, with 0 writes", async () => {
        // The engine previews a create with its inputs as outputs, so `exclusion.name` is known at preview although
        // the record does not exist yet: check leaves such references to apply instead of failing the first preview.
        const cases = [
            { kind: "CloneExclusion", args: { name: "incident" } },
            {
                kind: "CloneProfile",
                args: {
                    name: "QA refresh",
                    exclusions: ["@0.name", "sys_email"],
                    preservers: ["Core Instance Properties"],
                },
            },
            { kind: "CloneRun", args: { mode: "request", profile: "@1.name" } },
        ];
        await withTempStack(
            "bad-input",
            { ...base(), "badinput:case": { value: JSON.stringify(cases) } },
            async ({ stack }) => {
                const seq = emulator.stats.lastSeq;
                const preview = await stack.preview();
                assert.equal(preview.changeSummary.create, 4, "the stack, the exclusion, the profile and the clone");
                assert.deepEqual(writes(seq), []);
            },
        );
    });

    it("sn-clone preview prints each check failure once, without the engine's wrapping, with 0 writes", async () => {
        const c = {
            kind: "UserLockout",
            args: { scope: "active=true^departmnt=Finance", allowQuery: "web_service_acess_only=true" },
        };
        await withTempStack(
            "bad-input",
            { ...base(), "badinput:case": { value: JSON.stringify(c) } },
            async ({ stack, stateDir, homeDir }) => {
                const seq = emulator.stats.lastSeq;
                const project = path.join(packageRoot, "test", "fixtures", "bad-input");
                const r = await snClone(
                    ["--work-dir", project, "--backend-url", `file://${stateDir}`, "--pulumi-home", homeDir].concat([
                        "preview",
                        stack.name,
                    ]),
                    { PULUMI_CONFIG_PASSPHRASE: PASSPHRASE },
                );
                const printed = r.stdout + r.stderr;
                assert.equal(r.code, 1, printed);
                const count = (text: string) => printed.split(text).length - 1;
                assert.equal(count('scope: field "departmnt" does not exist on sys_user'), 1, printed);
                assert.equal(
                    count('allowQuery: field "web_service_acess_only" does not exist on sys_user'),
                    1,
                    printed,
                );
                assert.match(printed, /UserLockout "userlockout-1" scope: .*received "active=true\^departmnt=Finance"/);
                assert.doesNotMatch(printed, /has a problem|pulumi-nodejs:dynamic/, "the engine's wrapping is cut");
                assert.deepEqual(writes(seq), []);
            },
        );
    });

    it("a one-endpoint drift in IntegrationEndpoints diffs as that one rule, naming the endpoint", async () => {
        const rules = Object.entries(SANDBOXES).map(([from, to]) => ({ from, to }));
        const c = { kind: "IntegrationEndpoints", args: { rules, productionHosts: Object.keys(SANDBOXES) } };
        await withTempStack(
            "bad-input",
            { ...base(), "badinput:case": { value: JSON.stringify(c) } },
            async ({ stack }) => {
                await stack.up();
                const db = instance.db;
                const dw = db.query("sys_rest_message", "name=Data Warehouse")[0]!;
                db.update("sys_rest_message", dw.sys_id!, { rest_endpoint: "https://dw.acme-corp.com/api" });
                const preview = await stack.preview({ refresh: true, diff: true });
                const update = preview.stdout.slice(preview.stdout.lastIndexOf("(update)"));
                assert.ok(update.length < preview.stdout.length, preview.stdout);
                // Only the Data Warehouse rule (index 1) is marked, and the only lines added or removed are its
                // endpoint that escaped the rewrite; the other rules print as unchanged context.
                assert.deepEqual(update.match(/~ \[\d+\]:/g), ["~ [1]:"], update);
                const changed = update
                    .split("\n")
                    .map((l) => l.trim())
                    .filter((l) => /^[+-] /.test(l));
                assert.deepEqual(changed, [
                    "- notRewritten: [",
                    '-     [0]: "sys_rest_message \\"Data Warehouse\\": https://dw.acme-corp.com/api"',
                ]);
                await stack.up({ refresh: true });
                assert.equal(
                    db.get("sys_rest_message", dw.sys_id!)?.rest_endpoint,
                    "https://dw-test.acme-corp.com/api",
                );
                await stack.destroy();
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
