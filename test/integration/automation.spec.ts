import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { EnvironmentConfigError, EnvironmentSession, UnsafeTargetError } from "../../sdk/automation/environment";
import type { ProgressEvent } from "../../sdk/automation/progress";
import { packageRoot } from "../../sdk/toolchain";
import {
    connectionConfig,
    type EnvFixture,
    fingerprint,
    setProperty,
    startEnvFixture,
    unlockOneUser,
} from "../fixtures/env-support";

describe("the automation library on the qa stack", function () {
    this.timeout(600_000);
    let f: EnvFixture;

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
        const events: ProgressEvent[] = [];
        const env = await open({ environment: "qa", onProgress: (e) => events.push(e) });
        try {
            const first = await env.apply({ clone: { pollMs: 50 } });
            assert.equal(first.clone?.state, "Completed");
            assert.equal(first.changes.create, 10, "the stack, the clone run and the eight checklist resources");
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
        const before = fingerprint(f.prod);
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
            assert.equal(fingerprint(f.prod), before, "production is unchanged");
        } finally {
            await env.destroy().catch(() => undefined);
            await env.close();
        }
    });

    it("fails with the config key, the value and the fix when the stack config is wrong", async () => {
        const before = fingerprint(f.qa);
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
            assert.equal(fingerprint(f.qa), before, "nothing written");
        } finally {
            await env.close();
        }
    });

    it("re-asserts every checklist item after a new clone, through the clone run's epoch", async () => {
        const env = await open();
        try {
            const clone = await env.clone({ pollMs: 50 });
            // The clone put production's settings back; the stack must notice without any config change.
            assert.equal(f.qa.db.getProperty("glide.product.description"), "ACME Production");
            const result = await env.apply();
            assert.equal(
                result.changes.update,
                9,
                `the clone run and the eight items: ${JSON.stringify(result.changes)}`,
            );
            assert.ok(String(result.outputs.cloneEpoch).includes(clone.id), String(result.outputs.cloneEpoch));
            assert.equal(f.qa.db.getProperty("glide.product.description"), "ACME QA (non-production)");
            await env.apply({ expectNoChanges: true });
        } finally {
            await env.close();
        }
    });

    it("destroy puts back what the stack changed", async () => {
        const env = await open();
        try {
            await env.destroy();
            assert.equal(f.qa.db.getProperty("glide.product.description"), "ACME Production");
            assert.equal(f.qa.db.count("ldap_server_config", "active=true"), 2);
        } finally {
            await env.close();
        }
    });
});
