import * as assert from "node:assert/strict";
import { UnsafeTargetError } from "../../provider/client/errors";
import { clientFor } from "../../provider/connection";
import { assertSafeTarget, assertWritableTable, parseProductionInstances } from "../../provider/fence";
import { ScheduledJobStateInputs, scheduledJobStateProvider } from "../../provider/resources/scheduled-job-state";
import { UserLockoutInputs, userLockoutProvider } from "../../provider/resources/user-lockout";
import {
    configureTarget,
    type Emulator,
    logMark,
    startBulkEmulator,
    stopBulkEmulator,
    urlOf,
    writesSince,
} from "../fixtures/bulk/support";

describe("the production fence", () => {
    describe("its rules", () => {
        const base = {
            connection: "target" as const,
            url: "https://acme-dev.service-now.com",
            declaredName: "acme-dev",
            productionInstances: ["acme", "https://acme-prod.service-now.com"],
        };

        it("accepts the declared target when it is not a production instance", () => {
            assert.doesNotThrow(() => assertSafeTarget(base, "acme-dev"));
        });
        it("refuses an instance whose instance_name is not the declared one, saying what it saw and expected", () => {
            assert.throws(
                () => assertSafeTarget(base, "acme"),
                (e: Error) =>
                    e instanceof UnsafeTargetError &&
                    e.message.includes('saw "acme" at https://acme-dev.service-now.com') &&
                    e.message.includes('declares target "acme-dev"') &&
                    e.message.includes("production instances: [acme, https://acme-prod.service-now.com]"),
            );
        });
        it("refuses a declared production instance by name or by URL, even when it is the declared target", () => {
            assert.throws(() => assertSafeTarget({ ...base, declaredName: "acme" }, "acme"), UnsafeTargetError);
            assert.throws(
                () =>
                    assertSafeTarget(
                        { ...base, url: "https://ACME-prod.service-now.com/", declaredName: "acme-prod" },
                        "acme-prod",
                    ),
                UnsafeTargetError,
            );
        });
        it("refuses writes when the stack declares no instance name, naming the setting", () => {
            assert.throws(
                () => assertSafeTarget({ ...base, declaredName: undefined }, "acme-dev"),
                /servicenow:instanceName/,
            );
        });
        it("lets a source connection write only the clone configuration and the clone request", () => {
            assert.doesNotThrow(() => assertWritableTable("source", base.url, "clone_data_preserver"));
            assert.doesNotThrow(() => assertWritableTable("source", base.url, "sn_instance_clone_request"));
            assert.throws(() => assertWritableTable("source", base.url, "sys_user"), UnsafeTargetError);
            assert.doesNotThrow(() => assertWritableTable("target", base.url, "sys_user"));
        });
        it("reads production instances as a JSON array or a comma list", () => {
            assert.deepEqual(parseProductionInstances('["acme", "https://acme.service-now.com"]'), [
                "acme",
                "https://acme.service-now.com",
            ]);
            assert.deepEqual(parseProductionInstances("acme, acme-eu"), ["acme", "acme-eu"]);
            assert.deepEqual(parseProductionInstances(undefined), []);
        });
    });

    describe("against an instance", function () {
        this.timeout(60_000);
        let emu: Emulator;
        /** The default inputs, as check would normalize them (without asking the instance). */
        const lockout = (): UserLockoutInputs => UserLockoutInputs.parse({});

        beforeEach(async () => {
            emu = await startBulkEmulator();
        });
        afterEach(() => stopBulkEmulator(emu));

        it("refuses an unsafe target at check, and again before any write: the request log shows no write", async () => {
            // The URL points at production while the stack believes it targets acme-dev.
            configureTarget(emu, { "servicenow:instanceUrl": urlOf(emu, "acme-prod") });
            const mark = logMark(emu, "acme-prod");
            const checked = await userLockoutProvider.check!({} as UserLockoutInputs, {} as UserLockoutInputs);
            assert.equal(checked.failures?.length, 1, JSON.stringify(checked.failures));
            assert.equal(checked.failures![0]!.property, "connection");
            assert.match(checked.failures![0]!.reason, /saw "acme-prod"/);
            assert.match(checked.failures![0]!.reason, /declares target "acme-dev"/);
            // Inputs that skipped check (an engine that does not call it) meet the same refusal at the first write.
            await assert.rejects(userLockoutProvider.create(lockout()), (e: Error) => {
                assert.ok(e instanceof UnsafeTargetError, `${e.name}: ${e.message}`);
                assert.match(e.message, /saw "acme-prod"/);
                return true;
            });
            const jobs = await scheduledJobStateProvider.check!({} as never, {} as never);
            assert.match(jobs.failures?.[0]?.reason ?? "", /saw "acme-prod"/);
            await assert.rejects(
                scheduledJobStateProvider.create(ScheduledJobStateInputs.parse({})),
                UnsafeTargetError,
            );
            assert.deepEqual(writesSince(emu, "acme-prod", mark), []);
            assert.ok(emu.stats.requests("acme-prod", mark).length > 0, "it did read the instance");
        });

        it("refuses a production instance declared as the target, at check and before any write", async () => {
            configureTarget(emu, {
                "servicenow:instanceUrl": urlOf(emu, "acme-prod"),
                "servicenow:instanceName": "acme-prod",
            });
            const mark = logMark(emu, "acme-prod");
            const checked = await userLockoutProvider.check!({} as UserLockoutInputs, {} as UserLockoutInputs);
            assert.match(checked.failures?.[0]?.reason ?? "", /declared production instance/);
            await assert.rejects(userLockoutProvider.create(lockout()), /declared production instance/);
            assert.deepEqual(writesSince(emu, "acme-prod", mark), []);
        });

        it("refuses a bulk write through the source connection, but lets it write clone configuration", async () => {
            configureTarget(emu, {
                "servicenow:sourceInstanceUrl": urlOf(emu, "acme-prod"),
                "servicenow:sourceUsername": "admin",
                "servicenow:sourcePassword": "admin",
                "servicenow:sourceInstanceName": "acme-prod",
            });
            const mark = logMark(emu, "acme-prod");
            const inputs = { ...lockout(), connection: "source" as const };
            await assert.rejects(userLockoutProvider.create(inputs), /only accepts writes to the clone configuration/);
            assert.deepEqual(writesSince(emu, "acme-prod", mark), []);
            const source = await clientFor("source");
            const row = await source.insert("clone_data_exclude", { name: "sys_audit_test" });
            await source.remove("clone_data_exclude", row.sys_id!);
        });

        it("reads the instance identity once per client, however many writes follow", async () => {
            configureTarget(emu);
            const c = await clientFor("target");
            const mark = logMark(emu, "acme-dev");
            const [a] = await c.query("sys_user", { query: "user_name=itil.only", fields: ["sys_id"] });
            await c.update("sys_user", a!.sys_id!, { title: "one" });
            await c.update("sys_user", a!.sys_id!, { title: "two" });
            const identityReads = emu.stats
                .requests("acme-dev", mark)
                .filter((e) => e.table === "sys_properties" && e.method === "GET");
            assert.equal(identityReads.length, 1);
        });
    });
});
