import * as assert from "node:assert/strict";
import { integrationEndpointsProvider as provider } from "../../provider/resources/integration-endpoints";
import { type ChecklistInstance, createThrough, refreshAndUp, tableSnapshot } from "../fixtures/checklist/harness";
import { useChecklistInstance } from "../support/emulator";

const TABLES = ["sys_rest_message", "sys_rest_message_fn", "sys_soap_message_function"];
const PRODUCTION_HOSTS = [
    "api.payments.acme-corp.com",
    "dw.acme-corp.com",
    "sap-pi.acme-corp.com",
    "cmdb-legacy.acme-corp.com",
    "ebs.acme-corp.com",
];
const RULES = [
    { from: "api.payments.acme-corp.com", to: "api.payments-sandbox.acme-corp.com" },
    { from: "https://dw.acme-corp.com/api", to: "https://dw-test.acme-corp.com/api" },
    { from: "sap-pi.acme-corp.com", to: "sap-pi-qa.acme-corp.com" },
    { from: "cmdb-legacy.acme-corp.com", to: "cmdb-legacy-qa.acme-corp.com" },
    { from: "ebs.acme-corp.com", to: "ebs-uat.acme-corp.com" },
];

function endpoints(env: ChecklistInstance): string[] {
    const db = env.instance.db;
    return [
        ...db.query("sys_rest_message", "").map((r) => r.rest_endpoint!),
        ...db.query("sys_rest_message_fn", "").map((r) => r.rest_endpoint!),
        ...db.query("sys_soap_message_function", "").map((r) => r.soap_endpoint!),
    ];
}

describe("IntegrationEndpoints against the emulator", () => {
    const env = useChecklistInstance();

    it("refuses, naming each record, when an active endpoint would stay on a production host, and writes nothing", async () => {
        const seq = env.mark();
        const checked = await provider.check!(
            {} as never,
            {
                rules: RULES.slice(0, 1),
                productionHosts: PRODUCTION_HOSTS,
            } as never,
        );
        await assert.rejects(provider.create(checked.inputs!), (err: Error) => {
            assert.match(err.message, /nothing was written/);
            assert.match(
                err.message,
                /sys_rest_message "Data Warehouse" \([0-9a-f]{32}\): https:\/\/dw\.acme-corp\.com/,
            );
            assert.match(err.message, /sys_soap_message_function "Create" .*sap-pi\.acme-corp\.com/);
            assert.doesNotMatch(err.message, /api\.payments\.acme-corp\.com/, "the rewritten endpoint is not reported");
            return true;
        });
        assert.deepEqual(env.writesSince(seq), []);
    });

    it("counts the stack's declared production instances in the tripwire", async () => {
        const { id, outs } = await createThrough(provider, { rules: RULES, productionHosts: PRODUCTION_HOSTS });
        assert.ok(outs.tripwireHosts.includes("acme-prod.service-now.com"));
        await provider.delete!(id, outs);
    });

    it("rewrites by host and by prefix, repairs drift, and restores every endpoint on destroy", async () => {
        const db = env.instance.db;
        const before = TABLES.map((t) => tableSnapshot(env.instance, t));
        const raw = { rules: RULES, productionHosts: PRODUCTION_HOSTS };
        const { id, outs } = await createThrough(provider, raw);
        const now = endpoints(env);
        assert.ok(now.includes("https://api.payments-sandbox.acme-corp.com/v2/records"));
        assert.ok(now.includes("https://dw-test.acme-corp.com/api/ingest"));
        assert.ok(now.includes("https://ebs-uat.acme-corp.com/webservices/SOAProvider"));
        assert.ok(
            !now.some((e) => PRODUCTION_HOSTS.some((h) => e.includes(`//${h}`))),
            "no endpoint left on production",
        );
        // REST messages, their methods, SOAP functions, and the IntegrationHub connection on the payments host.
        assert.equal(outs.rewrittenCount, 4 + 4 + 2 * 3 + 1);

        const seq = env.mark();
        const again = await refreshAndUp(provider, id, outs, raw);
        assert.equal(again.diff.changes, false);
        assert.deepEqual(env.writesSince(seq), []);

        const payments = db.query("sys_rest_message", "name=Payments Gateway")[0]!;
        db.update("sys_rest_message", payments.sys_id!, { rest_endpoint: "https://api.payments.acme-corp.com/v2" });
        const repaired = await refreshAndUp(provider, id, again.outs, raw);
        // Refresh names the rule no longer in effect and the endpoint it missed, in its place: every other rule is
        // read back exactly as declared, so the diff a preview prints is that one rule (it used to drop the rule,
        // shifting every rule after it into the diff).
        const live = repaired.read.inputs.rules as { from: string; to: string; notRewritten?: string[] }[];
        assert.equal(live.length, RULES.length);
        assert.deepEqual(live[0], {
            ...RULES[0],
            notRewritten: ['sys_rest_message "Payments Gateway": https://api.payments.acme-corp.com/v2'],
        });
        assert.deepEqual(live.slice(1), RULES.slice(1), "the rules still in effect are read back as declared");
        assert.equal(repaired.read.props.productionEndpoints.length, 1);
        assert.equal(
            db.get("sys_rest_message", payments.sys_id!)?.rest_endpoint,
            "https://api.payments-sandbox.acme-corp.com/v2",
        );

        await provider.delete!(id, repaired.outs);
        assert.deepEqual(
            TABLES.map((t) => tableSnapshot(env.instance, t)),
            before,
        );
    });

    it("refuses a rule whose target is a URL when its source is a host, naming the property", async () => {
        const seq = env.mark();
        const r = await provider.check!(
            {} as never,
            {
                rules: [{ from: "api.acme.com", to: "https://sandbox.acme.com" }],
            } as never,
        );
        assert.equal(r.failures?.[0]?.property, "rules.0.to");
        assert.match(r.failures?.[0]?.reason ?? "", /"https:\/\/sandbox.acme.com"/);
        assert.deepEqual(env.writesSince(seq), []);
    });
});
