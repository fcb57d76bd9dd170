import * as assert from "node:assert/strict";
import type { ServiceNowClient } from "../../provider/client/client";
import {
    userLockoutProvider as provider,
    type UserLockoutInputs,
    type UserLockoutOutputs,
} from "../../provider/resources/user-lockout";
import {
    type Emulator,
    logMark,
    snapshot,
    snapshotDiff,
    startBulkTarget,
    stopBulkEmulator,
    userIds,
    writesSince,
} from "../fixtures/bulk/support";

async function checked(news: Record<string, unknown>): Promise<UserLockoutInputs> {
    const r = await provider.check!({} as UserLockoutInputs, news as UserLockoutInputs);
    assert.deepEqual(r.failures ?? [], [], "check passes");
    return r.inputs!;
}

async function lockedMap(c: ServiceNowClient): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for await (const page of c.pages("sys_user", { fields: ["user_name", "locked_out", "active"] })) {
        for (const r of page) out.set(r.user_name!, r.locked_out!);
    }
    return out;
}

describe("UserLockout", function () {
    this.timeout(60_000);
    let emu: Emulator;
    let dev: ServiceNowClient;

    beforeEach(async () => {
        ({ emu, dev } = await startBulkTarget());
    });
    afterEach(() => stopBulkEmulator(emu));

    it("locks out every active user except those holding an allowed role, and leaves inactive users alone", async () => {
        const before = await lockedMap(dev);
        const { outs } = await provider.create(await checked({}));
        const after = await lockedMap(dev);
        assert.equal(after.get("admin"), "false", "admin holds the admin role");
        assert.equal(after.get("it.admin"), "false", "it.admin holds admin through the System Administrators group");
        assert.equal(after.get("itil.only"), "true");
        assert.equal(after.get("uat.lead"), "true");
        assert.equal(after.get("inactive.user"), before.get("inactive.user"), "out of scope: untouched");
        const newlyLocked = [...after].filter(([u, v]) => v === "true" && before.get(u) === "false").length;
        assert.equal(outs!.lockedCount, newlyLocked);
        assert.equal(outs!.unlockedCount, 0);
        assert.ok(outs!.allowedCount >= 2);
    });

    it("keeps members of an allowed group, named users and users matching allowQuery unlocked", async () => {
        const { outs } = await provider.create(
            await checked({
                allowGroups: ["UAT Participants"],
                allowUsers: ["itil.only"],
                allowQuery: "user_nameSTARTSWITHintegration.",
            }),
        );
        const after = await lockedMap(dev);
        assert.equal(after.get("uat.lead"), "false");
        assert.equal(after.get("itil.only"), "false");
        assert.equal(after.get("integration.03"), "false");
        assert.equal(after.get("trainer.one"), "true");
        assert.ok(outs!.lockedCount > 0);
    });

    it("allows a role through the roles that contain it: allowRoles itil keeps admins unlocked", async () => {
        await provider.create(await checked({ allowRoles: ["itil"] }));
        const after = await lockedMap(dev);
        assert.equal(after.get("it.admin"), "false", "admin contains itil");
        assert.equal(after.get("itil.only"), "false");
        assert.equal(after.get("trainer.one"), "true");
    });

    it("never locks out the account it connects as", async () => {
        await provider.create(await checked({ allowRoles: ["mid_server"] }));
        const after = await lockedMap(dev);
        assert.equal(after.get("admin"), "false");
        assert.equal(after.get("it.admin"), "true", "admin role not allowed here");
    });

    it("restores every user field by field on destroy, and a user locked before the policy stays locked", async () => {
        const before = await snapshot(dev, "sys_user");
        const { id, outs } = await provider.create(await checked({}));
        assert.equal((await lockedMap(dev)).get("locked.user"), "true");
        await provider.delete!(id, outs!);
        const after = await snapshot(dev, "sys_user");
        assert.deepEqual(snapshotDiff(before, after), []);
        assert.equal(
            (await lockedMap(dev)).get("locked.user"),
            "true",
            "locked before the policy, locked after destroy",
        );
    });

    it("unlocks only the users it locked when destroyed after more users were locked by someone else", async () => {
        const before = await snapshot(dev, "sys_user");
        const { id, outs } = await provider.create(await checked({ allowGroups: ["UAT Participants"] }));
        const uatLead = (await userIds(dev, ["uat.lead"])).get("uat.lead")!;
        assert.equal(before.get(uatLead)!.locked_out, "false", "the policy left uat.lead unlocked");
        await dev.update("sys_user", uatLead, { locked_out: "true" });
        await provider.delete!(id, outs!);
        // Exactly one user differs from before the policy: the one someone else locked; every user the policy locked
        // is back field by field, and no one else was touched.
        assert.deepEqual(snapshotDiff(before, await snapshot(dev, "sys_user")), [
            `${uatLead}.locked_out: "false" -> "true"`,
        ]);
    });

    it("reports users unlocked behind its back as drift, and update locks them again", async () => {
        const inputs = await checked({});
        const { id, outs } = await provider.create(inputs);
        const ids = await userIds(dev, ["itil.only", "uat.lead", "trainer.one"]);
        for (const sysId of ids.values()) await dev.update("sys_user", sysId, { locked_out: "false" });

        const read = await provider.read!(id, outs);
        const live = read.props as UserLockoutOutputs;
        assert.equal(live.unlockedCount, 3, "three users drifted");
        assert.equal(live.lockedCount, outs!.lockedCount - 3);
        assert.deepEqual(
            (({ connection, scope, allowRoles, allowGroups, allowUsers, allowQuery, allowOverlap }) => ({
                connection,
                scope,
                allowRoles,
                allowGroups,
                allowUsers,
                allowQuery,
                allowOverlap,
            }))(read.inputs as unknown as UserLockoutInputs),
            inputs,
            "read gives back the equivalent inputs",
        );
        assert.equal((await provider.diff!(id, live, inputs)).changes, true, "drift makes a diff");

        const mark = logMark(emu, "acme-dev");
        const { outs: repaired } = await provider.update!(id, live, inputs);
        assert.equal(repaired!.unlockedCount, 0);
        assert.equal(repaired!.lockedCount, outs!.lockedCount);
        const items = writesSince(emu, "acme-dev", mark).filter((w) => w.batch);
        assert.equal(items.length, 3, "only the three drifted users were written");
        const after = await lockedMap(dev);
        for (const u of ["itil.only", "uat.lead", "trainer.one"]) assert.equal(after.get(u), "true");

        const noDrift = await provider.read!(id, repaired);
        assert.equal((await provider.diff!(id, noDrift.props as UserLockoutOutputs, inputs)).changes, false);
    });

    it("applies only the difference on update: a newly allowed group is unlocked, nothing else is written", async () => {
        const beforePolicy = await snapshot(dev, "sys_user");
        const { id, outs } = await provider.create(await checked({}));
        const afterCreate = await snapshot(dev, "sys_user");
        const uat = await dev.query("sys_user_grmember", { query: "group.name=UAT Participants", fields: ["user"] });
        const members = new Set(uat.map((r) => r.user!));
        // The members the policy locked; members locked before it (the seed locks ~3% of users) stay locked.
        const expected = [...members]
            .filter((u) => beforePolicy.get(u)?.locked_out === "false" && afterCreate.get(u)?.locked_out === "true")
            .sort();
        assert.ok(expected.length > 0, "the seed has UAT members the policy locked");

        const mark = logMark(emu, "acme-dev");
        const news = await checked({ allowGroups: ["UAT Participants"] });
        assert.equal((await provider.diff!(id, outs!, news)).changes, true);
        const { outs: updated } = await provider.update!(id, outs!, news);
        const writes = writesSince(emu, "acme-dev", mark);
        const written = writes.filter((w) => w.batch).map((w) => w.path.replace(/^.*\/sys_user\//, ""));
        assert.deepEqual([...written].sort(), expected, "exactly the members it had locked were written");
        assert.deepEqual(
            writes.filter((w) => !w.batch).map((w) => w.method),
            [],
            "Batch API items carry them, no other write",
        );
        assert.deepEqual(
            snapshotDiff(afterCreate, await snapshot(dev, "sys_user")),
            expected.map((u) => `${u}.locked_out: "true" -> "false"`),
        );
        assert.equal(updated!.lockedCount, outs!.lockedCount - expected.length);
    });

    it("converges through a 429 storm and a burst of 503s during create", async function () {
        this.timeout(180_000);
        emu.faults.configure({
            errorRate: 0.3,
            errorStatuses: [503],
            rateLimits: [{ limit: 60, windowMs: 1000 }],
            randomSeed: 3,
        });
        const mark = logMark(emu, "acme-dev");
        const { id, outs } = await provider.create(await checked({}));
        const log = emu.stats.requests("acme-dev", mark);
        assert.ok(
            log.some((e) => e.status === 429),
            "the storm happened",
        );
        assert.ok(
            log.some((e) => e.status === 503),
            "the 503s happened",
        );
        emu.faults.configure({ errorRate: 0, rateLimits: [] });
        assert.equal(outs!.unlockedCount, 0);
        const read = await provider.read!(id, outs);
        assert.equal((read.props as UserLockoutOutputs).unlockedCount, 0, "every user in scope is locked");
        assert.equal((read.props as UserLockoutOutputs).lockedCount, outs!.lockedCount);
    });

    it("keeps state small: outputs hold counts and a range record, never a user's sys_id", async () => {
        const { outs } = await provider.create(await checked({}));
        const text = JSON.stringify(outs);
        assert.doesNotMatch(text, /[0-9a-f]{32}/, "no full sys_id in outputs");
        assert.ok(text.length < 4096, `${text.length} bytes of outputs for ${outs!.lockedCount} locked users`);
        assert.doesNotMatch(text, /admin"?:?\s*"?admin|password/i);
    });

    it("fails check, naming it, when an allow-list entry matches nothing", async () => {
        const r = await provider.check!(
            {} as UserLockoutInputs,
            {
                allowRoles: ["admin", "no_such_role"],
                allowGroups: ["Nobody Group"],
                allowUsers: ["nobody.here"],
            } as unknown as UserLockoutInputs,
        );
        const byProperty = new Map((r.failures ?? []).map((f) => [f.property, f.reason]));
        assert.match(byProperty.get("allowRoles")!, /no_such_role/);
        assert.match(byProperty.get("allowGroups")!, /Nobody Group/);
        assert.match(
            byProperty.get("allowUsers")!,
            /user "nobody.here" in allowUsers does not exist on http:\/\/127\.0\.0\.1/,
        );
    });

    it("fails check when allowRoles is empty or the scope filters on locked_out, without touching the instance", async () => {
        const mark = logMark(emu, "acme-dev");
        const empty = await provider.check!(
            {} as UserLockoutInputs,
            { allowRoles: [] } as unknown as UserLockoutInputs,
        );
        assert.equal(empty.failures?.[0]?.property, "allowRoles");
        const scoped = await provider.check!(
            {} as UserLockoutInputs,
            {
                scope: "active=true^locked_out=false",
            } as unknown as UserLockoutInputs,
        );
        assert.equal(scoped.failures?.[0]?.property, "scope");
        assert.match(scoped.failures![0]!.reason, /locked_out/);
        assert.deepEqual(writesSince(emu, "acme-dev", mark), []);
    });
});
