import * as assert from "node:assert/strict";
import type { RunningEmulator } from "../../emulator/index";
import { call, start, urlOf } from "./helpers";

type Rec = Record<string, string>;

async function list(base: string, table: string, query = ""): Promise<Rec[]> {
    const q = new URLSearchParams({ sysparm_query: query, sysparm_exclude_reference_link: "true" });
    const r = await call(base, `/api/now/table/${table}?${q}`);
    assert.equal(r.status, 200, r.text);
    return r.json.result as Rec[];
}

/** Polls until `done` holds for the rows of a query, failing with the last rows seen. */
async function until(base: string, table: string, query: string, done: (rows: Rec[]) => boolean): Promise<Rec[]> {
    let rows: Rec[] = [];
    for (let i = 0; i < 400; i++) {
        rows = await list(base, table, query);
        if (done(rows)) return rows;
        await new Promise((res) => setTimeout(res, 15));
    }
    throw new Error(`${table} never reached the expected state: ${JSON.stringify(rows)}`);
}

/** Requests a clone of prod into qa (optionally with a profile) and waits until it ends. */
async function cloneInto(emu: RunningEmulator, profile = ""): Promise<Rec> {
    const prod = urlOf(emu, "prod");
    const target = (await list(prod, "instance", "instance_name=qa"))[0]!;
    const req = await call(prod, "/api/now/table/sn_instance_clone_request", {
        method: "POST",
        body: { state: "Requested", target_instance: target.sys_id, profile },
    });
    assert.equal(req.status, 201, req.text);
    const [done] = await until(prod, "sn_instance_clone_request", `sys_id=${req.json.result.sys_id}`, (rows) =>
        ["Completed", "Error"].includes(rows[0]?.state ?? ""),
    );
    assert.equal(done!.state, "Completed", done!.error_message);
    return done!;
}

describe("text indexes", () => {
    let emu: RunningEmulator;

    afterEach(async () => {
        await emu?.stop();
    });

    it("lists every seeded index as indexed, with the time it was built", async () => {
        emu = await start();
        const rows = await list(urlOf(emu), "ts_index_name", "ORDERBYname");
        assert.deepEqual(
            rows.map((r) => [r.name, r.state]),
            [
                ["incident", "indexed"],
                ["sys_user", "indexed"],
                ["sys_user_group", "indexed"],
                ["task", "indexed"],
            ],
        );
        assert.ok(rows.every((r) => /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/.test(r.last_indexed ?? "")));
    });

    it("holds a clone's copies as needing regeneration while the text-index job is paused", async () => {
        emu = await start({
            instances: [
                { name: "prod", seed: "production" },
                { name: "qa", seed: "empty" },
            ],
            cloneDurationMs: 300,
            textIndexer: { paused: true },
        });
        const before = await list(urlOf(emu, "prod"), "ts_index_name", "ORDERBYname");
        await cloneInto(emu);
        const qa = urlOf(emu, "qa");
        // The regeneration the cleanup script asked for waits in the queue; the copies still carry the source's times.
        const after = await until(qa, "ts_index_name", "ORDERBYname", (rows) =>
            rows.every((r) => r.state === "queued"),
        );
        assert.deepEqual(
            after.map((r) => r.last_indexed),
            before.map((r) => r.last_indexed),
        );
        const events = await list(qa, "sysevent", "name=textindex.all");
        assert.equal(events.length, 1, "the cleanup script queued one regeneration");
        assert.equal(events[0]!.state, "processed");
    });

    it("rebuilds every index one table at a time after a clone whose profile regenerates them", async () => {
        emu = await start({
            instances: [
                { name: "prod", seed: "production" },
                { name: "qa", seed: "empty" },
            ],
            cloneDurationMs: 300,
            textIndexer: { msPerTable: 20 },
        });
        const clone = await cloneInto(emu);
        const qa = urlOf(emu, "qa");
        const rows = await until(qa, "ts_index_name", "", (r) => r.every((x) => x.state === "indexed"));
        for (const r of rows) assert.ok(r.last_indexed! >= clone.started!, `${r.name} rebuilt after the clone started`);
        const stats = await list(qa, "ts_index_stats", `started>=${clone.started}`);
        assert.deepEqual(stats.map((s) => s.table).sort(), ["incident", "sys_user", "sys_user_group", "task"]);
    });

    it("leaves the copies needing regeneration after a clone whose profile does not regenerate them", async () => {
        emu = await start({
            instances: [
                { name: "prod", seed: "production" },
                { name: "qa", seed: "empty" },
            ],
            cloneDurationMs: 300,
            textIndexer: { msPerTable: 0 },
        });
        const prod = urlOf(emu, "prod");
        const profile = await call(prod, "/api/now/table/clone_profile", {
            method: "POST",
            body: { name: "Without cleanup scripts" },
        });
        await cloneInto(emu, profile.json.result.sys_id);
        const rows = await list(urlOf(emu, "qa"), "ts_index_name");
        assert.deepEqual(new Set(rows.map((r) => r.state)), new Set(["stale"]));
    });
});
