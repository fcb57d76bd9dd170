/**
 * Conformance of the Change Management API's first-available-slot route: the 202 worker envelope, the worker read
 * back through `GET /change/worker/{sys_id}`, the slot chosen from the CI's maintenance schedule, blackout schedules
 * and other changes on the CI, "No slots found", and the documented 400/404 refusals with nothing written.
 */
import * as assert from "node:assert/strict";
import type { RunningEmulator } from "../../emulator/index";
import { call, start, urlOf } from "./helpers";

const api = "/api/sn_chg_rest/change";
const DAY = 24 * 3600 * 1000;

/** `YYYY-MM-DD HH:MM:SS` UTC, as the API takes and returns date-times. */
const glide = (at: number) => new Date(at).toISOString().slice(0, 19).replace("T", " ");
/** The platform's schedule entry format, `YYYYMMDDTHHMMSS`. */
const entry = (at: number) => new Date(at).toISOString().slice(0, 19).replace(/[-:]/g, "");
/** Midnight UTC `days` from today. */
const day = (days: number) => Math.floor(Date.now() / DAY) * DAY + days * DAY;

describe("Change Management API: first available slot", () => {
    let emu: RunningEmulator;
    let url: string;
    before(async () => {
        emu = await start();
        url = urlOf(emu);
    });
    after(async () => emu.stop());

    const insert = async (table: string, body: Record<string, string>) => {
        const r = await call(url, `/api/now/table/${table}`, { method: "POST", body });
        assert.equal(r.status, 201, r.text);
        return r.json.result.sys_id as string;
    };
    /** A CI whose maintenance window is 02:00–06:00 UTC every day. */
    const ciWithMaintenance = async (name: string) => {
        const schedule = await insert("cmn_schedule_maintenance", { name: `${name} maintenance`, time_zone: "UTC" });
        await insert("cmn_schedule_span", {
            schedule,
            name: "Nightly",
            start_date_time: entry(day(-10) + 2 * 3600_000),
            end_date_time: entry(day(-10) + 6 * 3600_000),
            repeat_type: "daily",
        });
        return insert("cmdb_ci", { name, maintenance_schedule: schedule });
    };
    const change = async (fields: Record<string, string>) => {
        const r = await call(url, `${api}/normal`, { method: "POST", body: { short_description: "slot", ...fields } });
        assert.equal(r.status, 200, r.text);
        return r.json.result.sys_id.value as string;
    };
    const firstAvailable = (id: string, body: unknown) =>
        call(url, `${api}/${id}/schedule/first_available`, { method: "PATCH", body });
    /** Polls the worker until it leaves Waiting / In-Progress. */
    const settle = async (link: string) => {
        const path = new URL(link).pathname;
        for (const end = Date.now() + 10_000; ; ) {
            const r = await call(url, path);
            assert.equal(r.status, 200, r.text);
            if (r.json.result.state.value >= 3) return r.json.result;
            if (Date.now() > end) throw new Error(`worker still ${r.json.result.state.display_value}`);
            await new Promise((res) => setTimeout(res, 20));
        }
    };
    const planned = async (id: string) => {
        const r = await call(url, `${api}/${id}`);
        return [r.json.result.start_date.value, r.json.result.end_date.value];
    };

    it("accepts with 202 and a worker, then moves the change to the first opening of its CI's maintenance window", async () => {
        const ci = await ciWithMaintenance("erp-db");
        const id = await change({ cmdb_ci: ci });
        const from = day(1) + 7 * 3600_000; // 07:00, after tomorrow's window closed
        const r = await firstAvailable(id, { duration_in_seconds: "10800", planned_start_time: glide(from) });
        assert.equal(r.status, 202, r.text);
        const result = r.json.result;
        assert.equal(result.type, "schedule");
        assert.deepEqual(result.state, { value: 1, display_value: "Waiting" });
        assert.deepEqual(result.messages, { errorMessages: [], warningMessages: [], infoMessages: [] });
        assert.match(result.worker.link, new RegExp(`/api/sn_chg_rest/change/worker/${result.worker.sysId}$`));
        assert.deepEqual(JSON.parse(result.request), {
            change_sys_id: id,
            duration_in_seconds: 10800,
            planned_start_time: glide(from),
            timezone: "UTC",
        });
        const done = await settle(result.worker.link);
        assert.deepEqual(done.state, { value: 3, display_value: "Complete" });
        assert.deepEqual(done.messages.infoMessages, ["Change has been updated"]);
        assert.deepEqual(await planned(id), [glide(day(2) + 2 * 3600_000), glide(day(2) + 5 * 3600_000)]);
    });

    it("skips a blackout and another change on the same CI", async () => {
        const ci = await ciWithMaintenance("crm-app");
        const blackout = await insert("cmn_schedule_blackout", {
            name: "Quarter close",
            time_zone: "UTC",
            applies_to: "cmdb_ci",
            condition: "nameSTARTSWITHcrm",
        });
        await insert("cmn_schedule_span", {
            schedule: blackout,
            name: "Freeze",
            start_date_time: entry(day(2)),
            end_date_time: entry(day(3)),
        });
        // Day 3's window is taken from 02:00 to 04:00 by another change on the CI.
        await change({ cmdb_ci: ci, start_date: glide(day(3) + 2 * 3600_000), end_date: glide(day(3) + 4 * 3600_000) });
        const id = await change({ cmdb_ci: ci });
        const r = await firstAvailable(id, { duration_in_seconds: 3600, planned_start_time: glide(day(2)) });
        assert.equal(r.status, 202, r.text);
        await settle(r.json.result.worker.link);
        assert.deepEqual(await planned(id), [glide(day(3) + 4 * 3600_000), glide(day(3) + 5 * 3600_000)]);
    });

    it("reports No slots found when nothing fits within the schedule window, leaving the change as it was", async () => {
        const ci = await ciWithMaintenance("short-window");
        const id = await change({ cmdb_ci: ci, start_date: "2030-01-01 00:00:00" });
        // Five hours never fit in a four-hour maintenance window.
        const r = await firstAvailable(id, { duration_in_seconds: 5 * 3600 });
        const done = await settle(r.json.result.worker.link);
        assert.deepEqual(done.state, { value: 3, display_value: "Complete" });
        assert.deepEqual(done.messages.infoMessages, ["No slots found for 90 days from now"]);
        assert.equal((await planned(id))[0], "2030-01-01 00:00:00");
    });

    it("refuses a missing duration, a malformed planned start and a change without a CI with 400, and an unknown change with 404", async () => {
        const ci = await ciWithMaintenance("refusals");
        const withCi = await change({ cmdb_ci: ci });
        const workersBefore = emu.instances.get("prod")!.db.query("chg_mgt_worker", "").length;
        const missing = await firstAvailable(withCi, {});
        assert.equal(missing.status, 400);
        assert.equal(missing.json.status, "failure");
        assert.match(missing.json.error.detail, /duration_in_seconds is required/);
        const badStart = await firstAvailable(withCi, { duration_in_seconds: 60, planned_start_time: "tomorrow" });
        assert.equal(badStart.status, 400);
        assert.match(badStart.json.error.detail, /planned_start_time "tomorrow"/);
        const noCi = await firstAvailable(await change({}), { duration_in_seconds: 60 });
        assert.equal(noCi.status, 400);
        assert.match(noCi.json.error.detail, /has no configuration item \(cmdb_ci\)/);
        const unknown = await firstAvailable("0123456789abcdef0123456789abcdef", { duration_in_seconds: 60 });
        assert.equal(unknown.status, 404);
        assert.equal(emu.instances.get("prod")!.db.query("chg_mgt_worker", "").length, workersBefore, "no worker");
        assert.equal((await call(url, `${api}/worker/0123456789abcdef0123456789abcdef`)).status, 404);
    });

    it("ends the worker in Error, naming the schedule, when a schedule is not in UTC", async () => {
        const schedule = await insert("cmn_schedule_maintenance", {
            name: "Sydney nights",
            time_zone: "Australia/Sydney",
        });
        const ci = await insert("cmdb_ci", { name: "syd-app", maintenance_schedule: schedule });
        const id = await change({ cmdb_ci: ci });
        const r = await firstAvailable(id, { duration_in_seconds: 60 });
        const done = await settle(r.json.result.worker.link);
        assert.deepEqual(done.state, { value: 4, display_value: "Error" });
        assert.match(done.messages.errorMessages[0], /"Sydney nights" is in time zone Australia\/Sydney/);
    });
});
