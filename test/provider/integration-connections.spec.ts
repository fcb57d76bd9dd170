import * as assert from "node:assert/strict";
import { integrationEndpointsProvider as provider } from "../../provider/resources/integration-endpoints";
import { createThrough, refreshAndUp, tableSnapshot } from "../fixtures/checklist/harness";
import { useChecklistInstance } from "../support/emulator";

/** The production hosts of the seeded connections, data sources and OAuth providers, each with its sandbox. */
const SANDBOXES: Record<string, string> = {
    "api.payments.acme-corp.com": "api.payments-sandbox.acme-corp.com",
    "wd5-services.myworkday.com": "wd5-impl-services1.workday.com",
    "auth.acme-corp.com": "auth-qa.acme-corp.com",
    "status.acme-corp.com": "status-qa.acme-corp.com",
    "dw-sql.acme-corp.com": "dw-sql-qa.acme-corp.com",
    "hrdb.acme-corp.com": "hrdb-qa.acme-corp.com",
    "files.acme-corp.com": "files-qa.acme-corp.com",
    "sftp.acme-corp.com": "sftp-qa.acme-corp.com",
};
const RULES = Object.entries(SANDBOXES).map(([from, to]) => ({ from, to }));
const TABLES = ["sys_connection", "sys_data_source", "oauth_entity"];

describe("IntegrationEndpoints on IntegrationHub connections, data sources and OAuth providers", () => {
    const env = useChecklistInstance();

    it("fails the tripwire naming a data source and a connection (with its alias and credential) before any write", async () => {
        const seq = env.mark();
        const checked = await provider.check!(
            {} as never,
            {
                rules: RULES.filter((r) => r.from !== "sftp.acme-corp.com" && r.from !== "api.payments.acme-corp.com"),
                productionHosts: Object.keys(SANDBOXES),
            } as never,
        );
        await assert.rejects(provider.create(checked.inputs!), (err: Error) => {
            assert.match(err.message, /nothing was written/);
            assert.match(
                err.message,
                /sys_data_source "Payroll feed \(SFTP\)" \([0-9a-f]{32}; credential attached\): sftp\.acme-corp\.com/,
            );
            assert.match(
                err.message,
                /http_connection "Payments API" \([0-9a-f]{32}; alias x_acme_pay\.Payments, credential attached\): https:\/\/api\.payments\.acme-corp\.com\/v2/,
            );
            assert.doesNotMatch(err.message, /hrdb\.acme-corp\.com/, "a rewritten host is not reported");
            return true;
        });
        assert.deepEqual(env.writesSince(seq), []);
    });

    it("rewrites connection URLs and hosts, data source servers and file URLs, token URLs; restores them all", async () => {
        const db = env.instance.db;
        const before = TABLES.map((t) => tableSnapshot(env.instance, t));
        const raw = { rules: RULES, productionHosts: Object.keys(SANDBOXES) };
        const { id, outs } = await createThrough(provider, raw);
        const payments = db.query("http_connection", "name=Payments API")[0]!;
        assert.equal(payments.connection_url, "https://api.payments-sandbox.acme-corp.com/v2");
        assert.equal(payments.host, "api.payments-sandbox.acme-corp.com", "the URL and the host move together");
        assert.equal(db.query("jdbc_connection", "")[0]!.host, "dw-sql-qa.acme-corp.com");
        assert.equal(db.query("sys_data_source", "name=HR people (JDBC)")[0]!.jdbc_server, "hrdb-qa.acme-corp.com");
        assert.equal(db.query("sys_data_source", "name=Payroll feed (SFTP)")[0]!.server, "sftp-qa.acme-corp.com");
        assert.equal(
            db.query("sys_data_source", "name=Asset export (HTTPS)")[0]!.file_path,
            "https://files-qa.acme-corp.com/exports/assets.csv",
        );
        assert.equal(
            db.query("oauth_entity", "name=ACME API gateway")[0]!.token_url,
            "https://auth-qa.acme-corp.com/oauth/token",
        );
        assert.deepEqual(outs.productionEndpoints, []);
        assert.deepEqual(outs.productionCredentials, []);

        // A connection someone points back at production, switched off but with its credential still attached.
        db.update("http_connection", payments.sys_id!, {
            connection_url: "https://api.payments.acme-corp.com/v2",
            active: "false",
        });
        const read = await provider.read!(id, outs);
        assert.deepEqual(read.props!.productionEndpoints, [], "an inactive connection does not trip the wire");
        assert.equal(read.props!.productionCredentials.length, 1);
        assert.match(read.props!.productionCredentials[0], /http_connection "Payments API" .*credential attached/);
        const repaired = await refreshAndUp(provider, id, outs, raw);
        assert.equal(
            db.get("http_connection", payments.sys_id!)!.connection_url,
            "https://api.payments-sandbox.acme-corp.com/v2",
        );
        assert.deepEqual(repaired.outs.productionCredentials, []);

        db.update("http_connection", payments.sys_id!, { active: "true" });
        await provider.delete!(id, repaired.outs);
        assert.deepEqual(
            TABLES.map((t) => tableSnapshot(env.instance, t)),
            before,
        );
    });
});
