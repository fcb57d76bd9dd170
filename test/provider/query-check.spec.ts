/**
 * Encoded queries are checked against the instance's dictionary at check: a misspelt field, a dot-walk through a
 * non-reference or an operator that does not suit the field's type fails check naming the property, the field, the
 * table and the closest real names, and nothing is written.
 */
import * as assert from "node:assert/strict";
import type * as pulumi from "@pulumi/pulumi";
import { scheduledJobStateProvider } from "../../provider/resources/scheduled-job-state";
import { userLockoutProvider } from "../../provider/resources/user-lockout";
import { useChecklistInstance } from "../support/emulator";

describe("encoded queries checked against the dictionary", () => {
    const env = useChecklistInstance();

    // biome-ignore lint/suspicious/noExplicitAny: both bulk providers are checked the same way
    const failures = async (provider: pulumi.dynamic.ResourceProvider<any, any>, news: Record<string, unknown>) => {
        const seq = env.mark();
        const result = await provider.check!({} as never, news as never);
        assert.deepEqual(env.writesSince(seq), [], "check writes nothing");
        return result.failures ?? [];
    };

    it("names a misspelt scope field, its table and the closest real field", async () => {
        const [f, ...rest] = await failures(userLockoutProvider, { scope: "active=true^departmnt=Finance" });
        assert.equal(rest.length, 0);
        assert.equal(f?.property, "scope");
        assert.match(f!.reason, /field "departmnt" does not exist on sys_user/);
        assert.match(f!.reason, /did you mean "department"/);
        assert.match(f!.reason, /active=true\^departmnt=Finance/, "the value received");
    });

    it("names a misspelt allowQuery field", async () => {
        const [f] = await failures(userLockoutProvider, { allowQuery: "web_service_acess_only=true" });
        assert.equal(f?.property, "allowQuery");
        assert.match(f!.reason, /"web_service_acess_only".*did you mean "web_service_access_only"/);
    });

    it("checks dot-walks through references, and refuses one through a plain field", async () => {
        const [walk] = await failures(userLockoutProvider, { scope: "manager.departmnt=Finance" });
        assert.match(walk!.reason, /field "departmnt" does not exist on sys_user \(reached through manager\)/);
        const [plain] = await failures(userLockoutProvider, { scope: "email.domain=acme.com" });
        assert.match(plain!.reason, /"email" on sys_user is not a reference/);
        assert.deepEqual(await failures(userLockoutProvider, { scope: "active=true^manager.active=true" }), []);
    });

    it("refuses an operator that does not suit the field's type", async () => {
        const [f] = await failures(userLockoutProvider, { scope: "activeSTARTSWITHtr" });
        assert.match(f!.reason, /operator STARTSWITH does not apply to active, a boolean field of sys_user/);
    });

    it("finds inherited fields and checks job queries on sysauto too", async () => {
        assert.deepEqual(await failures(userLockoutProvider, { scope: "active=true^sys_created_onISNOTEMPTY" }), []);
        const [f] = await failures(scheduledJobStateProvider, { scope: "nmaeSTARTSWITHSLA" });
        assert.equal(f?.property, "scope");
        assert.match(f!.reason, /field "nmae" does not exist on sysauto.*did you mean "name"/);
    });
});
