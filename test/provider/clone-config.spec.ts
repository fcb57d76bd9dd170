import * as assert from "node:assert/strict";
import { isWriteRequest } from "../../emulator/index";
import { FROM_STACK } from "../../provider/pulumi/check";
import { cloneCleanupScriptProvider } from "../../provider/resources/clone-cleanup-script";
import { cloneExclusionProvider } from "../../provider/resources/clone-exclusion";
import { clonePreserverProvider } from "../../provider/resources/clone-preserver";
import { cloneProfileProvider } from "../../provider/resources/clone-profile";
import { type ClonePair, startClonePair } from "../fixtures/clone-support/emulator";

/** Provider results are inspected field by field; typing each provider's generics here would add nothing. */
// biome-ignore lint/suspicious/noExplicitAny: see above
type Json = any;

type Provider = {
    check?: (olds: Json, news: Json) => Promise<Json>;
    create: (inputs: Json) => Promise<Json>;
    read?: (id: string, props: Json) => Promise<Json>;
    update?: (id: string, olds: Json, news: Json) => Promise<Json>;
    delete?: (id: string, props: Json) => Promise<void>;
    diff?: (id: string, olds: Json, news: Json) => Promise<Json>;
};

/** The providers as the engine sees them: plain JSON in, plain JSON out. */
const preserver = clonePreserverProvider as unknown as Provider;
const exclusion = cloneExclusionProvider as unknown as Provider;
const cleanupScript = cloneCleanupScriptProvider as unknown as Provider;
const profile = cloneProfileProvider as unknown as Provider;

/** Runs check and returns the normalized inputs, failing the test on a check failure. */
async function checked(p: Provider, news: Record<string, unknown>): Promise<Json> {
    const r = await p.check!({}, news);
    assert.deepEqual(r.failures ?? [], [], JSON.stringify(r.failures));
    return r.inputs;
}

/** Runs check and returns the failures. */
async function failures(p: Provider, news: Record<string, unknown>): Promise<{ property: string; reason: string }[]> {
    return (await p.check!({}, news)).failures ?? [];
}

describe("clone configuration resources", function () {
    this.timeout(60_000);
    let pair: ClonePair;
    before(async () => {
        pair = await startClonePair();
    });
    after(async () => pair?.stop());

    const prod = () => pair.source.db;
    /** Writes (anything but GET/HEAD) either instance received after a request-log mark, as "instance METHOD path". */
    const writesSince = (mark: number) =>
        pair.emulator.stats
            .requests(undefined, mark)
            .filter(isWriteRequest)
            .map((e) => `${e.instance} ${e.method} ${e.path}`);
    const byName = (table: string, name: string) => prod().query(table, `name=${name}`)[0];

    describe("ClonePreserver", () => {
        it("creates a preserver on the source and deletes it on destroy", async () => {
            const inputs = await checked(preserver, {
                name: "Keep QA REST endpoints",
                table: "sys_rest_message",
                condition: "nameSTARTSWITHQA",
            });
            assert.equal(inputs.connection, "source", "clone configuration lives on the source by default");
            const { id, outs } = await preserver.create(inputs);
            const row = prod().get("clone_data_preserver", id)!;
            assert.equal(row.table, "sys_rest_message");
            assert.equal(row.condition, "nameSTARTSWITHQA");
            assert.equal(outs.created, true);
            await preserver.delete!(id, outs);
            assert.equal(prod().get("clone_data_preserver", id), undefined);
        });

        it("adopts an existing preserver by name, keeps its values and restores them on destroy", async () => {
            const existing = prod().insert("clone_data_preserver", {
                name: "Keep MID users",
                table: "sys_user",
                condition: "user_name=mid.server",
            });
            const inputs = await checked(preserver, {
                name: "Keep MID users",
                table: "sys_user",
                condition: "user_nameSTARTSWITHmid.",
            });
            const { id, outs } = await preserver.create(inputs);
            assert.equal(id, existing.sys_id, "the existing record is adopted, not duplicated");
            assert.equal(prod().query("clone_data_preserver", "name=Keep MID users").length, 1);
            assert.equal(prod().get("clone_data_preserver", id)!.condition, "user_nameSTARTSWITHmid.");
            assert.equal(outs.created, false);
            assert.equal(outs.previous.condition, "user_name=mid.server");
            await preserver.delete!(id, outs);
            const after = prod().get("clone_data_preserver", id);
            assert.ok(after, "an adopted preserver is not deleted");
            assert.equal(after.condition, "user_name=mid.server", "its previous condition is back");
        });

        it("shows drift on read and puts the record back on update", async () => {
            const inputs = await checked(preserver, {
                name: "Keep QA LDAP",
                table: "ldap_server_config",
                condition: "",
            });
            const { id, outs } = await preserver.create(inputs);
            prod().update("clone_data_preserver", id, { table: "ldap_ou_config", theme: "true" });
            const read = await preserver.read!(id, outs);
            assert.equal(read.inputs.table, "ldap_ou_config", "refresh reports the live table");
            assert.equal(read.inputs.theme, true);
            const diff = await preserver.diff!(id, read.props, inputs);
            assert.equal(diff.changes, true);
            assert.deepEqual(diff.replaces, []);
            await preserver.update!(id, read.props, inputs);
            assert.equal(prod().get("clone_data_preserver", id)!.table, "ldap_server_config");
            assert.equal(prod().get("clone_data_preserver", id)!.theme, "false");
            await preserver.delete!(id, outs);
        });

        it("refuses to manage the platform's protected preservers", async () => {
            for (const name of ["Core Instance Properties", "Semaphores", "email accounts"]) {
                const f = await failures(preserver, { name, table: "sys_properties" });
                assert.equal(f[0]?.property, "name", name);
                assert.match(f[0]!.reason, /must not be modified or deleted/);
            }
        });

        it("refuses a condition with the regex operator, which preservers do not support", async () => {
            const f = await failures(preserver, {
                name: "Regex",
                table: "sys_properties",
                condition: "nameMATCH_RGXglide.*",
            });
            assert.equal(f[0]?.property, "condition");
        });

        it("replaces the resource when its name changes", async () => {
            const olds = await checked(preserver, { name: "A", table: "sys_user" });
            const news = await checked(preserver, { name: "B", table: "sys_user" });
            const diff = await preserver.diff!("x", olds, news);
            assert.deepEqual(diff.replaces, ["name"]);
        });
    });

    describe("CloneExclusion", () => {
        it("creates an exclusion, and an existing one is adopted and left in place on destroy", async () => {
            const created = await clonePreserverLess("incident");
            assert.equal(created.outs.created, true);
            await exclusion.delete!(created.id, created.outs);
            assert.equal(byName("clone_data_exclude", "incident"), undefined, "what it created is deleted");

            const adopted = await exclusion.create(await checked(exclusion, { name: "sys_email" }));
            assert.equal(adopted.outs.created, false, "the platform's default sys_email exclusion is adopted");
            await exclusion.delete!(adopted.id, adopted.outs);
            assert.ok(byName("clone_data_exclude", "sys_email"), "an adopted exclusion stays");
        });

        it("fails check for a wildcard without the dot and for sys_db_object", async () => {
            assert.equal((await failures(exclusion, { name: "sys_script*" }))[0]?.property, "name");
            assert.match((await failures(exclusion, { name: "sys_db_object.*" }))[0]!.reason, /can't be excluded/);
        });

        async function clonePreserverLess(name: string) {
            return exclusion.create(await checked(exclusion, { name }));
        }
    });

    describe("CloneCleanupScript", () => {
        it("fails check at preview naming the line of a syntax error, without running the script", async () => {
            const mark = pair.emulator.stats.lastSeq;
            const f = await failures(cleanupScript, {
                name: "Broken",
                script: 'gs.setProperty("acme.broken.script.ran", "yes");\nvar x = ;\nthrow new Error("must never run");',
            });
            assert.equal(f[0]?.property, "script");
            assert.match(f[0]!.reason, /line 2/);
            assert.match(f[0]!.reason, /var x = ;/);
            for (const db of [pair.source.db, pair.target.db]) {
                assert.equal(db.getProperty("acme.broken.script.ran"), undefined, "the script's first line never ran");
            }
            assert.deepEqual(writesSince(mark), [], "check wrote nothing to either instance");
            assert.equal(byName("clone_cleanup_script", "Broken"), undefined);
        });

        it("creates a script with its order and active flag, and reports drift in the script text", async () => {
            const inputs = await checked(cleanupScript, {
                name: "Mark as QA",
                script: 'gs.setProperty("acme.env", "qa");',
                order: 50,
            });
            const { id, outs } = await cleanupScript.create(inputs);
            const row = prod().get("clone_cleanup_script", id)!;
            assert.equal(row.order, "50");
            assert.equal(row.active, "true");
            prod().update("clone_cleanup_script", id, { script: "// emptied by hand" });
            const read = await cleanupScript.read!(id, outs);
            assert.equal(read.inputs.script, "// emptied by hand");
            assert.equal(read.inputs.order, 50);
            await cleanupScript.delete!(id, outs);
            assert.equal(prod().get("clone_cleanup_script", id), undefined);
        });

        it("treats a record deleted behind its back as gone, so the next up re-creates it", async () => {
            const inputs = await checked(cleanupScript, { name: "Ephemeral", script: "var a = 1;" });
            const { id, outs } = await cleanupScript.create(inputs);
            prod().delete("clone_cleanup_script", id);
            assert.deepEqual(await cleanupScript.read!(id, outs), {});
            await cleanupScript.delete!(id, outs);
        });
    });

    describe("CloneProfile", () => {
        it("links exclusions, preservers and scripts by name or sys_id, scripts in list order", async () => {
            const ex = prod().insert("clone_data_exclude", { name: "incident" });
            prod().insert("clone_cleanup_script", { name: "Second", order: "900", script: "var b;" });
            const first = prod().insert("clone_cleanup_script", { name: "First", order: "900", script: "var a;" });
            const inputs = await checked(profile, {
                name: "QA refresh",
                exclusions: [ex.sys_id, "sys_email"],
                preservers: ["Core Instance Properties", "Email Accounts"],
                cleanupScripts: [first.sys_id, "Second", { script: "Disable emails", active: false }],
            });
            const { id, outs } = await profile.create(inputs);
            const links = (t: string) => prod().query(t, `profile=${id}`);
            assert.equal(links("clone_profile_exclusions").length, 2);
            assert.equal(links("clone_profile_preservers").length, 2);
            const scripts = links("clone_profile_cleanup_scripts")
                .map((l) => ({
                    name: prod().get("clone_cleanup_script", l.cleanup_script!)!.name,
                    order: Number(l.order),
                    active: l.active,
                }))
                .sort((a, b) => a.order - b.order);
            assert.deepEqual(scripts, [
                { name: "First", order: 100, active: "true" },
                { name: "Second", order: 200, active: "true" },
                { name: "Disable emails", order: 300, active: "false" },
            ]);

            // Drift: someone unlinks a preserver by hand; read shows it by name, update puts it back.
            const email = byName("clone_data_preserver", "Email Accounts")!;
            const link = links("clone_profile_preservers").find((l) => l.preserver === email.sys_id)!;
            prod().delete("clone_profile_preservers", link.sys_id!);
            const read = await profile.read!(id, outs);
            assert.deepEqual(read.inputs.preservers, ["Core Instance Properties"]);
            await profile.update!(id, read.props, inputs);
            assert.equal(links("clone_profile_preservers").length, 2);
            const again = await profile.read!(id, outs);
            assert.deepEqual(again.inputs.preservers, inputs.preservers, "converged: no drift");
            assert.deepEqual(again.inputs.cleanupScripts, inputs.cleanupScripts);

            await profile.delete!(id, outs);
            assert.equal(prod().get("clone_profile", id), undefined);
            assert.equal(links("clone_profile_exclusions").length, 0, "its links are deleted with it");
        });

        it("adopts an existing profile and restores its links on destroy", async () => {
            const legacy = prod().insert("clone_profile", { name: "Legacy UAT", description: "by hand" });
            const cip = byName("clone_data_preserver", "Core Instance Properties")!;
            const sem = byName("clone_data_preserver", "Semaphores")!;
            prod().insert("clone_profile_preservers", { profile: legacy.sys_id, preserver: sem.sys_id });
            const inputs = await checked(profile, {
                name: "Legacy UAT",
                description: "managed",
                preservers: ["Core Instance Properties"],
            });
            const { id, outs } = await profile.create(inputs);
            assert.equal(id, legacy.sys_id);
            const linked = () =>
                prod()
                    .query("clone_profile_preservers", `profile=${id}`)
                    .map((l) => l.preserver);
            assert.deepEqual(linked(), [cip.sys_id]);
            await profile.delete!(id, outs);
            assert.deepEqual(linked(), [sem.sys_id], "the links it had before are back");
            assert.equal(prod().get("clone_profile", id)!.description, "by hand");
        });

        it("fails with the missing name and writes nothing when a reference does not exist", async () => {
            const news = {
                name: "Typo profile",
                preservers: ["Core Instance Properties"],
                exclusions: ["no_such_exclusion"],
            };
            const mark = pair.emulator.stats.lastSeq;
            const refused = await failures(profile, news);
            assert.equal(refused[0]?.property, "exclusions.0");
            assert.match(refused[0]!.reason, /"no_such_exclusion".*does not exist in clone_data_exclude/);
            // A reference to a record the program creates (marked by the SDK) is resolved by apply, which refuses the
            // same way before writing anything.
            const inputs = await checked(profile, { ...news, [FROM_STACK]: ["exclusions.0"] });
            await assert.rejects(profile.create(inputs), /"no_such_exclusion".*does not exist/);
            assert.deepEqual(writesSince(mark), [], "the request log shows no write to either instance");
            assert.equal(byName("clone_profile", "Typo profile"), undefined);
        });

        it("refuses the System Profile and a profile that would drop the target's identity", async () => {
            assert.match(
                (
                    await failures(profile, {
                        name: "System Profile",
                        preservers: ["Core Instance Properties"],
                    })
                )[0]!.reason,
                /can't be modified/,
            );
            const f = await failures(profile, { name: "Bare" });
            assert.equal(f[0]?.property, "preservers");
            assert.match(f[0]!.reason, /Core Instance Properties/);
            await checked(profile, { name: "Bare", allowWithoutCoreInstanceProperties: true });
        });
    });
});
