import * as assert from "node:assert/strict";
import { setClientTuning } from "../../provider/connection";
import { toCheckResult } from "../../provider/pulumi/check";
import { MidServerStateInputs, midServerStateProvider as provider } from "../../provider/resources/mid-server-state";
import { createThrough, refreshAndUp, tableSnapshot } from "../fixtures/checklist/harness";
import { useChecklistInstance } from "../support/emulator";

const TABLES = ["sys_user", "sys_user_has_role", "ecc_queue", "ecc_agent_issue"];

describe("MidServerState against the emulator", () => {
    const env = useChecklistInstance();

    function userReady(name: string): boolean {
        const db = env.instance.db;
        const u = db.query("sys_user", `user_name=${name}`)[0];
        if (u?.active !== "true" || u.locked_out === "true") return false;
        const role = db.query("sys_user_role", "name=mid_server")[0]!;
        return db.query("sys_user_has_role", `user=${u.sys_id}^role=${role.sys_id}`).length > 0;
    }

    it("ensures MID users, clears queued output, reports Down servers, repairs drift and restores on destroy", async () => {
        const db = env.instance.db;
        // As after a clone: one MID user missing from production's sys_user, one locked out, one without its role.
        const missing = db.query("sys_user", "user_name=mid.user.01")[0]!;
        for (const g of db.query("sys_user_has_role", `user=${missing.sys_id}`))
            db.delete("sys_user_has_role", g.sys_id!);
        db.delete("sys_user", missing.sys_id!);
        const locked = db.query("sys_user", "user_name=mid.user.02")[0]!;
        db.update("sys_user", locked.sys_id!, { locked_out: "true" });
        const roleless = db.query("sys_user", "user_name=mid.user.03")[0]!;
        for (const g of db.query("sys_user_has_role", `user=${roleless.sys_id}`))
            db.delete("sys_user_has_role", g.sys_id!);
        const mid = db.query("ecc_agent", "status=Down")[0]!;
        db.insert("ecc_agent_issue", {
            mid_server: mid.sys_id!,
            source: "InstanceClone",
            message: "MID Server not operational",
        });
        const before = TABLES.map((t) => tableSnapshot(env.instance, t));

        const raw = { resolveCloneIssues: true };
        const { id, outs } = await createThrough(provider, raw);
        for (const u of ["mid.user.01", "mid.user.02", "mid.user.03", "mid.user.04"]) assert.ok(userReady(u), u);
        assert.deepEqual(outs.createdUsers, ["mid.user.01"]);
        assert.deepEqual(outs.downMidServers, ["mid-prod-04"]);
        assert.equal(db.query("ecc_queue", "queue=output^state=ready").length, 0);
        assert.equal(db.query("ecc_agent_issue", "source=InstanceClone^state!=resolved").length, 0);

        const seq = env.mark();
        const again = await refreshAndUp(provider, id, outs, raw);
        assert.equal(again.diff.changes, false);
        assert.deepEqual(env.writesSince(seq), []);

        db.update("sys_user", locked.sys_id!, { locked_out: "true" });
        const repaired = await refreshAndUp(provider, id, again.outs, raw);
        assert.deepEqual(
            repaired.read.inputs.users,
            ["mid.user.01", "mid.user.03", "mid.user.04"],
            "refresh names users",
        );
        assert.ok(userReady("mid.user.02"));

        await provider.delete!(id, repaired.outs);
        assert.deepEqual(
            TABLES.map((t) => tableSnapshot(env.instance, t)),
            before,
        );
    });

    it("refuses an empty MID server list at check, naming midServers, with nothing written", async () => {
        const seq = env.mark();
        const r = await provider.check!({} as never, { midServers: [] } as never);
        assert.equal(r.failures?.[0]?.property, "midServers");
        assert.deepEqual(env.writesSince(seq), []);
    });

    it("fails create on an unknown role with nothing written", async () => {
        const seq = env.mark();
        // Preview refuses it at check, naming the property (the lookup moved there)...
        const refused = await provider.check!({} as never, { role: "mid_srv" } as never);
        assert.equal(refused.failures?.[0]?.property, "role");
        assert.match(refused.failures?.[0]?.reason ?? "", /role "mid_srv" does not exist/);
        // ...and create still refuses it with nothing written, should the instance change between preview and up.
        const checked = toCheckResult(MidServerStateInputs, { role: "mid_srv" });
        await assert.rejects(provider.create(checked.inputs!), /role "mid_srv" does not exist/);
        assert.deepEqual(env.writesSince(seq), []);
    });

    it("converges through a burst of 503s, 429s and connection resets, and destroy still restores the snapshot", async () => {
        const db = env.instance.db;
        // mid.user.01 is missing again (the first test's destroy deleted the user it had created): an insert under faults.
        const mid = db.query("sys_user", "user_name=mid.user.03")[0]!;
        db.update("sys_user", mid.sys_id!, { active: "false" });
        const before = TABLES.map((t) => tableSnapshot(env.instance, t));
        setClientTuning({ retries: 8, backoff: { baseDelayMs: 20, maxDelayMs: 200 } });
        env.emulator.faults.configure({
            errorRate: 0.15,
            resetRate: 0.03,
            randomSeed: 11,
            rateLimits: [{ table: "sys_user", limit: 2, windowMs: 100 }],
        });
        try {
            // A POST that fails is never repeated by the client (it may have run), so a create can fail; it then
            // leaves nothing behind and the next `up` starts over, which is what this loop does.
            let created: Awaited<ReturnType<typeof createThrough>> | undefined;
            const failures: string[] = [];
            for (let attempt = 0; !created && attempt < 8; attempt++) {
                created = await createThrough(provider, {}).catch((e: Error) => {
                    failures.push(e.message);
                    return undefined;
                });
            }
            assert.ok(created, `no attempt converged: ${failures.join("; ")}`);
            assert.ok(userReady("mid.user.01") && userReady("mid.user.03"));
            assert.equal(db.query("ecc_queue", "queue=output^state=ready").length, 0);
            // Delete is idempotent: a failed destroy is simply run again.
            for (let attempt = 0; attempt < 8; attempt++) {
                const ok = await provider.delete!(created.id, created.outs).then(
                    () => true,
                    () => false,
                );
                if (ok) break;
            }
        } finally {
            env.emulator.faults.configure({ errorRate: 0, resetRate: 0, rateLimits: [] });
            setClientTuning({ retries: 2, backoff: { baseDelayMs: 5, maxDelayMs: 20 } });
        }
        assert.deepEqual(
            TABLES.map((t) => tableSnapshot(env.instance, t)),
            before,
        );
        assert.ok(
            env.emulator.stats
                .requests("acme-qa", 0)
                .some((e) => e.status === 503 || e.status === 502 || e.status === 504),
            "faults were injected",
        );
    });
});
