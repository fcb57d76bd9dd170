import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { PERSONAL_DATA_RULES } from "../../provider/masking/presets";
import { EnvironmentConfigError, EnvironmentSession, UnsafeTargetError } from "../../sdk/automation/environment";
import type { ProgressEvent } from "../../sdk/automation/progress";
import { packageRoot } from "../../sdk/toolchain";
import {
    connectionConfig,
    type EnvFixture,
    setProperty,
    startEnvFixture,
    unlockOneUser,
    writesSince,
} from "../fixtures/env-support";
import { type Snapshot, snapshotDiff, wholeInstance } from "../support/snapshot";

/** The properties the platform's Theme properties preserver keeps on the target across a clone. */
const THEME = /^(css\.|glide\.ui\.polaris\.theme)/;

/*
 * An ordered scenario, on purpose: one stack's life (clone and apply, drift and repair, history, refusals, a new clone,
 * destroy), each step starting from the state the previous one left, as a release pipeline meets it. Applying from
 * scratch in every test would cost minutes each. Run the whole describe; a single `it` alone (--grep) is not
 * meaningful except for the two refusal tests, which use their own stacks.
 */
describe("the automation library on the qa stack", function () {
    this.timeout(600_000);
    let f: EnvFixture;
    /** The whole target before the stack's first write. */
    let original: Snapshot | undefined;
    /** The whole target right after the latest clone, before the stack re-asserted its policy: what destroy restores. */
    let afterClone: Snapshot | undefined;

    before(async () => {
        const compiled = path.join(packageRoot, "dist", "sdk", "environment", "program.js");
        assert.ok(fs.existsSync(compiled), `${compiled} is missing: run \`npm run build\` first`);
        f = await startEnvFixture();
    });
    after(async () => f?.stop());

    /** An isolated session of the committed qa stack, pointed at the emulator. */
    const open = (extra: Parameters<typeof EnvironmentSession.open>[0] = { environment: "qa" }) =>
        EnvironmentSession.open({
            isolated: true,
            backendUrl: f.backendUrl,
            pulumiHome: f.pulumiHome,
            passphrase: "test",
            ...extra,
            config: { ...connectionConfig(f), ...extra.config },
        });

    it("clones, applies with progress, and a second apply changes nothing", async () => {
        original = wholeInstance(f.qa.db);
        const events: ProgressEvent[] = [];
        const env = await open({ environment: "qa", onProgress: (e) => events.push(e) });
        try {
            const first = await env.apply({ clone: { pollMs: 50 } });
            assert.equal(first.clone?.state, "Completed");
            assert.equal(
                first.changes.create,
                11,
                "the stack, the clone run, the eight checklist resources and the verification gate",
            );
            assert.equal(f.qa.db.getProperty("glide.product.description"), "ACME QA (non-production)");
            assert.equal(f.qa.db.getProperty("glide.email.test.user"), "qa-inbox@acme-test.com");
            const done = events.filter((e) => e.kind === "resource-done").map((e) => (e as { type: string }).type);
            assert.ok(done.includes("UserLockout") && done.includes("EmailPolicy"), `progress: ${done.join(", ")}`);
            assert.ok(
                events.some((e) => e.kind === "clone" && e.state === "Completed"),
                "clone progress reported",
            );

            // expectNoChanges makes the engine fail if anything would change.
            const second = await env.apply({ expectNoChanges: true });
            assert.equal(second.changes.update ?? 0, 0);
            assert.equal(second.changes.create ?? 0, 0);
        } finally {
            await env.close();
        }
    });

    it("reports drift made on the instance per resource and property, and apply repairs it", async () => {
        const env = await open();
        try {
            assert.equal((await env.drift()).drifted, false, "no drift right after apply");
            await setProperty(f.qa, "glide.email.test.user", "someone@acme-corp.com");
            const user = await unlockOneUser(f.qa);

            const report = await env.drift();
            assert.equal(report.drifted, true);
            const byName = new Map(report.resources.map((r) => [r.name, r]));
            assert.deepEqual([...byName.keys()].sort(), ["access", "email"], "exactly the two drifted resources");
            const redirect = byName.get("email")!.properties.find((p) => p.path === "redirectTo[0]");
            assert.deepEqual(redirect, {
                path: "redirectTo[0]",
                expected: "qa-inbox@acme-test.com",
                actual: "someone@acme-corp.com",
            });
            const unlocked = byName.get("access")!.properties.find((p) => p.path === "unlockedCount");
            assert.deepEqual(
                [unlocked?.expected, unlocked?.actual],
                [0, 1],
                `unlocking ${user} shows as unlockedCount`,
            );
            assert.equal(f.qa.db.getProperty("glide.email.test.user"), "someone@acme-corp.com", "drift wrote nothing");

            const repair = await env.apply();
            assert.equal(repair.changes.update, 2);
            assert.equal(f.qa.db.getProperty("glide.email.test.user"), "qa-inbox@acme-test.com");
            assert.equal((await env.drift()).drifted, false);
        } finally {
            await env.close();
        }
    });

    it("lists the history newest first", async () => {
        const env = await open();
        try {
            const history = await env.history(10);
            assert.ok(history.length >= 3, `history: ${JSON.stringify(history)}`);
            assert.equal(history[0]!.kind, "update");
            assert.ok(history[0]!.startTime >= history[1]!.startTime, JSON.stringify(history.slice(0, 2)));
            assert.ok(
                history.some((h) => (h.changes.create ?? 0) > 0),
                `the first apply is listed: ${JSON.stringify(history)}`,
            );
        } finally {
            await env.close();
        }
    });

    it("refuses an unsafe target with UnsafeTargetError and writes nothing there", async () => {
        // The stack declares acme-qa, but the URL points at production: the fence must refuse before any write.
        const before = wholeInstance(f.prod.db);
        const mark = f.emu.stats.lastSeq;
        const env = await open({ environment: "qa-unsafe", config: connectionConfig(f, f.prod) });
        try {
            await env.stack.setConfig("environment:email", { value: JSON.stringify({ sending: false }) });
            await env.stack.setConfig("environment:access", { value: JSON.stringify({ allowRoles: ["admin"] }) });
            await assert.rejects(env.apply(), (err: unknown) => {
                assert.ok(err instanceof UnsafeTargetError, String(err));
                assert.match((err as Error).message, /refusing to write: saw "acme"/);
                assert.doesNotMatch((err as Error).message, /admin:admin|password/i);
                return true;
            });
            assert.deepEqual(snapshotDiff(before, wholeInstance(f.prod.db)), [], "production is unchanged");
            assert.deepEqual(writesSince(f, "acme", mark), [], "the request log shows no write to production");
        } finally {
            await env.destroy().catch(() => undefined);
            await env.close();
        }
    });

    it("fails with the config key, the value and the fix when the stack config is wrong", async () => {
        const before = wholeInstance(f.qa.db);
        const mark = f.emu.stats.lastSeq;
        const env = await open({ environment: "qa-typo" });
        try {
            await env.stack.setConfig("environment:email", {
                value: JSON.stringify({ sending: true, redirectTo: ["not-an-address"] }),
            });
            await assert.rejects(env.preview(), (err: unknown) => {
                assert.ok(err instanceof EnvironmentConfigError, String(err));
                assert.match((err as Error).message, /environment:email\.redirectTo\[0\]/);
                assert.match((err as Error).message, /received "not-an-address"/);
                return true;
            });
            assert.deepEqual(snapshotDiff(before, wholeInstance(f.qa.db)), [], "nothing changed");
            assert.deepEqual(writesSince(f, "acme-qa", mark), [], "the request log shows no write");
        } finally {
            await env.close();
        }
    });

    it("re-asserts every checklist item after a new clone, through the clone run's epoch", async () => {
        const env = await open();
        try {
            const clone = await env.clone({ pollMs: 50 });
            afterClone = wholeInstance(f.qa.db);
            // The clone put production's settings back; the stack must notice without any config change.
            assert.equal(f.qa.db.getProperty("glide.product.description"), "ACME Production");
            const result = await env.apply();
            assert.equal(
                result.changes.update,
                10,
                `the clone run, the eight items and the verification gate: ${JSON.stringify(result.changes)}`,
            );
            assert.ok(String(result.outputs.cloneEpoch).includes(clone.id), String(result.outputs.cloneEpoch));
            assert.equal(f.qa.db.getProperty("glide.product.description"), "ACME QA (non-production)");
            await env.apply({ expectNoChanges: true });
        } finally {
            await env.close();
        }
    });

    it("destroy puts back what the stack changed", async () => {
        assert.ok(
            original && afterClone,
            "runs after the first apply and the re-clone steps, which take the snapshots",
        );
        const env = await open();
        try {
            await env.destroy();
            assert.equal(f.qa.db.getProperty("glide.product.description"), "ACME Production");
            assert.equal(f.qa.db.count("ldap_server_config", "active=true"), 2);
            // Every table of the target, field by field, as the latest clone left it (the clone itself is not undone:
            // the stack's CloneRun does not roll back on destroy unless asked). Except the theme properties: the
            // clone's Theme preserver kept the target's own values across the clone (the colour the stack had set),
            // and destroy puts back the value from before the stack's first write.
            const expected: Snapshot = new Map(afterClone);
            const properties = new Map(afterClone.get("sys_properties"));
            for (const [id, row] of properties) {
                const before = original.get("sys_properties")?.get(id);
                if (THEME.test(row.name ?? "") && before) properties.set(id, before);
            }
            expected.set("sys_properties", properties);
            // Not undone, by design: personal data DataMasking masked (it cannot unmask; docs/data-masking.md) and the
            // records the platform keeps of the verification gate's ATF run (results and the execution tracker); and the
            // instance's own text indexer, finishing in the background the regeneration the clone queued.
            const masked = new Set(
                PERSONAL_DATA_RULES.flatMap((r) =>
                    Object.keys(r.fields).map((field) => `${f.qa.db.schema.find(r.table)?.root ?? r.table}.${field}`),
                ),
            );
            const byDesign = (line: string) => {
                const field = /^(\w+)\/[0-9a-f]{32}\.(\w+):/.exec(line);
                if (field && masked.has(`${field[1]}.${field[2]}`)) return true;
                if (/^ts_index_(name|stats)\//.test(line)) return true;
                return /^(sys_atf_\w+|sys_execution_tracker)\/[0-9a-f]{32} appeared$/.test(line);
            };
            assert.deepEqual(
                snapshotDiff(expected, wholeInstance(f.qa.db)).filter((line) => !byDesign(line)),
                [],
            );
        } finally {
            await env.close();
        }
    });
});
