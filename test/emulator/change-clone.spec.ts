/**
 * Conformance of the clone engine's scheduling rules: a scheduled start the clone waits for, the minimum gap between
 * clone requests into one target (refused on Hold, naming the other clone), the Clone Admin Console's notification
 * addresses, and the history fields a finished request carries.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { type RunningEmulator, startEmulator } from "../../emulator/index";
import { call } from "./helpers";

type Rec = Record<string, string>;

const glide = (at: number) => new Date(at).toISOString().slice(0, 19).replace("T", " ");
const ENDED = ["Completed", "Error", "Canceled", "Hold"];

describe("clone scheduling rules", () => {
    let emu: RunningEmulator;
    let prod: string;
    let devRef: string;

    beforeEach(async () => {
        emu = await startEmulator({
            instances: [
                { name: "prod", seed: "production" },
                { name: "dev", seed: "empty" },
            ],
            users: 40,
            jobs: 10,
            cloneDurationMs: 400,
        });
        prod = emu.instances.get("prod")!.url;
        devRef = emu.instances.get("prod")!.db.query("instance", "instance_name=dev")[0]!.sys_id;
    });
    afterEach(async () => emu.stop());

    async function request(fields: Record<string, unknown> = {}): Promise<string> {
        const r = await call(prod, "/api/now/table/sn_instance_clone_request", {
            method: "POST",
            body: { state: "Requested", target_instance: devRef, ...fields },
        });
        assert.equal(r.status, 201, r.text);
        return r.json.result.sys_id as string;
    }

    async function row(id: string): Promise<Rec> {
        const r = await call(
            prod,
            `/api/now/table/sn_instance_clone_request/${id}?sysparm_exclude_reference_link=true`,
        );
        return r.json.result as Rec;
    }

    /** Polls until `done`, recording every state seen; a stuck clone fails rather than hanging. */
    async function until(id: string, done: (r: Rec) => boolean, seen?: Rec[]): Promise<Rec> {
        const deadline = Date.now() + 20_000;
        for (;;) {
            const r = await row(id);
            seen?.push(r);
            if (done(r)) return r;
            if (Date.now() > deadline) throw new Error(`clone ${id} stuck in ${r.state}`);
            await new Promise((res) => setTimeout(res, 20));
        }
    }

    it("keeps a scheduled clone Scheduled, running nothing, until its start time", async () => {
        const startAt = Math.ceil((Date.now() + 2500) / 1000) * 1000;
        const id = await request({ scheduled: glide(startAt) });
        const seen: Rec[] = [];
        const final = await until(id, (r) => ENDED.includes(r.state!), seen);
        assert.equal(final.state, "Completed", final.error_message);
        assert.equal(final.scheduled, glide(startAt), "the requested start is kept");
        const early = seen.filter((r) => Date.parse(`${r.sys_updated_on!.replace(" ", "T")}Z`) < startAt - 1000);
        assert.ok(
            early.some((r) => r.state === "Scheduled"),
            "the request waits in Scheduled",
        );
        assert.ok(
            early.every((r) => r.state === "Requested" || r.state === "Scheduled"),
            `nothing ran before the start: ${early.map((r) => r.state).join(",")}`,
        );
        assert.ok(Date.parse(`${final.started!.replace(" ", "T")}Z`) >= startAt, `started ${final.started}`);
    });

    it("picks a still-waiting scheduled clone up again after an emulator restart", async () => {
        const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "sn-change-clone-"));
        const opts = {
            instances: [
                { name: "prod", seed: "production" as const },
                { name: "dev", seed: "empty" as const },
            ],
            users: 40,
            jobs: 10,
            cloneDurationMs: 400,
            dataDir,
        };
        try {
            await emu.stop();
            emu = await startEmulator(opts);
            prod = emu.instances.get("prod")!.url;
            devRef = emu.instances.get("prod")!.db.query("instance", "instance_name=dev")[0]!.sys_id;
            const id = await request({ scheduled: glide(Date.now() + 3000) });
            await until(id, (r) => r.state === "Scheduled");
            await emu.stop();
            emu = await startEmulator(opts);
            prod = emu.instances.get("prod")!.url;
            const final = await until(id, (r) => ENDED.includes(r.state!));
            assert.equal(final.state, "Completed", final.error_message);
        } finally {
            await emu.stop();
            fs.rmSync(dataDir, { recursive: true, force: true });
        }
    });

    it("puts on Hold a request within five days of another pending request, naming it", async () => {
        const day = 24 * 3600 * 1000;
        const first = await request({ scheduled: glide(Date.now() + 2 * day) });
        await until(first, (r) => r.state === "Scheduled");
        const second = await request({ scheduled: glide(Date.now() + 4 * day) });
        const held = await until(second, (r) => r.state !== "Requested");
        assert.equal(held.state, "Hold");
        assert.match(
            held.error_message!,
            new RegExp(`^Clones into dev must be at least 5 days apart: clone ${first} `),
        );
        assert.match(held.error_message!, /schedule this clone for \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC or later/);
        const third = await request({ scheduled: glide(Date.now() + 8 * day) });
        assert.equal((await until(third, (r) => r.state !== "Requested")).state, "Scheduled", "5 days later is fine");
        assert.equal((await row(first)).state, "Scheduled", "the first is untouched");
    });

    it("mails the requester and the external addresses at each milestone, and records the duration", async () => {
        const db = emu.instances.get("prod")!.db;
        const admin = db.query("sys_user", "user_name=admin")[0]!;
        db.update("sys_user", admin.sys_id, { email: "admin@acme-corp.com" });
        const id = await request({ email_updates: true, external_email: "dba@acme.test, cab@acme.test" });
        const final = await until(id, (r) => ENDED.includes(r.state!));
        assert.equal(final.state, "Completed");
        assert.match(final.duration!, /^\d+$/);
        const mails = db.query("sys_email", "subjectSTARTSWITHClone ");
        assert.deepEqual(mails.map((m) => m.subject).sort(), [
            "Clone Active: dev",
            "Clone Completed: dev",
            "Clone Scheduled: dev",
        ]);
        for (const m of mails) assert.equal(m.recipients, "admin@acme-corp.com,dba@acme.test,cab@acme.test");
        const done = mails.find((m) => m.subject === "Clone Completed: dev")!;
        assert.match(done.body!, new RegExp(`^Clone ${id} into dev: Completed`));
    });

    it("sends nothing when no address is asked for", async () => {
        const id = await request();
        await until(id, (r) => ENDED.includes(r.state!));
        assert.equal(emu.instances.get("prod")!.db.query("sys_email", "subjectSTARTSWITHClone ").length, 0);
    });
});
