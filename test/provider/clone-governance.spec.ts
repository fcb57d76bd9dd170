/**
 * CloneRun with governance, called directly against the emulator: a rejected change is canceled and nothing is
 * cloned; a standard change is walked to Closed with the clone's evidence when the clone completes; a change on a
 * configuration item takes the change instance's first available slot, bounded by the window.
 */
import * as assert from "node:assert/strict";
import { decideApproval } from "../../emulator/change/routes";
import { configureConnections } from "../../provider/connection";
import { cloneRunProvider } from "../../provider/resources/clone-run";
import { type ClonePair, startClonePair, until } from "../fixtures/clone-support/emulator";

// biome-ignore lint/suspicious/noExplicitAny: provider results are inspected field by field
type Json = any;
const run = cloneRunProvider as unknown as {
    check: (olds: Json, news: Json) => Promise<Json>;
    create: (inputs: Json) => Promise<Json>;
};

describe("CloneRun governance", function () {
    this.timeout(120_000);
    let pair: ClonePair;
    const log = console.log;
    before(async () => {
        pair = await startClonePair(300);
        pair.config["servicenow:allowChangeRequests"] = "true";
        configureConnections({ get: (k: string) => pair.config[k], require: (k: string) => pair.config[k]! } as never);
        console.log = (...args: unknown[]) => {
            if (!String(args[0]).startsWith("CloneRun:")) log(...args);
        };
    });
    after(async () => {
        console.log = log;
        await pair.stop();
    });

    async function checked(news: Record<string, unknown>): Promise<Json> {
        const r = await run.check({}, news);
        assert.deepEqual(r.failures ?? [], [], JSON.stringify(r.failures));
        return r.inputs;
    }
    const changes = () => pair.source.db.query("change_request", "ORDERBYnumber");
    const clones = () => pair.source.db.query("sn_instance_clone_request");

    it("cancels a rejected change and requests no clone", async () => {
        const inputs = await checked({
            targetInstance: "dev",
            pollSeconds: 0.05,
            governance: { change: { type: "normal" }, approval: { timeoutMinutes: 1, pollSeconds: 0.05 } },
        });
        const before = changes().length;
        const creating = run.create(inputs);
        const change = await until("the change in Assess", () =>
            changes()
                .slice(before)
                .find((c) => c.state === "-4"),
        );
        assert.equal(decideApproval(pair.source.db, change.sys_id, "rejected", "not this week").status, 200);
        await assert.rejects(creating, /change CHG\d+ was rejected; it was canceled and nothing was cloned into dev/);
        assert.equal(pair.source.db.get("change_request", change.sys_id)!.state, "4");
        assert.equal(clones().length, 0);
    });

    it("walks a standard change to Closed with the clone's evidence when it closes after the clone", async () => {
        const inputs = await checked({ targetInstance: "dev", pollSeconds: 0.05, governance: {} });
        const before = changes().length;
        const { outs } = await run.create(inputs);
        assert.equal(outs.state, "Completed");
        const change = changes().slice(before)[0]!;
        assert.equal(outs.change.sysId, change.sys_id);
        assert.equal(outs.change.number, change.number);
        assert.equal(change.type, "standard");
        assert.equal(change.state, "3");
        assert.equal(change.close_code, "successful");
        assert.match(change.close_notes!, new RegExp(`^Clone ${outs.cloneId} into dev completed in \\d+ s\\.`));
        assert.match(change.close_notes!, /Drift after the clone: not measured/);
        assert.match(change.work_notes!, new RegExp(`Clone ${outs.cloneId} into dev requested`));
    });

    it("schedules the clone at the window's next opening and does not start it before", async () => {
        const open = Math.ceil((Date.now() + 5000) / 60_000) * 60_000;
        const hhmm = (at: number) => new Date(at).toISOString().slice(11, 16);
        const inputs = await checked({
            targetInstance: "dev",
            pollSeconds: 0.05,
            governance: { window: { start: hhmm(open), end: hhmm(open + 10 * 60_000) } },
        });
        const { outs } = await run.create(inputs);
        const clone = pair.source.db.get("sn_instance_clone_request", outs.cloneId)!;
        const glide = new Date(open).toISOString().slice(0, 19).replace("T", " ");
        assert.equal(clone.scheduled, glide);
        assert.equal(outs.change.scheduledStart, new Date(open).toISOString().replace(".000Z", "Z"));
        assert.ok(clone.started! >= glide, `started ${clone.started} before the window opened at ${glide}`);
        assert.equal(pair.source.db.get("change_request", outs.change.sysId)!.start_date, glide);
    });

    /** A CI on the source whose maintenance window opens daily at `open` for `minutes`. */
    function ciWithMaintenance(name: string, open: number, minutes: number): string {
        const compact = (at: number) => new Date(at).toISOString().slice(0, 19).replace(/[-:]/g, "");
        const db = pair.source.db;
        const schedule = db.insert("cmn_schedule_maintenance", { name: `${name} maintenance`, time_zone: "UTC" });
        db.insert("cmn_schedule_span", {
            schedule: schedule.sys_id,
            name: "Daily",
            start_date_time: compact(open - 24 * 3600_000),
            end_date_time: compact(open - 24 * 3600_000 + minutes * 60_000),
            repeat_type: "daily",
        });
        return db.insert("cmdb_ci", { name, maintenance_schedule: schedule.sys_id }).sys_id;
    }

    it("takes the change instance's first available slot for the change's CI, inside the window", async function () {
        this.timeout(180_000);
        // The declared window is open already; the CI's maintenance window opens a few seconds later.
        const open = Math.floor(Date.now() / 60_000) * 60_000;
        const maintenance = Math.ceil((Date.now() + 10_000) / 1000) * 1000;
        const hhmm = (at: number) => new Date(at).toISOString().slice(11, 16);
        const ci = ciWithMaintenance("dev-instance", maintenance, 30);
        const inputs = await checked({
            targetInstance: "dev",
            pollSeconds: 0.05,
            governance: {
                window: { start: hhmm(open), end: hhmm(open + 10 * 60_000) },
                durationMinutes: 20,
                change: { fields: { cmdb_ci: ci } },
            },
        });
        const { outs } = await run.create(inputs);
        const glide = new Date(maintenance).toISOString().slice(0, 19).replace("T", " ");
        const clone = pair.source.db.get("sn_instance_clone_request", outs.cloneId)!;
        assert.equal(clone.scheduled, glide, "the CI's first slot, not the window's opening");
        assert.ok(clone.started! >= glide, `started ${clone.started} before the slot at ${glide}`);
        const change = pair.source.db.get("change_request", outs.change.sysId)!;
        assert.equal(change.start_date, glide);
        assert.equal(change.state, "3");
        const workers = pair.source.db.query("chg_mgt_worker", `change_request=${change.sys_id}`);
        assert.equal(workers.length, 1, "one round: the slot was inside the window");
        assert.match(workers[0]!.messages!, /Change has been updated/);
    });

    it("cancels the change and clones nothing when the change instance finds no slot for the CI", async () => {
        const ci = ciWithMaintenance("short-window", Date.now() + 3600_000, 10);
        const inputs = await checked({
            targetInstance: "dev",
            pollSeconds: 0.05,
            governance: { durationMinutes: 60, change: { fields: { cmdb_ci: ci } } },
        });
        const before = changes().length;
        const clonesBefore = clones().length;
        await assert.rejects(run.create(inputs), /found no slot for 60 min .*No slots found for 90 days from now/);
        const [change] = changes().slice(before);
        assert.equal(change!.state, "4", "Canceled");
        assert.match(change!.close_notes!, /No slots found for 90 days from now/);
        assert.equal(clones().length, clonesBefore);
    });
});
