/**
 * A failed create leaves nothing behind (EmailPolicy, InstanceBranding, LdapServerState; IntegrationEndpoints and
 * MidServerState still to add, see the consolidation report): the settings skeleton undoes its journal when
 * a write fails part-way through the resource's apply.
 */
import * as assert from "node:assert/strict";
import type * as pulumi from "@pulumi/pulumi";
import { setClientTuning } from "../../provider/connection";
import { emailPolicyProvider } from "../../provider/resources/email-policy";
import { instanceBrandingProvider } from "../../provider/resources/instance-branding";
import { ldapServerStateProvider } from "../../provider/resources/ldap-server-state";
import { createThrough, tableSnapshot } from "../fixtures/checklist/harness";
import { useChecklistInstance } from "../support/emulator";

interface Case {
    resource: string;
    // biome-ignore lint/suspicious/noExplicitAny: each case is a different resource
    provider: pulumi.dynamic.ResourceProvider<any, any>;
    raw: Record<string, unknown>;
    /** The writes the emulator refuses (a rate-limit rule with no allowance): the apply writes others before them. */
    failing: { table?: string; method: string };
    /** Every table the apply writes. */
    tables: string[];
}

const CASES: Case[] = [
    {
        resource: "EmailPolicy",
        provider: emailPolicyProvider,
        raw: { sending: false, receiving: false, smtpAccount: { server: "smtp.sandbox.example.com" } },
        failing: { table: "sys_email_account", method: "PATCH" },
        tables: ["sys_properties", "sys_email_account"],
    },
    {
        resource: "InstanceBranding",
        provider: instanceBrandingProvider,
        raw: { bannerText: "ACME QA (non-production)", baseColor: "#8a2be2", welcomeText: "<p>This is QA.</p>" },
        failing: { table: "welcome_page_content", method: "PATCH" },
        tables: ["sys_properties", "welcome_page_content"],
    },
    {
        resource: "LdapServerState",
        provider: ldapServerStateProvider,
        raw: {},
        failing: { table: "scheduled_import_set", method: "PATCH" },
        tables: ["ldap_server_config", "scheduled_import_set"],
    },
];

describe("transactional create through the settings skeleton", () => {
    const env = useChecklistInstance();

    afterEach(() => {
        env.emulator.faults.configure({ rateLimits: [] });
        setClientTuning({ retries: 2, backoff: { baseDelayMs: 5, maxDelayMs: 20 } });
    });

    for (const c of CASES) {
        it(`${c.resource}: a write refused part-way through create leaves every table as it was`, async () => {
            const before = c.tables.map((t) => tableSnapshot(env.instance, t));
            // No retries: the refused write fails the apply at once. Only updates of one table are refused, so the
            // writes before it land and the undo (deletes and updates of the other tables) goes through.
            setClientTuning({ retries: 0 });
            env.emulator.faults.configure({ rateLimits: [{ ...c.failing, limit: 0 }] });
            const seq = env.mark();
            await assert.rejects(createThrough(c.provider, c.raw), /429|rate limit/i);
            const writes = env.writesSince(seq);
            assert.ok(
                writes.some((w) => w.startsWith("PATCH") || w.startsWith("POST /api/now/table/sys_user/")),
                `the apply wrote something before the refused write: ${writes.join(", ")}`,
            );
            assert.deepEqual(
                c.tables.map((t) => tableSnapshot(env.instance, t)),
                before,
            );
        });
    }
});
