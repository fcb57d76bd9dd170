/**
 * Writes docs/preview-checks.md, the acceptance table of issue 12: each input the README documents (the resources'
 * inputs of docs/resources/, the `servicenow:*` and `environment:*` keys), the bad values tried for it and the message
 * `pulumi preview` prints, generated from real previews through the Pulumi CLI on the emulator, never typed by hand.
 * Each preview's request log must show 0 writes, or the script fails.
 *
 * Run: `npm run build && npx tsx bench/preview-checks.ts` (a few minutes: one preview per probe group).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { ConfigMap, EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { type RunningEmulator, startEmulator } from "../emulator";
import { isWriteRequest } from "../emulator/index";
import { packageRoot } from "../sdk/toolchain";
import { failureLines, tableCell } from "../test/support/preview-failures";
import { withTempStack } from "../test/support/pulumi";

const TARGET = "acme-qa";
const DOC = path.join(packageRoot, "docs", "preview-checks.md");

/** One row: an input, a bad value, and what identifies its failure among a preview's messages. */
interface Probe {
    resource: string;
    input: string;
    /** The bad value as the table shows it. */
    bad: string;
    /** Text a failure line must contain to belong to this probe (default: the line starts with the input's path). */
    match?: string;
}

/** One preview: the program's resources (or the environment program's config) and the probes it answers. */
interface Run {
    program: "resources" | "environment";
    /** For `resources`: the bad-input fixture's `badinput:case`. */
    case?: unknown;
    config?: ConfigMap;
    probes: Probe[];
}

/** Documented inputs that take any value: no bad value exists, and the table says why. */
const NO_BAD_VALUE: { resource: string; input: string; why: string }[] = [
    { resource: "ClonePreserver", input: "description", why: "free text" },
    { resource: "CloneExclusion", input: "description", why: "free text" },
    { resource: "CloneCleanupScript", input: "description", why: "free text" },
    { resource: "CloneProfile", input: "description", why: "free text" },
    { resource: "InstanceBranding", input: "welcomeText", why: "free text (HTML allowed)" },
    { resource: "EmailPolicy", input: "smtpPassword", why: "a secret: any string; never echoed in a message" },
    {
        resource: "(every post-clone resource)",
        input: "cloneEpoch",
        why: "an opaque marker: any change means re-assert",
    },
    { resource: "environment:", input: "environment:label", why: "free text (the stack output `environment`)" },
    {
        resource: "environment:",
        input: "environment:cloneEpoch",
        why: "an opaque marker set by `sn-clone apply --clone`",
    },
];

/** Why a bad value that preview accepts is still caught, shown in the table instead of the message. */
const ACCEPTED_WHY: Record<string, string> = {
    "servicenow:instanceName":
        "accepted by `pulumi preview` of a resource whose check does not read the instance (a SystemProperty); refused " +
        "there by one whose check does (next row); `sn-clone` compares it with the live `instance_name` before the " +
        "engine runs (exit 3), and the fence refuses the first write (`UnsafeTargetError`)",
    "servicenow:sourceInstanceName":
        "accepted at preview: the fence refuses at the first write to the source (`UnsafeTargetError`, exit 3)",
    "servicenow:productionInstances":
        "accepted at preview by a resource whose check does not read the instance (the fence refuses at the first " +
        "write, exit 3); refused at preview by one whose check does, and for a clone request into it (next rows)",
    type: "accepted: used only when the property is created, and the platform takes any type name",
};

const probe = (resource: string, input: string, bad: unknown, match?: string): Probe => ({
    resource,
    input,
    bad: typeof bad === "string" ? JSON.stringify(bad) : JSON.stringify(bad),
    ...(match ? { match } : {}),
});

/** A resource run: one resource (or several) in the bad-input fixture. */
const res = (kind: string, args: Record<string, unknown>, probes: Probe[], config?: ConfigMap): Run => ({
    program: "resources",
    case: { kind, args },
    probes,
    ...(config ? { config } : {}),
});

/** Runs of one resource whose probes are one bad value per input, all in one preview. */
const each = (kind: string, bad: Record<string, unknown>, extra: Record<string, unknown> = {}, config?: ConfigMap) =>
    res(
        kind,
        { ...extra, ...bad },
        Object.entries(bad).map(([k, v]) => probe(kind, k, v)),
        config,
    );

const SALT: ConfigMap = { "servicenow:maskingSalt": { value: "preview-checks-masking-salt", secret: true } };
const VALID_RULE = { table: "sys_user", fields: { email: { technique: "fake", fake: "email" } } };

const RUNS: Run[] = [
    // UserLockout: the schema, then the queries (checked against sys_user's dictionary), then the allow-lists.
    each("UserLockout", { connection: "prod", scope: "active=true^locked_out=false", allowRoles: [] }),
    each("UserLockout", { scope: "active=true^departmnt=Finance", allowQuery: "web_service_acess_only=true" }),
    each("UserLockout", { allowRoles: ["admn"], allowGroups: ["UAT Participnts"], allowUsers: ["nobody.here"] }),
    // ScheduledJobState.
    each("ScheduledJobState", { connection: "prod", scope: "active=true", allowSysIds: ["not-a-sys-id"] }),
    each("ScheduledJobState", { scope: "nmaeSTARTSWITHSLA", allowQuery: "nmae=Nightly" }),
    each("ScheduledJobState", { allowNames: ["Nightly exprot"] }),
    // EmailPolicy.
    each("EmailPolicy", { connection: "prod", sending: "yes", receiving: 1, redirectTo: ["qa-inbox"] }),
    each("EmailPolicy", { smtpAccount: { name: "Relay" } }),
    // InstanceBranding.
    each("InstanceBranding", { connection: "prod", bannerText: "", baseColor: "purple", exclusiveWelcome: "yes" }),
    each("InstanceBranding", { welcomeTitle: "" }, { welcomeText: "<p>QA</p>" }),
    each("InstanceBranding", { welcomePageTable: "welcome_page_contnt" }, { welcomeText: "<p>QA</p>" }),
    // LdapServerState.
    each("LdapServerState", { connection: "prod", active: "no", includeScheduledLoads: "x" }),
    each("LdapServerState", { servers: ["ACME CROP LDAP"] }),
    // MidServerState.
    each("MidServerState", { connection: "prod", clearEccQueue: "x", resolveCloneIssues: 1, users: [""] }),
    each("MidServerState", { midServers: ["mid-prod-99"] }),
    each("MidServerState", { role: "mid_srv" }),
    // IntegrationEndpoints.
    each("IntegrationEndpoints", {
        connection: "prod",
        rules: [{ from: "api.acme.com/v2", to: "sandbox.acme.com" }],
        productionHosts: ["https://api.acme.com"],
    }),
    // SystemProperty.
    each("SystemProperty", { connection: "prod", name: "not a property name!", value: 5, type: "colour" }),
    // CloneRun.
    each("CloneRun", {
        mode: "clone",
        excludeAuditLogData: "yes",
        excludeAttachments: 1,
        preserveTheme: "x",
        preserveInProgressUpdateSetsDays: -3,
        timeoutMinutes: -1,
        pollSeconds: 0,
        rollbackOnDestroy: "x",
        historyFrom: "elsewhere",
    }),
    each("CloneRun", { profile: "QA refresh" }, { mode: "attach" }),
    each("CloneRun", { targetInstance: "acme-tset" }, { mode: "request" }),
    each("CloneRun", { profile: "Sytem Profile" }, { mode: "request" }),
    // The clone configuration on the source.
    each("CloneProfile", { connection: "prod", name: "System Profile", exclusions: ["a^b"] }),
    each("CloneProfile", { preservers: ["Email Accounts"] }, { name: "QA refresh" }),
    each(
        "CloneProfile",
        { exclusions: ["sys_emial"], preservers: ["Core Instance Properties", "Emial Accounts"] },
        { name: "QA refresh" },
    ),
    each(
        "CloneProfile",
        { cleanupScripts: ["Disable emials"] },
        { name: "QA refresh", preservers: ["Core Instance Properties"] },
    ),
    each(
        "CloneProfile",
        { allowWithoutCoreInstanceProperties: "yes" },
        { name: "QA refresh", preservers: ["Core Instance Properties"] },
    ),
    each("CloneExclusion", { connection: "prod", name: "sys_db_object" }),
    each("CloneExclusion", { name: "incidnt" }),
    each("ClonePreserver", { connection: "prod", name: "", table: "Bad Table", theme: "x" }),
    each("ClonePreserver", { table: "sys_rest_mesage" }, { name: "Endpoints" }),
    each("ClonePreserver", { condition: "nmae=Payments" }, { name: "Endpoints", table: "sys_rest_message" }),
    each("CloneCleanupScript", { connection: "prod", name: "", order: "first", active: "x" }, { script: "x" }),
    each("CloneCleanupScript", { script: "var x = ;" }, { name: "Mark QA" }),
    // DataMasking.
    each(
        "DataMasking",
        { connection: "prod", mode: "scramble", emailDomain: "example.com", allowUnknownCloneEpoch: "yes" },
        { rules: [VALID_RULE] },
        SALT,
    ),
    each("DataMasking", { rules: [{ table: "Sys User", fields: {} }] }, { allowUnknownCloneEpoch: true }, SALT),
    res(
        "DataMasking",
        {
            allowUnknownCloneEpoch: true,
            exceptUsers: ["nobody.here"],
            rules: [
                {
                    table: "sys_user",
                    query: "actve=true",
                    exceptQuery: "user_nmae=uat.lead",
                    fields: { u_ssn: { technique: "remove" } },
                },
                { table: "sys_usr", fields: { email: { technique: "remove" } } },
            ],
        },
        [
            probe("DataMasking", "exceptUsers", ["nobody.here"]),
            probe("DataMasking", "rules[].table", "sys_usr", "rules[1].table"),
            probe("DataMasking", "rules[].fields", { u_ssn: { technique: "remove" } }, "rules[0].fields"),
            probe("DataMasking", "rules[].query", "actve=true", "rules[0].query"),
            probe("DataMasking", "rules[].exceptQuery", "user_nmae=uat.lead", "rules[0].exceptQuery"),
        ],
        SALT,
    ),
    res("DataMasking", { rules: [VALID_RULE] }, [probe("DataMasking", "cloneEpoch", "(none)", "cloneEpoch")], SALT),
    // Two resources on one record.
    {
        program: "resources",
        case: [
            { kind: "SystemProperty", args: { name: "glide.ui.session_timeout", value: "240" } },
            { kind: "SystemProperty", args: { name: "glide.ui.session_timeout", value: "480" } },
        ],
        probes: [probe("SystemProperty", "name", "the same name twice", "both manage")],
    },
    // The connection keys.
    ...connectionRuns(),
    // The environment program's keys, all in one preview (its config is checked as a whole).
    {
        program: "environment",
        config: Object.fromEntries(
            Object.entries({
                clone: { mode: "copy" },
                branding: { bannerText: "QA", baseColor: "purple" },
                email: { sending: true, redirectTo: ["qa-inbox"] },
                access: { allowRoles: [] },
                ldap: { active: "no" },
                jobs: { allowNames: "Nightly export" },
                midServers: { clearEccQueue: "x" },
                integrations: { rules: [{ from: "api.acme.com/v2", to: "sandbox.acme.com" }] },
                masking: { mode: "scramble" },
                properties: { "not a property!": "x" },
                verify: { enforce: "x" },
                lockout: { allowRoles: ["admin"] },
            }).map(([k, v]) => [`environment:${k}`, { value: JSON.stringify(v) }]),
        ),
        probes: [
            ["clone", { mode: "copy" }],
            ["branding", { baseColor: "purple" }],
            ["email", { sending: true, redirectTo: ["qa-inbox"] }],
            ["access", { allowRoles: [] }],
            ["ldap", { active: "no" }],
            ["jobs", { allowNames: "Nightly export" }],
            ["midServers", { clearEccQueue: "x" }],
            ["integrations", { rules: [{ from: "api.acme.com/v2", to: "sandbox.acme.com" }] }],
            ["masking", { mode: "scramble" }],
            ["properties", { "not a property!": "x" }],
            ["verify", { enforce: "x" }],
            ["lockout", { allowRoles: ["admin"] }],
        ].map(([k, v]) => probe("environment:", `environment:${k}`, v, `environment:${k}`)),
    },
];

/** One preview per connection key (the connection settings are checked one problem at a time). */
function connectionRuns(): Run[] {
    const property = { kind: "SystemProperty", args: { name: "glide.ui.session_timeout", value: "240" } };
    const key = (k: string, value: string, kind: unknown = property, extra: ConfigMap = {}): Run => ({
        program: "resources",
        case: kind,
        config: { [`servicenow:${k}`]: { value }, ...extra },
        probes: [probe("servicenow:", `servicenow:${k}`, value, k)],
    });
    const request = { kind: "CloneRun", args: { mode: "request" } };
    // A resource whose check reads the instance anyway also asks the fence, so these fail its preview.
    const lockout = { kind: "UserLockout", args: {} };
    const readsInstance = (k: string, value: string, match: string): Run => ({
        program: "resources",
        case: lockout,
        config: { [k]: { value } },
        probes: [probe("servicenow:", k, `${value} (a UserLockout, whose check reads the instance)`, match)],
    });
    const masking = { kind: "DataMasking", args: { allowUnknownCloneEpoch: true, rules: [VALID_RULE] } };
    return [
        key("instanceUrl", "acc-qa service-now com"),
        key("instanceUrl", "ftp://acme-qa.service-now.com"),
        key("instanceName", "acme-tset"),
        readsInstance("servicenow:instanceName", "acme-tset", "saw"),
        key("productionInstances", '["acme-prod"'),
        key("productionInstances", TARGET),
        readsInstance("servicenow:productionInstances", `acme-prod,${TARGET}`, "declared production instance"),
        {
            program: "resources",
            case: request,
            config: { "servicenow:productionInstances": { value: `acme-prod,${TARGET}` } },
            probes: [
                probe(
                    "servicenow:",
                    "servicenow:productionInstances",
                    `acme-prod,${TARGET} (a CloneRun requesting into it)`,
                    "declared production instance",
                ),
            ],
        },
        key("allowInsecureHttp", "maybe"),
        key("clientId", "pulumi-client"),
        key("maskingSalt", "short", masking),
        key("sourceInstanceUrl", "not a url", request),
        key("sourceInstanceName", "acme-tset", request),
        key("allowChangeRequests", "perhaps"),
    ];
}

interface Result {
    probe: Probe;
    messages: string[];
}

async function main(): Promise<void> {
    const emulator = await startEmulator({
        instances: [{ name: TARGET, port: 0, seed: "production" }],
        users: 40,
        jobs: 20,
    });
    const instance = emulator.instances.get(TARGET)!;
    const base = (): ConfigMap => ({
        "servicenow:instanceUrl": { value: instance.url },
        "servicenow:username": { value: "admin" },
        // Not a secret here: the engine masks a secret's value wherever it appears, and the emulator's password is
        // "admin", which messages also say as a role name.
        "servicenow:password": { value: "admin" },
        "servicenow:instanceName": { value: TARGET },
        "servicenow:productionInstances": { value: "acme-prod" },
        "servicenow:sourceInstanceUrl": { value: instance.url },
        "servicenow:sourceUsername": { value: "admin" },
        "servicenow:sourcePassword": { value: "admin" },
        "servicenow:sourceInstanceName": { value: TARGET },
    });
    const results: Result[] = [];
    const wrote: string[] = [];
    try {
        for (const program of ["resources", "environment"] as const) {
            const runs = RUNS.filter((r) => r.program === program);
            const fixture = program === "resources" ? "bad-input" : "env-cli";
            await withTempStack(
                fixture,
                base(),
                async ({ stack }) => {
                    for (const run of runs) {
                        const config: ConfigMap = { ...base(), ...run.config };
                        if (run.case !== undefined) config["badinput:case"] = { value: JSON.stringify(run.case) };
                        await stack.setAllConfig(config);
                        const seq = emulator.stats.lastSeq;
                        const lines = await failures(stack, instance.url);
                        const writes = writesSince(emulator, seq);
                        if (writes.length > 0) wrote.push(`${run.probes.map((p) => p.input).join(", ")}: ${writes}`);
                        for (const p of run.probes)
                            results.push({ probe: p, messages: lines.filter((l) => owns(p, l)) });
                        process.stderr.write(".");
                        // setAllConfig adds to the stack config: this run's own keys go, so the next run starts from the base.
                        for (const k of Object.keys(run.config ?? {})) await stack.removeConfig(k);
                    }
                },
                { PULUMI_SERVICENOW_PROJECT_DIR: path.join(packageRoot, "test", "fixtures", fixture) },
            );
        }
    } finally {
        await emulator.stop();
    }
    process.stderr.write("\n");
    fs.writeFileSync(DOC, render(results));
    process.stdout.write(`wrote ${path.relative(packageRoot, DOC)}: ${results.length} probes\n`);
    const silent = results.filter((r) => r.messages.length === 0);
    for (const r of silent) process.stdout.write(`  accepted at preview: ${r.probe.resource} ${r.probe.input}\n`);
    if (wrote.length > 0) {
        process.stderr.write(`previews wrote to the instance:\n  ${wrote.join("\n  ")}\n`);
        process.exitCode = 1;
    }
}

/** The error messages of a preview in the table's form (none when it passed). */
async function failures(stack: Stack, url: string): Promise<string[]> {
    const events: EngineEvent[] = [];
    const ok = await stack.preview({ onEvent: (e) => events.push(e) }).then(
        () => true,
        () => false,
    );
    return ok ? [] : failureLines(events, url);
}

/** True when a failure line belongs to the probe. */
function owns(p: Probe, line: string): boolean {
    if (p.match) return line.includes(p.match);
    return new RegExp(`^${p.input.replace(/[.[\]]/g, "\\$&")}[ :.[]`).test(line);
}

function writesSince(emulator: RunningEmulator, seq: number): string[] {
    return emulator.stats
        .requests(TARGET, seq)
        .filter(isWriteRequest)
        .map((e) => `${e.method} ${e.path}`);
}

const cell = tableCell;

function render(results: Result[]): string {
    const rows = [
        ...results.map((r) => ({
            resource: r.probe.resource,
            input: r.probe.input,
            bad: `\`${cell(r.probe.bad)}\``,
            message:
                r.messages.length > 0
                    ? r.messages.map(cell).join("<br>")
                    : `**${ACCEPTED_WHY[r.probe.input] ?? "accepted at preview"}**`,
        })),
        ...NO_BAD_VALUE.map((n) => ({
            resource: n.resource,
            input: n.input,
            bad: "—",
            message: `no bad value: ${n.why}`,
        })),
    ];
    const out = [
        "# What preview says about bad input",
        "",
        "Generated by `npx tsx bench/preview-checks.ts` (after `npm run build`) from real `pulumi preview` runs through the",
        "Pulumi CLI on the emulator's seeded instance; do not edit by hand. Each row is a documented input (the resource",
        "inputs of [resources/](resources/), the `servicenow:*` and `environment:*` keys of the README), the bad value",
        "tried, and the message the preview printed, without the engine's prefix (`pulumi-nodejs:dynamic/servicenow:Type",
        "resource 'name': property p value v has a problem:`). The emulator's address is shown as `<instance>`. Every",
        "preview's request log showed 0 writes (the script fails otherwise). One preview can report several inputs of one",
        "resource; lookups on the instance (names, queries) run once the values' shapes are right, so they have rows of",
        "their own.",
        "",
        "| Resource | Input | Bad value | What preview prints |",
        "| --- | --- | --- | --- |",
        ...rows.map((r) => `| ${r.resource} | \`${r.input}\` | ${r.bad} | ${r.message} |`),
        "",
    ];
    return out.join("\n");
}

main().catch((err) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
});
