import * as assert from "node:assert/strict";
import { toCheckResult } from "../../provider/pulumi/check";
import { EmailPolicyInputs, emailPolicyProvider as provider } from "../../provider/resources/email-policy";
import { createThrough, refreshAndUp, tableSnapshot } from "../fixtures/checklist/harness";
import { useChecklistInstance } from "../support/emulator";

const PASSWORD = "sandbox-smtp-pa55word";

describe("EmailPolicy against the emulator", () => {
    const env = useChecklistInstance();

    it("turns email off on a fresh clone, repairs drift, and restores production's values on destroy", async () => {
        const db = env.instance.db;
        const before = tableSnapshot(env.instance, "sys_properties");
        const raw = { sending: false, receiving: false };
        const { id, outs } = await createThrough(provider, raw);
        assert.equal(db.getProperty("glide.email.smtp.active"), "false");
        assert.equal(db.getProperty("glide.email.read.active"), "false");

        const seq = env.mark();
        const again = await refreshAndUp(provider, id, outs, raw);
        assert.equal(again.diff.changes, false);
        assert.deepEqual(env.writesSince(seq), [], "a no-op apply writes nothing (a property write flushes the cache)");

        db.setProperty("glide.email.smtp.active", "true");
        const repaired = await refreshAndUp(provider, id, again.outs, raw);
        assert.equal((repaired.read.inputs as { sending: boolean }).sending, true, "refresh names sending");
        assert.equal(db.getProperty("glide.email.smtp.active"), "false");

        await provider.delete!(id, repaired.outs);
        assert.deepEqual(tableSnapshot(env.instance, "sys_properties"), before);
    });

    it("redirects outbound mail and points the SMTP account at a sandbox without keeping the password", async () => {
        const db = env.instance.db;
        const propsBefore = tableSnapshot(env.instance, "sys_properties");
        const accountsBefore = tableSnapshot(env.instance, "sys_email_account").map(({ password: _p, ...r }) => r);
        const raw = {
            sending: true,
            receiving: false,
            redirectTo: ["qa-inbox@example.com"],
            smtpAccount: { server: "smtp.sandbox.example.com", port: 2525 },
            smtpPassword: PASSWORD,
        };
        const { id, outs } = await createThrough(provider, raw);
        assert.equal(db.getProperty("glide.email.test.user"), "qa-inbox@example.com");
        const account = db.query("sys_email_account", "name=SMTP outbound")[0]!;
        assert.equal(account.server, "smtp.sandbox.example.com");
        assert.equal(account.port, "2525");
        assert.ok(!JSON.stringify(outs).includes(PASSWORD), "outputs never echo the password");

        const seq = env.mark();
        const again = await refreshAndUp(provider, id, outs, raw);
        assert.equal(again.diff.changes, false, "the same password is recognised by its fingerprint");
        assert.deepEqual(env.writesSince(seq), []);
        assert.ok(!JSON.stringify(again.read).includes(PASSWORD), "read never echoes the password");

        await provider.delete!(id, again.outs);
        assert.deepEqual(tableSnapshot(env.instance, "sys_properties"), propsBefore);
        assert.deepEqual(
            tableSnapshot(env.instance, "sys_email_account").map(({ password: _p, ...r }) => r),
            accountsBefore,
        );
    });

    it("refuses sending without a redirect, naming redirectTo, and writes nothing", async () => {
        const seq = env.mark();
        const r = await provider.check!({} as never, { sending: true } as never);
        assert.equal(r.failures?.[0]?.property, "redirectTo");
        assert.match(r.failures?.[0]?.reason ?? "", /received nothing/);
        assert.deepEqual(env.writesSince(seq), []);
    });

    it("fails create on an unknown account name, listing the accounts, with nothing written", async () => {
        const seq = env.mark();
        // Preview refuses it at check, naming the property (the lookup moved there)...
        const refused = await provider.check!({} as never, { smtpAccount: { name: "Nope" } } as never);
        assert.equal(refused.failures?.[0]?.property, "smtpAccount.name");
        assert.match(
            refused.failures?.[0]?.reason ?? "",
            /"Nope" matches no sys_email_account record.*"SMTP outbound"/,
        );
        // ...and create still refuses it with nothing written, should the instance change between preview and up.
        const checked = toCheckResult(EmailPolicyInputs, { smtpAccount: { name: "Nope" } });
        await assert.rejects(
            provider.create(checked.inputs!),
            /"Nope" matches no sys_email_account record.*"SMTP outbound"/,
        );
        assert.deepEqual(env.writesSince(seq), []);
    });
});
