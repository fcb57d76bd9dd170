/**
 * Demo step: an audited refresh. The uat clone is requested under change control: a normal change is created on
 * production through the Change Management API, waits in Assess until the CAB approves it (here, the emulator's
 * control endpoint), takes the first available slot of the instance's CI inside the declared window, and is closed
 * with the clone's evidence once the environment converged.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { startEmulator } from "../emulator/index";
import { EnvironmentSession } from "../sdk/automation/environment";

/** What the step needs from the demo around it. */
export interface GovernanceDemoContext {
    /** Temporary directory the demo removes at the end. */
    tmp: string;
    signal: AbortSignal;
    say: (text?: string) => void;
    /** Registers something to undo at the end. */
    cleanup: (fn: () => Promise<void> | void) => void;
}

const STATES: Record<string, string> = { "-4": "Assess", "-2": "Scheduled", "-1": "Implement", "3": "Closed" };

/** Runs the step on its own small emulator (production, which holds the change records, and a uat target). */
export async function governanceDemo(ctx: GovernanceDemoContext): Promise<void> {
    const { say } = ctx;
    say();
    say("[governance] An audited refresh of uat: change request, CAB approval, window, closure with evidence");
    const emu = await startEmulator({
        instances: [
            { name: "acme", seed: "production" },
            { name: "acme-uat", seed: "empty" },
        ],
        users: 300,
        jobs: 40,
        cloneDurationMs: 3000,
    });
    ctx.cleanup(() => emu.stop());
    const prod = emu.instances.get("acme")!;
    const uat = emu.instances.get("acme-uat")!;

    // The CMDB knows uat as a CI whose maintenance window opens in half a minute; the declared window is open now.
    const now = Date.now();
    const maintenance = Math.ceil((now + 30_000) / 1000) * 1000;
    const compact = (at: number) => new Date(at).toISOString().slice(0, 19).replace(/[-:]/g, "");
    const hhmm = (at: number) => new Date(at).toISOString().slice(11, 16);
    const schedule = prod.db.insert("cmn_schedule_maintenance", { name: "acme-uat maintenance", time_zone: "UTC" });
    prod.db.insert("cmn_schedule_span", {
        schedule: schedule.sys_id,
        name: "Daily",
        start_date_time: compact(maintenance - 24 * 3600_000),
        end_date_time: compact(maintenance - 23 * 3600_000),
        repeat_type: "daily",
    });
    const ci = prod.db.insert("cmdb_ci", { name: "acme-uat", maintenance_schedule: schedule.sys_id });
    const window = { start: hhmm(Math.floor(now / 60_000) * 60_000), end: hhmm(now + 3600_000) };

    const state = path.join(ctx.tmp, "governance-state");
    fs.mkdirSync(state, { recursive: true });
    const session = await EnvironmentSession.open({
        environment: "uat-governed",
        isolated: true,
        backendUrl: `file://${state}`,
        pulumiHome: path.join(ctx.tmp, "pulumi-home"),
        passphrase: "demo-passphrase",
        signal: ctx.signal,
        config: {
            "servicenow:instanceUrl": { value: uat.url },
            "servicenow:username": { value: "admin" },
            "servicenow:password": { value: "admin", secret: true },
            "servicenow:instanceName": { value: "acme-uat" },
            "servicenow:productionInstances": { value: "acme" },
            "servicenow:sourceInstanceUrl": { value: prod.url },
            "servicenow:sourceUsername": { value: "admin" },
            "servicenow:sourcePassword": { value: "admin", secret: true },
            "servicenow:sourceInstanceName": { value: "acme" },
            // The one write production takes besides the clone request: change records, through the change API.
            "servicenow:allowChangeRequests": { value: "true" },
            "environment:clone": { value: JSON.stringify({ mode: "request", pollSeconds: 0.5, timeoutMinutes: 5 }) },
            "environment:change": {
                value: JSON.stringify({
                    change: { type: "normal", fields: { cmdb_ci: ci.sys_id, justification: "Quarterly UAT refresh" } },
                    approval: { timeoutMinutes: 5, pollSeconds: 0.5 },
                    window,
                    durationMinutes: 30,
                }),
            },
            "environment:properties": { value: JSON.stringify({ "acme.refreshed": "yes" }) },
        },
    });
    ctx.cleanup(() => session.close());

    const applying = session.apply({ message: "demo: governed refresh" });
    applying.catch(() => undefined);
    const change = await until(ctx.signal, () => prod.db.query("change_request", "state=-4")[0]);
    say(`      ${change.number} (normal) created on acme; in Assess, waiting for the CAB`);
    say(
        `      planned for ${change.start_date} UTC: the first_available route's slot for CI acme-uat (its maintenance window), inside the declared window ${window.start}–${window.end} UTC`,
    );
    const approved = await fetch(`${prod.url}/emulator/change/${change.number}/approval`, {
        method: "POST",
        body: JSON.stringify({ state: "approved", comments: "CAB: approved for the window" }),
    });
    if (!approved.ok) throw new Error(`approving ${change.number}: HTTP ${approved.status}`);
    say(`      CAB approves: POST /emulator/change/${change.number}/approval (the emulator's control endpoint)`);
    await applying;

    const [clone] = prod.db.query("sn_instance_clone_request", "ORDERBYsys_created_on");
    const closed = prod.db.get("change_request", change.sys_id)!;
    say(
        `      clone ${clone?.sys_id} requested for ${clone?.scheduled} UTC, started ${clone?.started} UTC, ${clone?.state}`,
    );
    say(`      ${closed.number}: ${STATES[closed.state ?? ""] ?? closed.state}, ${closed.close_code}; close notes:`);
    for (const line of (closed.close_notes ?? "").split("\n")) say(`        ${line}`);
    if (closed.state !== "3" || closed.close_code !== "successful") throw new Error(`${closed.number} was not closed`);
}

/** Polls `probe` until it returns a value (or the demo is interrupted). */
async function until<T>(signal: AbortSignal, probe: () => T | undefined, timeoutMs = 180_000): Promise<T> {
    for (const end = Date.now() + timeoutMs; ; ) {
        const value = probe();
        if (value !== undefined) return value;
        if (signal.aborted) throw signal.reason;
        if (Date.now() > end) throw new Error("the governed refresh did not reach approval in time");
        await new Promise((r) => setTimeout(r, 200));
    }
}
