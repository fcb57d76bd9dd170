import * as assert from "node:assert/strict";
import { type RunningEmulator, startEmulator } from "../../emulator/index";

type Rec = Record<string, string>;

const AUTH = `Basic ${Buffer.from("admin:admin").toString("base64")}`;

/** One Table API call as a client makes it; returns status and the `result` of the envelope. */
async function api(
    base: string,
    method: string,
    path: string,
    body?: unknown,
): Promise<{ status: number; result: unknown; error?: { message: string } }> {
    const res = await fetch(`${base}${path}`, {
        method,
        headers: { Authorization: AUTH, Accept: "application/json", "Content-Type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const json = text ? (JSON.parse(text) as { result?: unknown; error?: { message: string } }) : {};
    return { status: res.status, result: json.result, error: json.error };
}

async function list(base: string, table: string, query = ""): Promise<Rec[]> {
    const q = new URLSearchParams({ sysparm_query: query, sysparm_exclude_reference_link: "true" });
    const r = await api(base, "GET", `/api/now/table/${table}?${q}`);
    assert.equal(r.status, 200, JSON.stringify(r.error));
    return r.result as Rec[];
}

async function insert(base: string, table: string, fields: Record<string, unknown>): Promise<Rec> {
    const r = await api(base, "POST", `/api/now/table/${table}?sysparm_exclude_reference_link=true`, fields);
    assert.equal(r.status, 201, JSON.stringify(r.error));
    return r.result as Rec;
}

async function patch(base: string, table: string, id: string, fields: Record<string, unknown>): Promise<Rec> {
    const r = await api(base, "PATCH", `/api/now/table/${table}/${id}?sysparm_exclude_reference_link=true`, fields);
    assert.equal(r.status, 200, JSON.stringify(r.error));
    return r.result as Rec;
}

async function property(base: string, name: string): Promise<string | undefined> {
    return (await list(base, "sys_properties", `name=${name}`))[0]?.value;
}

/** Polls the request over the Table API until `done` says so; a stuck clone fails instead of hanging. */
async function watch(base: string, id: string, done: (r: Rec) => boolean, seen?: Set<string>): Promise<Rec> {
    for (let i = 0; i < 500; i++) {
        const r = (await list(base, "sn_instance_clone_request", `sys_id=${id}`))[0]!;
        seen?.add(r.phase ? `${r.state}/${r.phase}` : r.state!);
        if (done(r)) return r;
        await new Promise((res) => setTimeout(res, 15));
    }
    throw new Error(`clone ${id} did not reach the expected state`);
}

const ENDED = ["Completed", "Error", "Canceled", "Rolled back", "Rollback failure"];
const ended = (r: Rec) => ENDED.includes(r.state!);

describe("clones through the Table API", () => {
    let emu: RunningEmulator;
    let prod: string;
    let dev: string;
    let devRef: string;

    beforeEach(async () => {
        emu = await startEmulator({
            instances: [
                { name: "prod", seed: "production" },
                { name: "dev", seed: "empty" },
            ],
            users: 60,
            jobs: 20,
            cloneDurationMs: 600,
        });
        prod = emu.instances.get("prod")!.url;
        dev = emu.instances.get("dev")!.url;
        devRef = (await list(prod, "instance", "instance_name=dev"))[0]!.sys_id!;
    });

    afterEach(async () => {
        await emu.stop();
    });

    async function requestClone(fields: Record<string, unknown> = {}): Promise<string> {
        const row = await insert(prod, "sn_instance_clone_request", {
            state: "Requested",
            target_instance: devRef,
            ...fields,
        });
        return row.sys_id!;
    }

    /** Adds a cleanup script to the source and to its default profile (the profile decides what runs). */
    async function addScript(name: string, order: number, script: string): Promise<void> {
        const profile = (await list(prod, "clone_profile", "default_profile=true"))[0]!;
        const s = await insert(prod, "clone_cleanup_script", { name, order, script });
        await insert(prod, "clone_profile_cleanup_scripts", {
            profile: profile.sys_id,
            cleanup_script: s.sys_id,
            order,
            active: true,
        });
    }

    it("moves a requested clone through its states to Completed and records it on the target", async () => {
        const id = await requestClone();
        const seen = new Set<string>();
        const final = await watch(prod, id, ended, seen);
        assert.equal(final.state, "Completed", final.error_message);
        // Polling sees some of the phases (the engine suite checks every transition); Active spans most of a clone.
        assert.ok(
            [...seen].some((x) => x.startsWith("Active/")),
            `never saw Active in ${[...seen].join(", ")}`,
        );
        assert.equal(final.percent_complete, "100");
        assert.ok(final.scheduled! <= final.started! && final.started! <= final.completed!, JSON.stringify(final));
        const onTarget = await list(dev, "sn_instance_clone_request", `sys_id=${id}`);
        assert.equal(onTarget[0]?.state, "Completed");
        assert.equal(onTarget[0]?.completed, final.completed);
        const devSelf = (await list(dev, "instance", "instance_name=dev"))[0]!.sys_id;
        const devProd = (await list(dev, "instance", "instance_name=prod"))[0]!.sys_id;
        assert.equal(onTarget[0]?.target_instance, devSelf);
        assert.equal(onTarget[0]?.source_instance, devProd);
    });

    it("gives the target the source's users, jobs and properties, but preserves its instance name", async () => {
        const prodUsers = (await list(prod, "sys_user", "ORDERBYuser_name")).map((u) => u.user_name);
        const prodJobs = (await list(prod, "sysauto", "ORDERBYname")).map((j) => `${j.name}/${j.active}`);
        assert.notDeepEqual(
            (await list(dev, "sys_user", "ORDERBYuser_name")).map((u) => u.user_name),
            prodUsers,
        );
        await watch(prod, await requestClone(), ended);
        assert.deepEqual(
            (await list(dev, "sys_user", "ORDERBYuser_name")).map((u) => u.user_name),
            prodUsers,
        );
        assert.deepEqual(
            (await list(dev, "sysauto", "ORDERBYname")).map((j) => `${j.name}/${j.active}`),
            prodJobs,
        );
        assert.equal(await property(dev, "glide.product.description"), "ACME Production");
        // Core Instance Properties preserver: the target still knows who it is and still accepts clones.
        assert.equal(await property(dev, "instance_name"), "dev");
        assert.equal(await property(dev, "glide.db.clone.allow_clone_target"), "true");
        // The default "Disable emails" cleanup script ran on the target only.
        assert.equal(await property(dev, "glide.email.smtp.active"), "false");
        assert.equal(await property(prod, "glide.email.smtp.active"), "true");
    });

    it("leaves excluded tables empty, keeps the target's MID Servers and its preserved rows", async () => {
        assert.ok((await list(prod, "sys_email")).length > 0, "the seed has emails to exclude");
        const devAgents = (await list(dev, "ecc_agent", "ORDERBYname")).map((a) => a.name);
        const devAccounts = await list(dev, "sys_email_account", "ORDERBYsys_id");
        await watch(prod, await requestClone(), ended);
        assert.deepEqual(await list(dev, "sys_email"), []);
        assert.deepEqual(await list(dev, "wf_context"), []);
        assert.deepEqual(
            (await list(dev, "ecc_agent", "ORDERBYname")).map((a) => a.name),
            devAgents,
        );
        assert.deepEqual(await list(dev, "sys_email_account", "ORDERBYsys_id"), devAccounts);
    });

    it("runs cleanup scripts on the target after the restore, in order", async () => {
        const step = (tag: string) =>
            `gs.setProperty("acme.trail", gs.getProperty("acme.trail", "") + "${tag}:" + gs.getProperty("instance_name") + ";");`;
        await addScript("Trail C", 1030, step("C"));
        await addScript("Trail A", 1010, step("A"));
        await addScript("Trail B", 1020, step("B"));
        await watch(prod, await requestClone(), ended);
        assert.equal(await property(dev, "acme.trail"), "A:dev;B:dev;C:dev;");
    });

    it("stops the cleanup scripts after one throws, logs why, and still completes", async () => {
        await addScript("Before", 1010, `gs.setProperty("acme.before", "ran");`);
        await addScript("Broken", 1020, `var d = new GlideDateTime(); gs.setProperty("acme.broken", "ran");`);
        await addScript("After", 1030, `gs.setProperty("acme.after", "ran");`);
        const id = await requestClone();
        const final = await watch(prod, id, ended);
        assert.equal(final.state, "Completed");
        assert.equal(await property(dev, "acme.before"), "ran");
        assert.equal(await property(dev, "acme.broken"), undefined);
        assert.equal(await property(dev, "acme.after"), undefined);
        const logs = await list(prod, "sn_instance_clone_log", `clone=${id}^ORDERBYsys_id`);
        const failed = logs.find((l) => l.message!.startsWith('Cleanup script "Broken" failed'));
        assert.equal(failed?.message, 'Cleanup script "Broken" failed: ReferenceError: GlideDateTime is not defined');
        assert.equal(failed?.level, "error");
        assert.equal(failed?.phase, "Cleanup scripts");
        assert.ok(logs.some((l) => l.message === 'Cleanup scripts not run because "Broken" failed: "After"'));
    });

    it("ends in Error with the platform's message when the target does not allow cloning", async () => {
        const prodRef = (await list(dev, "instance", "instance_name=prod"))[0]!.sys_id!;
        const usersBefore = await list(prod, "sys_user", "ORDERBYsys_id");
        const req = await insert(dev, "sn_instance_clone_request", { state: "Requested", target_instance: prodRef });
        const final = await watch(dev, req.sys_id!, ended);
        assert.equal(final.state, "Error");
        assert.equal(
            final.error_message,
            "Target instance prod does not allow cloning: glide.db.clone.allow_clone_target is false",
        );
        assert.deepEqual(await list(prod, "sys_user", "ORDERBYsys_id"), usersBefore);
    });

    it("leaves the target untouched when the clone is canceled before the copy", async () => {
        const before = emu.instances.get("dev")!.db.snapshot();
        const id = await requestClone();
        await watch(prod, id, (r) => r.state === "Scheduled" || ["Preflight checks", "Backup"].includes(r.phase!));
        await patch(prod, "sn_instance_clone_request", id, { state: "Canceled" });
        // The engine stamps `completed` once it is done with the request (a cancel honoured, or a clone that ignored
        // it and ran to its end): wait for that event, not for time, then judge the outcome.
        const final = await watch(prod, id, (r) => ended(r) && Boolean(r.completed));
        assert.equal(final.state, "Canceled");
        const devDb = emu.instances.get("dev")!.db;
        for (const [root, rows] of before.tables) assert.deepEqual(devDb.exportRows(root), rows, root);
    });

    it("rolls the latest clone back to the target as it was before", async () => {
        const usersBefore = await list(dev, "sys_user", "ORDERBYsys_id");
        const smtpBefore = await property(dev, "glide.email.smtp.active");
        const descBefore = await property(dev, "glide.product.description");
        const id = await requestClone();
        await watch(prod, id, ended);
        assert.equal(await property(dev, "glide.product.description"), "ACME Production");
        await patch(prod, "sn_instance_clone_request", id, { state: "Rollback requested" });
        const seen = new Set<string>();
        const final = await watch(prod, id, ended, seen);
        assert.equal(final.state, "Rolled back", final.error_message);
        assert.ok(
            [...seen].some((x) => x.startsWith("Rolling back")),
            [...seen].join(", "),
        );
        assert.deepEqual(await list(dev, "sys_user", "ORDERBYsys_id"), usersBefore);
        assert.equal(await property(dev, "glide.email.smtp.active"), smtpBefore);
        assert.equal(await property(dev, "glide.product.description"), descBefore);
    });

    it("fails a rollback of a clone that is not the latest into its target", async () => {
        const first = await requestClone();
        await watch(prod, first, ended);
        const second = await requestClone();
        assert.equal((await watch(prod, second, ended)).state, "Completed");
        await patch(prod, "sn_instance_clone_request", first, { state: "Rollback requested" });
        const final = await watch(prod, first, ended);
        assert.equal(final.state, "Rollback failure");
        assert.match(final.error_message!, /^Rollback is possible only for the latest completed clone/);
    });
});
