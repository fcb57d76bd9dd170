/**
 * A failed create leaves nothing behind, for every singleton resource: the settings skeleton undoes its journal when
 * a write fails part-way through the resource's apply.
 */
import * as assert from "node:assert/strict";
import type * as pulumi from "@pulumi/pulumi";
import type { InstanceDb } from "../../emulator/db";
import { setClientTuning } from "../../provider/connection";
import { emailPolicyProvider } from "../../provider/resources/email-policy";
import { instanceBrandingProvider } from "../../provider/resources/instance-branding";
import { integrationEndpointsProvider } from "../../provider/resources/integration-endpoints";
import { ldapServerStateProvider } from "../../provider/resources/ldap-server-state";
import { midServerStateProvider } from "../../provider/resources/mid-server-state";
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
    /** Makes the instance need the writes the case is about (run before the snapshot). */
    prepare?(db: InstanceDb): void;
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
    {
        resource: "IntegrationEndpoints",
        provider: integrationEndpointsProvider,
        raw: {
            rules: [
                { from: "api.payments.acme-corp.com", to: "api.payments-sandbox.acme-corp.com" },
                { from: "https://dw.acme-corp.com/api", to: "https://dw-test.acme-corp.com/api" },
                { from: "sap-pi.acme-corp.com", to: "sap-pi-qa.acme-corp.com" },
                { from: "cmdb-legacy.acme-corp.com", to: "cmdb-legacy-qa.acme-corp.com" },
                { from: "ebs.acme-corp.com", to: "ebs-uat.acme-corp.com" },
            ],
        },
        // sys_rest_message is updated record by record (PATCH); the next table's six go through the Batch API (POST).
        failing: { method: "POST" },
        tables: ["sys_rest_message", "sys_rest_message_fn", "sys_soap_message_function"],
    },
    {
        resource: "MidServerState",
        provider: midServerStateProvider,
        raw: {},
        // As after a clone: a MID user missing from production's sys_user; its insert lands, its role grant is refused.
        prepare(db) {
            const missing = db.query("sys_user", "user_name=mid.user.01")[0]!;
            for (const g of db.query("sys_user_has_role", `user=${missing.sys_id}`))
                db.delete("sys_user_has_role", g.sys_id!);
            db.delete("sys_user", missing.sys_id!);
        },
        failing: { table: "sys_user_has_role", method: "POST" },
        tables: ["sys_user", "sys_user_has_role", "ecc_queue", "ecc_agent_issue"],
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
            c.prepare?.(env.instance.db);
            const before = c.tables.map((t) => tableSnapshot(env.instance, t));
            // No retries: the refused write fails the apply at once. Only updates of one table are refused, so the
            // writes before it land and the undo (deletes and updates of the other tables) goes through.
            setClientTuning({ retries: 0 });
            env.emulator.faults.configure({ rateLimits: [{ ...c.failing, limit: 0 }] });
            const seq = env.mark();
            await assert.rejects(createThrough(c.provider, c.raw), /429|rate limit/i);
            const writes = env.writesSince(seq);
            const refused = (w: string) =>
                w.startsWith(`${c.failing.method} `) &&
                (!c.failing.table || w.split("?")[0]!.split("/").includes(c.failing.table));
            assert.ok(
                writes.some((w) => !refused(w)),
                `the apply wrote something before the refused write: ${writes.join(", ")}`,
            );
            assert.deepEqual(
                c.tables.map((t) => tableSnapshot(env.instance, t)),
                before,
            );
        });
    }
});
