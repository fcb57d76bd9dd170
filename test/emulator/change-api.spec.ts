/**
 * Conformance of the emulator's Change Management API: creation (normal, standard from a template), the record
 * shape, the State Model's refused jumps with the platform's error envelope, approvals through the control
 * endpoint, and state moving only through this API.
 */
import * as assert from "node:assert/strict";
import { CLONE_TEMPLATE_ID } from "../../emulator/change/seed";
import type { RunningEmulator } from "../../emulator/index";
import { hashSecret } from "../../emulator/values";
import { call, start, urlOf } from "./helpers";

describe("Change Management API", () => {
    let emu: RunningEmulator;
    let url: string;
    before(async () => {
        emu = await start();
        url = urlOf(emu);
    });
    after(async () => emu.stop());

    const api = "/api/sn_chg_rest/change";
    const value = (r: { json: { result: Record<string, { value: unknown }> } }, field: string) =>
        r.json.result[field]?.value;
    const patch = (id: string, body: unknown) => call(url, `${api}/${id}`, { method: "PATCH", body });
    const approve = (id: string, state = "approved") =>
        call(url, `/emulator/change/${id}/approval`, { method: "POST", body: { state }, basic: null });
    const normal = async (fields: Record<string, string> = {}) => {
        const r = await call(url, `${api}/normal`, { method: "POST", body: { short_description: "test", ...fields } });
        assert.equal(r.status, 200, r.text);
        return r;
    };

    it("creates a normal change in New with a CHG number, rendered field by field as value and display value", async () => {
        const r = await normal({ short_description: "Refresh dev", start_date: "2026-12-01 02:00:00" });
        const result = r.json.result;
        assert.match(result.number.value, /^CHG\d{7}$/);
        assert.deepEqual(result.state, { display_value: "New", value: -5 });
        assert.deepEqual(result.type, { display_value: "Normal", value: "normal" });
        assert.deepEqual(result.active, { display_value: "true", value: true });
        assert.deepEqual(result.start_date, {
            display_value: "2026-12-01 02:00:00",
            value: "2026-12-01 02:00:00",
            display_value_internal: "2026-12-01 02:00:00",
        });
        assert.equal(result.approval.value, "not requested");
        assert.equal(result.sys_class_name.value, "change_request");
        assert.equal(result.sys_mod_count, undefined, "toJS leaves sys_mod_count out");
        const got = await call(url, `${api}/${result.sys_id.value}`);
        assert.equal(got.status, 200);
        assert.equal(value(got, "short_description"), "Refresh dev");
    });

    it("creates a pre-approved standard change from a template, with the template's values and version", async () => {
        const r = await call(url, `${api}/standard/${CLONE_TEMPLATE_ID}`, {
            method: "POST",
            body: { start_date: "2026-12-01 02:00:00" },
        });
        assert.equal(r.status, 200, r.text);
        assert.equal(value(r, "type"), "standard");
        assert.equal(value(r, "approval"), "approved");
        assert.equal(value(r, "state"), -5);
        assert.equal(value(r, "short_description"), "Refresh a non-production instance from production by clone");
        assert.equal(value(r, "risk"), 4);
        assert.equal(
            r.json.result.std_change_producer_version.display_value,
            "Refresh a non-production instance by clone - 1",
        );
        const templates = await call(url, `${api}/standard/template`);
        assert.ok(
            templates.json.result.some((t: { sys_id: { value: string } }) => t.sys_id.value === CLONE_TEMPLATE_ID),
        );
    });

    it("answers 404 in the platform's envelope for an unknown template or change", async () => {
        const t = await call(url, `${api}/standard/0123456789abcdef0123456789abcdef`, { method: "POST", body: {} });
        assert.equal(t.status, 404);
        assert.equal(t.json.status, "failure");
        assert.equal(t.json.error.message, "No Record found");
        const c = await call(url, `${api}/0123456789abcdef0123456789abcdef`);
        assert.equal(c.status, 404);
        assert.deepEqual(Object.keys(c.json).sort(), ["error", "status"]);
    });

    it("refuses a jump from New to Closed, naming the states it can move to, and writes nothing", async () => {
        const r = await normal();
        const id = r.json.result.sys_id.value as string;
        const before = emu.instances.get("prod")!.db.get("change_request", id);
        const refused = await patch(id, { state: "Closed", close_code: "successful", close_notes: "done" });
        assert.equal(refused.status, 400);
        assert.equal(refused.json.status, "failure");
        assert.equal(refused.json.error.message, "State transition not allowed");
        assert.match(
            refused.json.error.detail,
            /cannot move from New to Closed; from New it can move to Assess, Canceled/,
        );
        assert.deepEqual(emu.instances.get("prod")!.db.get("change_request", id), before);
    });

    it("refuses Implement before approval, and Closed without close_code and close_notes", async () => {
        const r = await normal();
        const id = r.json.result.sys_id.value as string;
        assert.equal((await patch(id, { state: "assess" })).status, 200);
        const early = await patch(id, { state: "-1" });
        assert.equal(early.status, 400);
        assert.match(early.json.error.detail, /cannot move from Assess to Implement/);
        const scheduled = await patch(id, { state: "Scheduled" });
        assert.equal(scheduled.status, 400);
        assert.match(scheduled.json.error.detail, /not approved \(approval is "requested"\)/);
        assert.equal((await approve(id)).status, 200);
        assert.equal((await patch(id, { state: "Implement" })).status, 200);
        assert.equal((await patch(id, { state: "Review" })).status, 200);
        const noNotes = await patch(id, { state: "Closed", close_code: "successful" });
        assert.equal(noNotes.status, 400);
        assert.match(noNotes.json.error.detail, /closing needs close_notes/);
    });

    it("walks a normal change New → Assess → (approved) Scheduled → Implement → Review → Closed", async () => {
        const r = await normal();
        const id = r.json.result.sys_id.value as string;
        const assess = await patch(id, { state: "Assess" });
        assert.equal(value(assess, "state"), -4);
        assert.equal(value(assess, "approval"), "requested");
        const approval = await approve(id);
        assert.deepEqual(approval.json.change.state, "Scheduled");
        const implement = await patch(id, { state: "Implement" });
        assert.equal(value(implement, "state"), -1);
        assert.notEqual(value(implement, "work_start"), "");
        assert.equal(value(await patch(id, { state: "Review" }), "state"), 0);
        const closed = await patch(id, { state: "Closed", close_code: "successful", close_notes: "clone abc done" });
        assert.equal(value(closed, "state"), 3);
        assert.equal(value(closed, "active"), false);
        assert.equal(value(closed, "close_notes"), "clone abc done");
        const again = await patch(id, { state: "Canceled" });
        assert.equal(again.status, 400, "Closed is final");
    });

    it("sends a rejected normal change back to New, and cancels from any open state", async () => {
        const r = await normal();
        const id = r.json.result.sys_id.value as string;
        await patch(id, { state: "Assess" });
        const rejected = await approve(id, "rejected");
        assert.equal(rejected.json.change.state, "New");
        assert.equal(rejected.json.change.approval, "rejected");
        const canceled = await patch(id, { state: "Canceled" });
        assert.equal(value(canceled, "state"), 4);
        assert.equal(value(canceled, "active"), false);
    });

    it("answers the control endpoint with 409 when the change has no pending approval", async () => {
        const r = await normal();
        const res = await approve(r.json.result.sys_id.value);
        assert.equal(res.status, 409);
        assert.match(res.json.error, /has no pending approval/);
    });

    it("lets a standard change go New → Scheduled → Implement without an approval step", async () => {
        const r = await call(url, `${api}/standard/${CLONE_TEMPLATE_ID}`, { method: "POST", body: {} });
        const id = r.json.result.sys_id.value as string;
        assert.equal((await patch(id, { state: "Implement" })).status, 400, "no jump over Scheduled");
        assert.equal(value(await patch(id, { state: "Scheduled" }), "state"), -2);
        assert.equal(value(await patch(id, { state: "Implement" }), "state"), -1);
    });

    it("ignores a state written through the Table API, applying the other fields", async () => {
        const r = await normal();
        const id = r.json.result.sys_id.value as string;
        const t = await call(url, `/api/now/table/change_request/${id}`, {
            method: "PATCH",
            body: { state: "3", short_description: "edited" },
        });
        assert.equal(t.status, 200);
        assert.equal(t.json.result.state, "-5");
        assert.equal(t.json.result.short_description, "edited");
    });

    it("requires itil, change_manager or admin to write, and creates change tasks under a change", async () => {
        emu.instances.get("prod")!.db.insert("sys_user", {
            user_name: "no.roles",
            user_password: hashSecret("pw"),
            active: "true",
        });
        const denied = await call(url, `${api}/normal`, { method: "POST", body: {}, basic: "no.roles:pw" });
        assert.equal(denied.status, 403);
        assert.equal(denied.json.status, "failure");
        const r = await normal();
        const id = r.json.result.sys_id.value as string;
        const task = await call(url, `${api}/${id}/task`, { method: "POST", body: { short_description: "verify" } });
        assert.equal(task.status, 200, task.text);
        assert.match(task.json.result.number.value, /^CTASK\d{7}$/);
        assert.equal(task.json.result.change_request.value, id);
        const tasks = await call(url, `${api}/${id}/task`);
        assert.equal(tasks.json.result.length, 1);
    });
});
