import * as assert from "node:assert/strict";
import { isWriteRequest } from "../../emulator/index";
import { FROM_STACK, UNKNOWN } from "../../provider/pulumi/check";
import { cloneCleanupScriptProvider } from "../../provider/resources/clone-cleanup-script";
import { cloneExclusionProvider } from "../../provider/resources/clone-exclusion";
import { clonePreserverProvider } from "../../provider/resources/clone-preserver";
import { cloneProfileProvider } from "../../provider/resources/clone-profile";
import { cloneRunProvider } from "../../provider/resources/clone-run";
import { type ClonePair, startClonePair, until } from "../fixtures/clone-support/emulator";
import { snapshotDiff, wholeInstance } from "../support/snapshot";

/** Provider results are inspected field by field; typing each provider's generics here would add nothing. */
// biome-ignore lint/suspicious/noExplicitAny: see above
type Json = any;

type Provider = {
    check: (olds: Json, news: Json) => Promise<Json>;
    diff: (id: string, olds: Json, news: Json) => Promise<Json>;
    create: (inputs: Json) => Promise<Json>;
    read: (id: string, props: Json) => Promise<Json>;
    update: (id: string, olds: Json, news: Json) => Promise<Json>;
    delete: (id: string, props: Json) => Promise<void>;
};

/** The providers as the engine sees them: plain JSON in, plain JSON out. */
const run = cloneRunProvider as unknown as Provider;
const preserver = clonePreserverProvider as unknown as Provider;
const exclusion = cloneExclusionProvider as unknown as Provider;
const script = cloneCleanupScriptProvider as unknown as Provider;
const profile = cloneProfileProvider as unknown as Provider;

async function checked(p: Provider, news: Record<string, unknown>): Promise<Json> {
    const r = await p.check({}, news);
    assert.deepEqual(r.failures ?? [], [], JSON.stringify(r.failures));
    return r.inputs;
}

/** Runs `fn` with console.log captured (the provider's progress lines go there, which Pulumi shows during up). */
async function capturing<T>(fn: () => Promise<T>): Promise<{ result?: T; error?: Error; lines: string[] }> {
    const lines: string[] = [];
    const original = console.log;
    console.log = (...args: unknown[]) => lines.push(args.join(" "));
    try {
        return { result: await fn(), lines };
    } catch (error) {
        return { error: error as Error, lines };
    } finally {
        console.log = original;
    }
}

const FAST = { pollSeconds: 0.05, timeoutMinutes: 2 };

describe("CloneRun", function () {
    this.timeout(120_000);
    let pair: ClonePair;
    const log = console.log;
    before(async () => {
        pair = await startClonePair(600);
        // Progress lines are for Pulumi's output; tests that look at them capture them, the rest would be noise here.
        console.log = (...args: unknown[]) => {
            if (!String(args[0]).startsWith("CloneRun:")) log(...args);
        };
    });
    after(async () => {
        console.log = log;
        await pair?.stop();
    });

    const prod = () => pair.source.db;
    const dev = () => pair.target.db;
    const prop = (name: string) => dev().query("sys_properties", `name=${name}`)[0]?.value;
    const requests = () => prod().query("sn_instance_clone_request", "ORDERBYsys_created_on");

    it("requests a clone, prints its progress while waiting, and outputs its times and epoch", async () => {
        // Polls faster than the shortest phase the test looks for lasts, so the sample cannot skip it.
        const inputs = await checked(run, { ...FAST, pollSeconds: 0.02 });
        assert.equal(inputs.targetInstance, "dev", "the target defaults to the stack's declared target");
        assert.equal(inputs.mode, "request");
        const { result, error, lines } = await capturing(() => run.create(inputs));
        assert.ifError(error);
        const outs = result.outs;
        assert.equal(outs.state, "Completed");
        assert.equal(result.id, outs.cloneId);
        assert.equal(prod().get("sn_instance_clone_request", outs.cloneId)!.state, "Completed");
        for (const t of [outs.requestedAt, outs.startedAt, outs.completedAt]) {
            assert.match(t, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
        }
        const row = prod().get("sn_instance_clone_request", outs.cloneId)!;
        assert.equal(outs.startedAt, `${row.started!.replace(" ", "T")}Z`, "the platform's start time, in ISO 8601");
        assert.equal(outs.completedAt, `${row.completed!.replace(" ", "T")}Z`);
        assert.ok(outs.requestedAt <= outs.startedAt && outs.startedAt <= outs.completedAt, JSON.stringify(outs));
        assert.equal(outs.durationSeconds, (Date.parse(outs.completedAt) - Date.parse(outs.startedAt)) / 1000);
        assert.equal(outs.epoch, `${outs.cloneId}@${outs.completedAt}`);
        assert.equal(outs.reclonedSinceApply, "");
        assert.equal(outs.targetInstanceName, "dev", "the default profile preserved the target's identity");
        assert.ok(
            lines.some((l) => /Active, Copy data, \d+%/.test(l)),
            `progress names state, phase and percentage:\n${lines.join("\n")}`,
        );
        assert.ok(lines.some((l) => /requested clone \w{32} into dev/.test(l)));
    });

    it("applies a profile: a preserver keeps the target's rows, an exclusion empties a table, scripts run after the restore in order", async () => {
        dev().setProperty("acme.dev.marker", "keep me");
        dev().setProperty("acme.dev.scratch", "dev only");
        prod().insert("incident", { short_description: "production ticket", number: "INC0000001" });
        dev().insert("incident", { short_description: "dev ticket", number: "INC9000001" });

        const made: [Provider, Json][] = [];
        const make = async (p: Provider, news: Record<string, unknown>) => {
            const { outs } = await p.create(await checked(p, news));
            made.push([p, outs]);
            return outs;
        };
        await make(preserver, { name: "Keep dev marker", table: "sys_properties", condition: "name=acme.dev.marker" });
        await make(exclusion, { name: "incident" });
        // Created in the opposite order of the profile's list, so only the profile's order can make the trail right.
        await make(script, {
            name: "Trail second",
            order: 100,
            script: 'gs.setProperty("acme.clone.trail", gs.getProperty("acme.clone.trail", "") + ",second");',
        });
        await make(script, {
            name: "Trail first",
            order: 900,
            script:
                'var users = new GlideRecord("sys_user"); users.query(); var n = 0; while (users.next()) n++;\n' +
                'gs.setProperty("acme.clone.trail", "first(" + (n > 1 ? "data copied" : "empty") + ")");',
        });
        const qa = await make(profile, {
            name: "Provider test profile",
            exclusions: ["incident"],
            preservers: ["Core Instance Properties", "Keep dev marker"],
            cleanupScripts: ["Trail first", "Trail second"],
        });

        const inputs = await checked(run, { ...FAST, profile: qa.sysId });
        const { outs } = await run.create(inputs);
        assert.equal(outs.state, "Completed");
        assert.equal(prod().get("sn_instance_clone_request", outs.cloneId)!.profile, qa.sysId);

        assert.equal(prop("acme.dev.marker"), "keep me", "the preserver kept the target's row");
        assert.equal(prop("acme.dev.scratch"), undefined, "rows no preserver covers were replaced by the source's");
        assert.equal(prop("glide.product.description"), "ACME Production", "the source's data was copied");
        assert.equal(dev().query("incident").length, 0, "the excluded table is empty on the target");
        assert.ok(prod().query("incident").length > 0, "while the source still has rows in it");
        assert.equal(prop("acme.clone.trail"), "first(data copied),second", "scripts ran after the copy, in order");

        for (const [p, o] of made.reverse()) await p.delete(o.sysId, o);
    });

    it("fails with the platform's own message when the clone ends in Error", async () => {
        dev().setProperty("glide.db.clone.allow_clone_target", "false");
        const before = new Set(requests().map((r) => r.sys_id));
        try {
            const inputs = await checked(run, FAST);
            await assert.rejects(run.create(inputs), (e: Error) => {
                assert.match(e.message, /ended in state Error/);
                assert.match(e.message, /glide\.db\.clone\.allow_clone_target is false/);
                return true;
            });
            const mine = requests().filter((r) => !before.has(r.sys_id));
            assert.deepEqual(
                mine.map((r) => r.state),
                ["Error"],
            );
        } finally {
            dev().setProperty("glide.db.clone.allow_clone_target", "true");
        }
    });

    it("cancels its request when the clone does not finish in time, and leaves the target unchanged", async () => {
        dev().setProperty("acme.dev.untouched", "yes");
        const target = wholeInstance(dev());
        const before = new Set(requests().map((r) => r.sys_id));
        const inputs = await checked(run, { pollSeconds: 0.02, timeoutMinutes: 0.0002 });
        const { error, lines } = await capturing(() => run.create(inputs));
        assert.ok(error, "create failed");
        assert.match(error.message, /did not finish within/);
        assert.match(error.message, /it was canceled and the target was not changed/);
        assert.ok(lines.some((l) => /canceled/.test(l)));
        const mine = requests().filter((r) => !before.has(r.sys_id));
        assert.equal(mine.length, 1, "one request was made");
        const last = mine[0]!;
        assert.equal(prod().get("sn_instance_clone_request", last.sys_id!)!.state, "Canceled");
        // The engine is done with a request once it stamps `completed`: on a cancel it honours, or at the end of a clone
        // that ignored the cancel. Wait for that, not for time, then judge what it did.
        const settled = await until(
            "the clone engine to finish with the canceled request",
            () => {
                const r = prod().get("sn_instance_clone_request", last.sys_id!)!;
                return r.completed ? r : undefined;
            },
            60_000,
        );
        assert.equal(settled.state, "Canceled");
        assert.ok(
            prod()
                .query("sn_instance_clone_log", `clone=${last.sys_id}`)
                .some((l) => l.message === "Clone canceled; the target instance was not changed"),
            "the engine logged the cancel",
        );
        assert.equal(prop("acme.dev.untouched"), "yes");
        assert.deepEqual(snapshotDiff(target, wholeInstance(dev())), [], "every table of the target as it was");
    });

    it("rolls back its clone on destroy when asked, restoring the pre-clone target", async () => {
        dev().setProperty("acme.before.clone", "present");
        const inputs = await checked(run, { ...FAST, rollbackOnDestroy: true });
        const { outs } = await run.create(inputs);
        assert.equal(prop("acme.before.clone"), undefined, "the clone replaced the target's properties");
        assert.match(outs.rollbackDeadline, /^\d{4}-/);
        const { error, lines } = await capturing(() => run.delete(outs.cloneId, outs));
        assert.ifError(error);
        assert.equal(prod().get("sn_instance_clone_request", outs.cloneId)!.state, "Rolled back");
        assert.equal(prop("acme.before.clone"), "present", "the target is as it was before the clone");
        assert.ok(lines.some((l) => /Rolled back/.test(l)));
    });

    it("does not roll back on destroy by default", async () => {
        const inputs = await checked(run, FAST);
        const { outs } = await run.create(inputs);
        await run.delete(outs.cloneId, outs);
        assert.equal(prod().get("sn_instance_clone_request", outs.cloneId)!.state, "Completed");
    });

    it("replaces the resource when what is cloned changes, and updates in place otherwise", async () => {
        // check looks the profile up on the source: it must exist there.
        prod().insert("clone_profile", { name: "Another profile" });
        const olds = await checked(run, FAST);
        for (const change of [
            { profile: "Another profile" },
            { excludeAttachments: false },
            { preserveInProgressUpdateSetsDays: 3 },
            { targetInstance: "qa" },
        ]) {
            // A request into "qa", which the stack does not declare as its target, is refused at check (the fence);
            // the diff rule is still what decides a replacement, so it is fed the inputs as the schema leaves them.
            const news =
                "targetInstance" in change ? { ...olds, ...change } : await checked(run, { ...FAST, ...change });
            const diff = await run.diff("x", olds, news);
            assert.deepEqual(diff.replaces, Object.keys(change), JSON.stringify(change));
        }
        const refused = await run.check({}, { ...FAST, targetInstance: "qa" });
        assert.equal(refused.failures?.[0]?.property, "targetInstance");
        const news = await checked(run, { ...FAST, timeoutMinutes: 30, rollbackOnDestroy: true });
        const diff = await run.diff("x", { ...olds, epoch: "" }, news);
        assert.equal(diff.changes, true);
        assert.deepEqual(diff.replaces, []);
    });

    it("attaches to the latest clone, and a refresh after a newer clone reports it and moves the epoch", async () => {
        // Someone clones (e.g. in the Clone Admin Console). Completion times have one-second resolution, so each clone
        // starts in a new second to have a well-defined "latest".
        const cloneByHand = async () => {
            await new Promise((r) => setTimeout(r, 1100));
            const devRef = prod().query("instance", "instance_name=dev")[0]!.sys_id!;
            const row = prod().insert("sn_instance_clone_request", { state: "Requested", target_instance: devRef });
            await until(
                "the clone to complete",
                () => prod().get("sn_instance_clone_request", row.sys_id!)!.state === "Completed",
            );
            return row.sys_id!;
        };
        const first = await cloneByHand();
        const inputs = await checked(run, { ...FAST, mode: "attach" });
        assert.equal(inputs.historyFrom, "target", "attach reads the target's own history by default");
        const count = requests().length;
        const { outs } = await run.create(inputs);
        assert.equal(outs.state, "Completed");
        assert.equal(outs.cloneId, first, "it attached to the latest completed clone");
        assert.equal(requests().length, count, "attaching requests nothing");

        // No change since: nothing to do.
        const same = await run.read(outs.cloneId, outs);
        assert.equal(same.props.reclonedSinceApply, "");
        assert.equal((await run.diff(outs.cloneId, outs, inputs)).changes, false);

        // Cloned again.
        const again = await cloneByHand();
        // The engine checks before every diff; the lookup of the latest clone happens there (diff does no I/O).
        const rechecked = await checked(run, { ...FAST, mode: "attach" });
        assert.equal(
            (await run.diff(outs.cloneId, outs, rechecked)).changes,
            true,
            "even without refresh, diff sees it",
        );
        const refreshed = await run.read(outs.cloneId, outs);
        assert.notEqual(refreshed.props.epoch, outs.epoch);
        assert.match(refreshed.props.epoch, new RegExp(`^${again}@`));
        assert.match(refreshed.props.reclonedSinceApply, /instance dev was cloned again at .* since the last apply/);
        assert.deepEqual(
            refreshed.inputs.mode,
            "attach",
            "read returns the inputs unchanged: a clone is no input drift",
        );
        const diff = await run.diff(outs.cloneId, refreshed.props, inputs);
        assert.equal(diff.changes, true);
        assert.deepEqual(diff.replaces, [], "a newer clone re-asserts, it does not request another");

        const { outs: updated } = await run.update(outs.cloneId, refreshed.props, inputs);
        assert.equal(updated.cloneId, again, "attach mode follows the latest clone");
        assert.equal(updated.epoch, refreshed.props.epoch);
        assert.equal(updated.reclonedSinceApply, "");
        assert.equal((await run.diff(outs.cloneId, updated, inputs)).changes, false);
    });

    it("waits for a clone still running when attaching, and never cancels a clone it did not request", async () => {
        // A new second, so that this clone's completion time orders it after the earlier tests' clones.
        await new Promise((r) => setTimeout(r, 1100));
        const devRef = prod().query("instance", "instance_name=dev")[0]!.sys_id!;
        const theirs = prod().insert("sn_instance_clone_request", { state: "Requested", target_instance: devRef });
        const inputs = await checked(run, {
            mode: "attach",
            historyFrom: "source",
            pollSeconds: 0.02,
            timeoutMinutes: 0.0002,
        });
        await assert.rejects(run.create(inputs), /did not finish within/);
        const state = await until("their clone to end", () => {
            const s = prod().get("sn_instance_clone_request", theirs.sys_id!)!.state!;
            return ["Completed", "Error", "Canceled"].includes(s) && s;
        });
        assert.equal(state, "Completed", "the clone someone else requested went on");

        const { outs } = await run.create(await checked(run, { ...FAST, mode: "attach", historyFrom: "source" }));
        assert.equal(outs.cloneId, theirs.sys_id);
    });

    it("keeps its defaults when an input is still unknown at preview, so only that input can mean a new clone", async () => {
        prod().insert("clone_profile", { name: "QA" });
        const olds = await checked(run, { ...FAST, profile: "QA" });
        const news = await run.check(olds, { ...FAST, profile: UNKNOWN });
        assert.equal(news.inputs.mode, "request");
        assert.equal(news.inputs.targetInstance, "dev");
        assert.equal(news.inputs.excludeAttachments, true);
        const diff = await run.diff("x", { ...olds, epoch: "" }, news.inputs);
        assert.deepEqual(diff.replaces, ["profile"]);
    });

    it("fails check for a profile that does not exist on the source, naming the closest one, and writes nothing", async () => {
        const mark = pair.emulator.stats.lastSeq;
        const r = await run.check({}, { ...FAST, profile: "Sytem Profile" });
        assert.equal(r.failures?.[0]?.property, "profile");
        assert.match(
            r.failures[0].reason,
            /"Sytem Profile" does not exist in clone_profile .*did you mean "System Profile"/,
        );
        // A profile the program itself creates (marked by the SDK) is looked up when the clone is requested instead.
        const later = await run.check({}, { ...FAST, profile: "Sytem Profile", [FROM_STACK]: ["profile"] });
        assert.deepEqual(later.failures ?? [], []);
        await assert.rejects(run.create(later.inputs), /"Sytem Profile" does not exist in clone_profile/);
        const writes = pair.emulator.stats.requests(undefined, mark).filter(isWriteRequest);
        assert.deepEqual(writes, [], "nothing written on either instance");
    });

    it("fails check plainly for options that do not fit the mode", async () => {
        const r = await run.check({}, { mode: "attach", profile: "QA" });
        assert.equal(r.failures[0].property, "profile");
        const r2 = await run.check({}, { timeoutMinutes: 0 });
        assert.equal(r2.failures[0].property, "timeoutMinutes");
    });
});
