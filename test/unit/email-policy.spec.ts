import * as assert from "node:assert/strict";
import { restoreProperties } from "../../provider/adopt";
import {
    applyEmailPolicy,
    type EmailPolicyInputs,
    emailPolicyProvider,
    readEmailPolicy,
} from "../../provider/resources/email-policy";
import { applyTransactionally } from "../../provider/skeletons/settings";
import { FakeClient } from "../fixtures/checklist/fake-client";

function production(): FakeClient {
    const c = new FakeClient();
    c.seed("sys_properties", [
        { name: "glide.email.smtp.active", value: "true" },
        { name: "glide.email.read.active", value: "true" },
    ]);
    c.seed("sys_email_account", [
        {
            name: "Corporate SMTP",
            type: "smtp",
            active: "true",
            server: "smtp.acme.com",
            port: "587",
            user_name: "snow",
        },
    ]);
    return c;
}

const base: EmailPolicyInputs = { connection: "target", sending: false, receiving: false };

describe("EmailPolicy (planning and restore)", () => {
    it("turns sending and receiving off and restores both on delete", async () => {
        const c = production();
        const outs = await applyEmailPolicy(c, base);
        assert.deepEqual(outs.previous, { "glide.email.smtp.active": "true", "glide.email.read.active": "true" });
        await restoreProperties(c, outs.previous);
        assert.deepEqual(
            c.rows("sys_properties").map((r) => r.value),
            ["true", "true"],
        );
    });

    it("creates the redirect property when it is missing and deletes it on restore", async () => {
        const c = production();
        const outs = await applyEmailPolicy(c, {
            ...base,
            sending: true,
            redirectTo: ["qa@example.com", "uat@example.com"],
        });
        assert.equal(
            c.rows("sys_properties").find((r) => r.name === "glide.email.test.user")?.value,
            "qa@example.com,uat@example.com",
        );
        assert.equal(outs.previous["glide.email.test.user"], null);
        await restoreProperties(c, outs.previous);
        assert.deepEqual(
            c.rows("sys_properties").map((r) => [r.name, r.value]),
            [
                ["glide.email.smtp.active", "true"],
                ["glide.email.read.active", "true"],
            ],
            "the redirect property it created is deleted, the others have their values back",
        );
    });

    it("writes nothing on a second apply with the same inputs", async () => {
        const c = production();
        const first = await applyEmailPolicy(c, { ...base, redirectTo: ["qa@example.com"] });
        c.writes.length = 0;
        await applyEmailPolicy(c, { ...base, redirectTo: ["qa@example.com"] }, first);
        assert.deepEqual(c.writes, []);
    });

    it("reads drift back as the inputs that would produce it", async () => {
        const c = production();
        const outs = await applyEmailPolicy(c, base);
        c.rows("sys_properties").find((r) => r.name === "glide.email.smtp.active")!.value = "true";
        const { props, inputs } = await readEmailPolicy(c, outs);
        assert.equal(inputs.sending, true);
        assert.equal(inputs.receiving, false, "only what drifted reads back differently");
        const d = await emailPolicyProvider.diff!("x", props, { ...base } as never);
        assert.equal(d.changes, true);
        const undrifted = await readEmailPolicy(c, await applyEmailPolicy(c, base, props));
        assert.equal((await emailPolicyProvider.diff!("x", undrifted.props, { ...base } as never)).changes, false);
    });

    it("never keeps the SMTP password in its outputs, only a fingerprint", async () => {
        const c = production();
        const outs = await applyEmailPolicy(c, {
            ...base,
            smtpAccount: { server: "smtp.sandbox.example.com" },
            smtpPassword: "hunter2-very-secret",
        });
        assert.ok(!JSON.stringify(outs).includes("hunter2-very-secret"));
        assert.match(outs.smtpPasswordHash ?? "", /^scrypt\$/);
        assert.equal(outs.smtpAccountPrevious?.previous.server, "smtp.acme.com");
        const same = await emailPolicyProvider.diff!("x", outs, {
            ...base,
            smtpAccount: { server: "smtp.sandbox.example.com" },
            smtpPassword: "hunter2-very-secret",
        } as never);
        assert.equal(same.changes, false);
        const changed = await emailPolicyProvider.diff!("x", outs, {
            ...base,
            smtpAccount: { server: "smtp.sandbox.example.com" },
            smtpPassword: "another",
        } as never);
        assert.equal(changed.changes, true);
    });

    it("fails check when sending is on without a redirect, naming redirectTo and the fix", async () => {
        const r = await emailPolicyProvider.check!({} as never, { sending: true } as never);
        assert.equal(r.failures?.[0]?.property, "redirectTo");
        assert.match(r.failures?.[0]?.reason ?? "", /set sending to false/);
    });

    it("fails check on a bad address without echoing the password", async () => {
        const r = await emailPolicyProvider.check!(
            {} as never,
            {
                redirectTo: ["not-an-address"],
                smtpAccount: { server: "smtp example" },
                smtpPassword: "hunter2-very-secret",
            } as never,
        );
        const text = JSON.stringify(r.failures);
        assert.match(text, /redirectTo\.0/);
        assert.match(text, /not-an-address/);
        assert.match(text, /smtpAccount\.server/);
        assert.ok(!text.includes("hunter2-very-secret"));
    });

    it("fails before writing anything when the named account does not exist", async () => {
        const c = production();
        await assert.rejects(
            applyEmailPolicy(c, { ...base, smtpAccount: { name: "Nope" } }),
            /smtpAccount.name "Nope" matches no sys_email_account record \(accounts: "Corporate SMTP"\)/,
        );
        assert.deepEqual(c.writes, []);
    });

    it("puts back the properties it wrote when a later write of its first apply fails", async () => {
        const c = production();
        const update = c.update.bind(c);
        c.update = async (table, sysId, values) => {
            if (table === "sys_email_account")
                throw new Error("ACL Exception Update Failed due to security constraints");
            return update(table, sysId, values);
        };
        // Through the skeleton's transactional create, which owns the undo.
        await assert.rejects(
            applyTransactionally(c, (journal) =>
                applyEmailPolicy(
                    c,
                    { ...base, smtpAccount: { server: "smtp.sandbox.example.com" } },
                    undefined,
                    journal,
                ),
            ),
            /ACL Exception/,
        );
        assert.deepEqual(
            c.rows("sys_properties").map((r) => [r.name, r.value]),
            [
                ["glide.email.smtp.active", "true"],
                ["glide.email.read.active", "true"],
            ],
        );
    });
});
