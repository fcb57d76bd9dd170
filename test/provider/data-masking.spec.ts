import * as assert from "node:assert/strict";
import type { ServiceNowClient } from "../../provider/client/client";
import { UnsafeTargetError } from "../../provider/client/errors";
import { PERSONAL_DATA_RULES } from "../../provider/masking/presets";
import { configureSalt, resetSalt } from "../../provider/masking/salt";
import {
    type DataMaskingInputs,
    DataPrivacyJobError,
    dataMaskingProvider as provider,
} from "../../provider/resources/data-masking";
import {
    configureTarget,
    type Emulator,
    logMark,
    observer,
    startBulkTarget,
    stopBulkEmulator,
    writesSince,
} from "../fixtures/bulk/support";

const SALT = "test-salt-0123456789abcdef";
const PLANTED = "planted.original.value@acme-corp.com";

const [USERS_RULE, TICKETS_RULE] = PERSONAL_DATA_RULES;

function useSalt(salt: string | undefined): void {
    configureSalt({ get: (k: string) => (k === "servicenow:maskingSalt" ? salt : undefined) });
}

async function check(news: Record<string, unknown>) {
    return provider.check!({} as DataMaskingInputs, news as DataMaskingInputs);
}

async function checked(news: Record<string, unknown>): Promise<DataMaskingInputs> {
    const r = await check({ knownCloneEpoch: "abc@2026-11-30T10:00:00Z", ...news });
    assert.deepEqual(r.failures ?? [], [], "check passes");
    return r.inputs!;
}

async function users(c: ServiceNowClient): Promise<Map<string, Record<string, string>>> {
    const out = new Map<string, Record<string, string>>();
    for await (const page of c.pages("sys_user", {
        fields: ["user_name", "email", "phone", "name", "web_service_access_only"],
        pageSize: 5000,
    })) {
        for (const r of page) out.set(r.user_name!, r);
    }
    return out;
}

describe("DataMasking", function () {
    this.timeout(60_000);
    let emu: Emulator;
    let dev: ServiceNowClient;

    beforeEach(async () => {
        ({ emu, dev } = await startBulkTarget());
        useSalt(SALT);
    });
    afterEach(async () => {
        resetSalt();
        await stopBulkEmulator(emu);
    });

    it("masks users and ticket text, keeps excepted users and the stack's own user, and a second run writes nothing", async () => {
        const before = await users(dev);
        const inputs = await checked({ rules: [USERS_RULE, TICKETS_RULE], exceptUsers: ["uat.lead"] });
        const outs = (await provider.create(inputs)).outs!;
        const after = await users(dev);
        assert.deepEqual(after.get("uat.lead"), before.get("uat.lead"), "an excepted user is untouched");
        assert.deepEqual(after.get("admin"), before.get("admin"), "the connection's own user is untouched");
        assert.deepEqual(after.get("integration.01"), before.get("integration.01"), "out of scope: untouched");
        const mary = [...after.values()].find((u) => u.user_name !== "admin" && u.web_service_access_only === "false");
        const trainer = after.get("trainer.one")!;
        assert.match(trainer.email!, /^user\.\d{6}@example\.invalid$/);
        assert.match(trainer.phone!, /^\+\* \*\*\* \*\*\*\* \d{4}$/);
        assert.notEqual(trainer.name, before.get("trainer.one")!.name);
        assert.ok(mary);
        const tickets = await dev.query("incident", { fields: ["description"], limit: 5 });
        assert.ok(
            tickets.every((t) => /\(masked \d{6}\)$/.test(t.description!)),
            JSON.stringify(tickets[0]),
        );
        assert.equal(outs.unmaskedCount, 0);
        assert.equal(outs.exceptedCount, 2, "uat.lead and admin");
        assert.ok(outs.writtenCount > 250);

        const mark = logMark(emu, "acme-dev");
        const again = await provider.update!("id", outs, inputs);
        assert.deepEqual(writesSince(emu, "acme-dev", mark), [], "a second run writes nothing");
        assert.equal(again.outs!.writtenCount, 0);
        assert.equal(again.outs!.maskedCount, outs.maskedCount);
    });

    it("reports a hand-restored value as drift (unmaskedCount) and re-masks only that record", async () => {
        const inputs = await checked({ rules: [USERS_RULE] });
        const outs = (await provider.create(inputs)).outs!;
        const [trainer] = await dev.query("sys_user", { query: "user_name=trainer.one", fields: ["sys_id", "email"] });
        const masked = trainer!.email!;
        await dev.update("sys_user", trainer!.sys_id!, { email: PLANTED });

        const read = await provider.read!("id", outs);
        assert.equal(read.props!.unmaskedCount, 1);
        const diff = await provider.diff!("id", read.props!, inputs);
        assert.equal(diff.changes, true, "drift makes the next up update");

        const mark = logMark(emu, "acme-dev");
        const fixed = await provider.update!("id", read.props!, inputs);
        const writes = writesSince(emu, "acme-dev", mark);
        assert.equal(writes.filter((w) => w.batch).length, 1, `one record rewritten: ${JSON.stringify(writes)}`);
        assert.equal(fixed.outs!.unmaskedCount, 0);
        const [now] = await dev.query("sys_user", { query: "user_name=trainer.one", fields: ["email"] });
        assert.equal(now!.email, masked, "the same masked value as before: deterministic from the salt");
    });

    it("never puts an original value in outputs, read results or errors", async () => {
        const [trainer] = await dev.query("sys_user", { query: "user_name=trainer.one", fields: ["sys_id"] });
        await dev.update("sys_user", trainer!.sys_id!, { email: PLANTED });
        const inputs = await checked({ rules: [USERS_RULE] });
        const outs = (await provider.create(inputs)).outs!;
        const read = await provider.read!("id", outs);
        for (const text of [JSON.stringify(outs), JSON.stringify(read)]) {
            assert.ok(!text.includes("planted.original"), text.slice(0, 200));
            assert.ok(!text.includes(SALT));
        }
    });

    it("refuses the production instance at check, and again before writing anything", async () => {
        // Inputs as check normalized them on the stack's real target, before the connection moves to production.
        const inputs = await checked({ rules: [USERS_RULE] });
        configureTarget(emu, {
            "servicenow:instanceUrl": emu.instances.get("acme-prod")!.url,
            "servicenow:instanceName": "acme-prod",
        });
        // The salt is part of the stack config that configureTarget just replaced.
        useSalt(SALT);
        const mark = logMark(emu, "acme-prod");
        const refused = await check({ knownCloneEpoch: "abc@2026-11-30T10:00:00Z", rules: [USERS_RULE] });
        assert.match(refused.failures?.[0]?.reason ?? "", /saw "acme-prod".*declared production instance/);
        await assert.rejects(provider.create(inputs), (e: Error) => e instanceof UnsafeTargetError);
        assert.deepEqual(writesSince(emu, "acme-prod", mark), []);
        const prod = observer(emu, "acme-prod");
        assert.equal((await prod.query("sys_user", { query: "emailLIKEexample.invalid", limit: 1 })).length, 0);
    });

    it("fails check, naming the property, for an unknown clone epoch, a mail domain, a missing salt or field", async () => {
        const failures = async (news: Record<string, unknown>) =>
            ((await check(news)).failures ?? []).map((f) => `${f.property}: ${f.reason}`);
        assert.match((await failures({ rules: [USERS_RULE] })).join("\n"), /^cloneEpoch: .*allowUnknownCloneEpoch/m);
        assert.deepEqual(await failures({ rules: [USERS_RULE], allowUnknownCloneEpoch: true }), []);
        const epoch = { knownCloneEpoch: "abc@2026-11-30T10:00:00Z" };
        assert.match(
            (await failures({ ...epoch, rules: [USERS_RULE], emailDomain: "example.com" })).join("\n"),
            /^emailDomain: .*\.invalid.*received "example.com"/m,
        );
        assert.match(
            (
                await failures({ ...epoch, rules: [{ table: "sys_user", fields: { u_ssn: { technique: "remove" } } }] })
            ).join("\n"),
            /^rules\[0\]\.fields\.u_ssn: field "u_ssn" is not a column of sys_user/m,
        );
        assert.match((await failures({ ...epoch, rules: [USERS_RULE], exceptUsers: ["nobody"] })).join("\n"), /nobody/);
        assert.match(
            (await failures({ ...epoch, rules: [{ ...USERS_RULE, query: "u_departmnt=IT" }] })).join("\n"),
            /^rules\[0\]\.query: .*"u_departmnt".*match every record/m,
        );
        useSalt("short");
        assert.match(
            (await failures({ ...epoch, rules: [USERS_RULE] })).join("\n"),
            /^maskingSalt: .*servicenow:maskingSalt/m,
        );
    });

    it("destroy writes nothing and says so in state", async () => {
        const inputs = await checked({ rules: [USERS_RULE] });
        const outs = (await provider.create(inputs)).outs!;
        assert.match(outs.destroyBehaviour, /writes nothing.*never kept/);
        const mark = logMark(emu, "acme-dev");
        await provider.delete!("id", outs);
        assert.deepEqual(writesSince(emu, "acme-dev", mark), []);
    });

    it("in verify mode, reports missing, failed and unfinished Data Privacy jobs and writes nothing", async () => {
        const inputs = await checked({ mode: "verifyDataPrivacy", knownCloneEpoch: "abc@2000-01-01T00:00:00Z" });
        const mark = logMark(emu, "acme-dev");
        await assert.rejects(provider.create(inputs), (e: Error) => {
            assert.ok(e instanceof DataPrivacyJobError);
            assert.match(e.message, /no Data Privacy clone job/);
            return true;
        });
        const db = emu.instances.get("acme-dev")!.db;
        const fed = db.insert("dp_federated_job", { state: "Failed" });
        db.insert("dp_job", { federated_job: fed.sys_id, table: "sys_user", state: "Completed" });
        db.insert("dp_job", {
            federated_job: fed.sys_id,
            table: "incident",
            state: "Failed",
            error_message: "Field u_ssn does not exist on incident",
        });
        db.insert("dp_job", { federated_job: fed.sys_id, table: "customer_contact", state: "In progress" });
        await assert.rejects(provider.create(inputs), (e: Error) => {
            assert.match(e.message, /dp_job on incident .* failed: Failed \(Field u_ssn does not exist on incident\)/);
            assert.match(e.message, /dp_job on customer_contact .* unfinished: In progress/);
            assert.doesNotMatch(e.message, /sys_user/);
            return true;
        });
        assert.deepEqual(writesSince(emu, "acme-dev", mark), []);
    });
});
