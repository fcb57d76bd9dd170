/**
 * `npm run demo`: the whole story on the embedded emulator, start to finish, leaving nothing behind.
 *
 * Production is cloned into dev and qa; the dev and qa stacks (stacks/Pulumi.dev.yaml, stacks/Pulumi.qa.yaml) are
 * applied through the Automation API; someone then changes things behind the stacks' back; the drift check names
 * exactly those changes; a second apply repairs them. Everything it starts (emulator, Pulumi processes, temporary
 * state) is stopped and removed at the end, on error and on Ctrl-C.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import Table from "cli-table3";
import { type RunningEmulator, type RunningInstance, startEmulator } from "../emulator/index";
import type { DriftReport } from "../sdk/automation/drift";
import { formatDriftText } from "../sdk/automation/drift";
import { EnvironmentSession } from "../sdk/automation/environment";
import type { ProgressEvent } from "../sdk/automation/progress";
import { describeChanges } from "../sdk/cli/index";
import { createProgressView } from "../sdk/cli/progress-view";
import { governanceDemo } from "./governance";
import { inFlightDemo } from "./in-flight";
import { maskingRows } from "./masking";
import { demoVerify } from "./verify";

const USERS = 5000;
const JOBS = 500;
const PROD = "acme";
const TARGETS = [
    { env: "dev", instance: "acme-dev" },
    { env: "qa", instance: "acme-qa" },
] as const;
const ADMIN = { username: "admin", password: "admin" };
/** Hosts the stacks' integrations rules take off production (stacks/Pulumi.*.yaml, environment:integrations). */
const PRODUCTION_HOSTS = [
    "api.payments.acme-corp.com",
    "dw.acme-corp.com",
    "sap-pi.acme-corp.com",
    "ebs.acme-corp.com",
];

const out = process.stdout;
const say = (text = "") => out.write(`${text}\n`);
const started = Date.now();

/** Everything the demo must undo, in reverse order of creation. */
const cleanups: (() => Promise<void> | void)[] = [];

async function main(signal: AbortSignal): Promise<void> {
    say("pulumi-servicenow-clone demo");
    say("============================");
    say("A ServiceNow clone copies production over a test instance. Afterwards a checklist must be redone: label the");
    say("instance, stop email, lock users out, switch off LDAP and scheduled jobs, reset MID servers and take");
    say("integrations off production. Here each environment's checklist is a Pulumi stack; this demo runs it on a");
    say("local emulator of ServiceNow (nothing leaves this machine).");

    // Temporary Pulumi state and home: the demo leaves nothing behind.
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "sn-clone-demo-"));
    cleanups.push(() => fs.rmSync(tmp, { recursive: true, force: true }));
    fs.mkdirSync(path.join(tmp, "state"));

    step(
        1,
        `Starting the emulator: production "${PROD}" (${USERS.toLocaleString("en")} users, ${JOBS} scheduled jobs) and two targets`,
    );
    const t1 = Date.now();
    const emu: RunningEmulator = await startEmulator({
        instances: [
            { name: PROD, seed: "production" },
            ...TARGETS.map((t) => ({ name: t.instance, seed: "empty" as const })),
        ],
        users: USERS,
        jobs: JOBS,
        adminPassword: ADMIN.password,
        cloneDurationMs: 4000,
    });
    cleanups.push(() => emu.stop());
    for (const i of emu.instances.values()) say(`      ${i.name.padEnd(9)} ${i.url}`);
    say(`      ready in ${secs(Date.now() - t1)}`);
    const prod = instance(emu, PROD);

    step(
        2,
        "Cloning production into acme-dev and acme-qa (a clone request on production, as the Clone Admin Console makes)",
    );
    const sessions = new Map<string, EnvironmentSession>();
    for (const t of TARGETS) {
        const target = instance(emu, t.instance);
        const session = await EnvironmentSession.open({
            environment: t.env,
            // A scratch copy of the project: config set here (emulator URLs, passwords) never touches stacks/*.yaml.
            isolated: true,
            backendUrl: `file://${path.join(tmp, "state")}`,
            pulumiHome: path.join(tmp, "pulumi-home"),
            passphrase: "demo-passphrase",
            signal,
            config: {
                // Only the connection changes: every checklist value comes from the committed stack file.
                "servicenow:instanceUrl": { value: target.url },
                "servicenow:username": { value: ADMIN.username },
                "servicenow:password": { value: ADMIN.password, secret: true },
                "servicenow:productionInstances": { value: PROD },
                "servicenow:sourceInstanceUrl": { value: prod.url },
                "servicenow:sourceUsername": { value: ADMIN.username },
                "servicenow:sourcePassword": { value: ADMIN.password, secret: true },
                "servicenow:sourceInstanceName": { value: PROD },
                // qa masks personal data (environment:masking); its key is a secret like the passwords.
                "servicenow:maskingSalt": { value: "demo-masking-salt-2f9c41", secret: true },
            },
        });
        sessions.set(t.env, session);
        cleanups.push(() => session.close());
    }

    const t2 = Date.now();
    await settleAll(
        [...sessions.values()].map((session) => {
            let lastState = "";
            session.setProgressListener((e) => {
                // One line per state; the Active phases (backup, copy, exclusions, preservers...) would be 7 more each.
                if (e.kind !== "clone" || e.state === lastState) return;
                lastState = e.state;
                say(`      ${e.message}`);
            });
            // The clone's completion becomes the stack's clone epoch: every resource re-asserts after a new clone.
            return session.clone({ pollMs: 250 });
        }),
    );
    say(`      both clones completed in ${secs(Date.now() - t2)}`);

    const before = new Map(TARGETS.map((t) => [t.env, checklist(instance(emu, t.instance))]));
    step(3, "What the clone left on the targets: production's settings, users and jobs");
    printChecklist(before, undefined);
    await demoVerify(sessions.get("qa")!, say, "right after the clone");

    step(
        4,
        "Applying the dev and qa stacks through the Automation API (stacks/Pulumi.dev.yaml, stacks/Pulumi.qa.yaml)",
    );
    await applyAll(sessions, "first apply");
    const after = new Map(TARGETS.map((t) => [t.env, checklist(instance(emu, t.instance))]));
    step(5, "Before and after, per checklist item");
    printChecklist(before, after);
    say(
        '      Notes: email was already off after the clone (the clone\'s own "Disable emails" cleanup script); dev keeps',
    );
    say("      it off, qa turns it on with every message redirected to the QA mailbox. The clone does not copy MID");
    say("      servers, so the target's own MID user was gone: MidServerState recreated it (one more user). Only");
    say(
        "      administrators (dev), plus the UAT Participants group (qa), plus the MID server users can still sign in.",
    );
    if (!(await demoVerify(sessions.get("qa")!, say, "after the apply"))) throw new Error("qa failed verification");

    step(6, "Changing things behind the stacks' back, directly over the REST API (as a busy admin would)");
    const dev = instance(emu, "acme-dev");
    const qa = instance(emu, "acme-qa");
    const jobs = await reEnableJobs(dev, 3);
    say(`      acme-dev: re-enabled ${jobs.length} scheduled jobs: ${jobs.map((j) => `"${j}"`).join(", ")}`);
    const user = await unlockUser(qa);
    say(`      acme-qa:  unlocked user "${user}"`);
    await setProperty(dev, "glide.email.smtp.active", "true");
    say('      acme-dev: turned email sending on (glide.email.smtp.active = "true")');

    const tampered = new Map(TARGETS.map((t) => [t.env, checklist(instance(emu, t.instance))]));

    step(7, "Drift check: every resource read back from the instance, nothing written");
    const reports = await driftAll(sessions);
    for (const r of reports) printDrift(r);

    step(8, "Repairing: apply again puts back exactly what drifted");
    await applyAll(sessions, "repair");
    const repaired = await driftAll(sessions, true);
    for (const r of repaired)
        say(
            `      ${r.environment}: ${r.drifted ? "STILL DRIFTED" : `no drift (${r.checked} resources match the instance)`}`,
        );
    const final = new Map(TARGETS.map((t) => [t.env, checklist(instance(emu, t.instance))]));
    printChecklist(
        tampered,
        final,
        ["Users who can sign in", "Active scheduled jobs", "Email sending"],
        ["tampered", "repaired"],
    );
    if (repaired.some((r) => r.drifted)) throw new Error("the repair apply left drift behind");

    await inFlightDemo({ tmp, signal, say, cleanup: (fn) => cleanups.push(fn) });
    await governanceDemo({ tmp, signal, say, cleanup: (fn) => cleanups.push(fn) });

    step(9, "Stopping the emulator and removing the temporary Pulumi state");
}

/** Applies every environment at once, with one progress view per environment. */
async function applyAll(sessions: Map<string, EnvironmentSession>, what: string): Promise<void> {
    const t = Date.now();
    const results = await settleAll(
        [...sessions].map(async ([env, session]) => {
            const view = createProgressView(out, { tty: false, indent: `      ${env.padEnd(4)} ` });
            const listener = (e: ProgressEvent) => (e.kind === "stage" ? undefined : view.listener(e));
            session.setProgressListener(listener);
            try {
                return [env, await session.apply({ message: `demo: ${what}` })] as const;
            } finally {
                view.finish();
                session.setProgressListener(undefined);
            }
        }),
    );
    for (const [env, r] of results) say(`      ${env}: ${describeChanges(r.changes)}`);
    say(`      ${what} done in ${secs(Date.now() - t)}`);
}

async function driftAll(sessions: Map<string, EnvironmentSession>, quiet = false): Promise<DriftReport[]> {
    const t = Date.now();
    const reports = await settleAll([...sessions.values()].map((s) => s.drift()));
    if (!quiet) say(`      checked in ${secs(Date.now() - t)}`);
    return reports;
}

function printDrift(report: DriftReport): void {
    for (const line of formatDriftText(report).trimEnd().split("\n")) say(`      ${line}`);
    say(
        "      (`sn-clone drift " +
            report.environment +
            "` prints this report and exits 2; --format json|junit for CI)",
    );
}

/** One environment's checklist as a person would check it on the instance. */
interface Checklist {
    [item: string]: string;
}

/** Reads the checklist items straight from the emulator's database (the instance's truth, not Pulumi's). */
function checklist(i: RunningInstance): Checklist {
    const db = i.db;
    const prop = (name: string) => db.getProperty(name) ?? "(unset)";
    const users = db.count("sys_user", "active=true");
    const canSignIn = db.count("sys_user", "active=true^locked_out!=true");
    const endpoints = [
        ...db.query("sys_rest_message", "").map((r) => r.rest_endpoint ?? ""),
        ...db.query("sys_rest_message_fn", "").map((r) => r.rest_endpoint ?? ""),
        ...db.query("sys_soap_message_function", "").map((r) => r.soap_endpoint ?? ""),
    ];
    const onProd = endpoints.filter((e) => PRODUCTION_HOSTS.some((h) => e.includes(`://${h}`))).length;
    const welcome = db.query("welcome_page_content", "active=true").map((r) => r.short_description ?? "");
    return {
        "Banner text": prop("glide.product.description"),
        "Base colour": prop("css.base.color"),
        "Welcome notice": welcome.join(", ") || "(none)",
        "Email sending": prop("glide.email.smtp.active"),
        "Email receiving": prop("glide.email.read.active"),
        "Mail redirected to": prop("glide.email.test.user"),
        "Users who can sign in": `${canSignIn} of ${users}`,
        "LDAP servers active": String(db.count("ldap_server_config", "active=true")),
        "Active scheduled jobs": String(db.count("sysauto", "active=true")),
        "MID server users OK": `${db.count("sys_user", "user_nameSTARTSWITHmid.^locked_out!=true")} of ${db.count("sys_user", "user_nameSTARTSWITHmid.")}`,
        "Endpoints on production": String(onProd),
        ...maskingRows(i),
    };
}

function printChecklist(
    a: Map<string, Checklist>,
    b: Map<string, Checklist> | undefined,
    only?: string[],
    labels: [string, string] = ["cloned", "applied"],
): void {
    const envs = [...a.keys()];
    const head = ["Checklist item"];
    for (const env of envs)
        head.push(...(b ? [`${env}: ${labels[0]}`, `${env}: ${labels[1]}`] : [`${env}: ${labels[0]}`]));
    const table = new Table({
        head,
        style: { head: [], border: [] },
        wordWrap: true,
        colWidths: b ? [25, 19, 30, 19, 30] : [25, 30, 30],
    });
    const items = only ?? Object.keys(a.get(envs[0]!)!);
    for (const item of items) {
        const row = [item];
        for (const env of envs) {
            const x = a.get(env)![item] ?? "";
            if (!b) row.push(x);
            else {
                const y = b.get(env)![item] ?? "";
                row.push(x, y === x ? y : `${y} *`);
            }
        }
        table.push(row);
    }
    for (const line of table.toString().split("\n")) say(`      ${line}`);
    if (b) say("      * changed");
}

// --- Changes made behind the stacks' back: plain Table API calls, as any admin or script would make. ---

function auth(): Record<string, string> {
    return {
        authorization: `Basic ${Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString("base64")}`,
        "content-type": "application/json",
        accept: "application/json",
    };
}

async function rest(
    i: RunningInstance,
    method: string,
    urlPath: string,
    body?: unknown,
): Promise<Record<string, string>[]> {
    const res = await fetch(`${i.url}${urlPath}`, {
        method,
        headers: auth(),
        body: body ? JSON.stringify(body) : undefined,
    });
    if (!res.ok) throw new Error(`${method} ${urlPath} on ${i.name}: HTTP ${res.status}`);
    const json = (await res.json()) as { result: Record<string, string>[] | Record<string, string> };
    return Array.isArray(json.result) ? json.result : [json.result];
}

async function reEnableJobs(i: RunningInstance, n: number): Promise<string[]> {
    const rows = await rest(
        i,
        "GET",
        `/api/now/table/sysauto?sysparm_query=${encodeURIComponent("active=false^nameNOT LIKESLA^ORDERBYname")}&sysparm_fields=sys_id,name,sys_class_name&sysparm_limit=${n}`,
    );
    for (const r of rows)
        await rest(i, "PATCH", `/api/now/table/${r.sys_class_name || "sysauto"}/${r.sys_id}`, { active: "true" });
    return rows.map((r) => r.name ?? "");
}

async function unlockUser(i: RunningInstance): Promise<string> {
    const [row] = await rest(
        i,
        "GET",
        `/api/now/table/sys_user?sysparm_query=${encodeURIComponent("active=true^locked_out=true^user_nameSTARTSWITHj^ORDERBYuser_name")}&sysparm_fields=sys_id,user_name&sysparm_limit=1`,
    );
    if (!row) throw new Error(`no locked-out user found on ${i.name}`);
    await rest(i, "PATCH", `/api/now/table/sys_user/${row.sys_id}`, { locked_out: "false" });
    return row.user_name ?? "";
}

async function setProperty(i: RunningInstance, name: string, value: string): Promise<void> {
    const [row] = await rest(
        i,
        "GET",
        `/api/now/table/sys_properties?sysparm_query=name=${encodeURIComponent(name)}&sysparm_fields=sys_id`,
    );
    if (!row) throw new Error(`${name} not found on ${i.name}`);
    await rest(i, "PATCH", `/api/now/table/sys_properties/${row.sys_id}`, { value });
}

// --- plumbing ---

/**
 * Like Promise.all, but waits for every operation to end before failing: a Pulumi run still going would otherwise
 * write into the temporary directory while the cleanup removes it.
 */
async function settleAll<T>(promises: Promise<T>[]): Promise<T[]> {
    const settled = await Promise.allSettled(promises);
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
    return settled.map((r) => (r as PromiseFulfilledResult<T>).value);
}

function instance(emu: RunningEmulator, name: string): RunningInstance {
    const i = emu.instances.get(name);
    if (!i) throw new Error(`the emulator has no instance ${name}`);
    return i;
}

function step(n: number, title: string): void {
    say();
    say(`[${n}/9] ${title}`);
}

function secs(ms: number): string {
    return ms >= 60_000
        ? `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`
        : `${(ms / 1000).toFixed(1)}s`;
}

async function cleanup(): Promise<void> {
    while (cleanups.length > 0) {
        const fn = cleanups.pop()!;
        try {
            await fn();
        } catch (err) {
            process.stderr.write(`demo: cleanup step failed: ${err instanceof Error ? err.message : String(err)}\n`);
        }
    }
}

const controller = new AbortController();
let interrupted = false;
process.on("SIGINT", () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stderr.write("\ndemo: interrupted; stopping what it started (Ctrl-C again to quit at once)\n");
    controller.abort(new Error("interrupted"));
});

main(controller.signal)
    .then(async () => {
        await cleanup();
        say(`      done. The demo ran in ${secs(Date.now() - started)} and left nothing behind.`);
    })
    .catch(async (err) => {
        if (interrupted) process.stderr.write("demo: stopped before the end\n");
        else process.stderr.write(`\ndemo failed: ${err instanceof Error ? err.message : String(err)}\n`);
        await cleanup();
        process.exitCode = interrupted ? 130 : 1;
    });
