import * as assert from "node:assert/strict";
import { toCheckResult } from "../../provider/pulumi/check";
import { LdapServerStateInputs, ldapServerStateProvider as provider } from "../../provider/resources/ldap-server-state";
import { createThrough, refreshAndUp, tableSnapshot } from "../fixtures/checklist/harness";
import { useChecklistInstance } from "../support/emulator";

describe("LdapServerState against the emulator", () => {
    const env = useChecklistInstance();

    it("switches every LDAP server and its scheduled loads off, repairs drift, and restores them on destroy", async () => {
        const db = env.instance.db;
        const serversBefore = tableSnapshot(env.instance, "ldap_server_config");
        const loadsBefore = tableSnapshot(env.instance, "scheduled_import_set");
        const { id, outs } = await createThrough(provider, {});
        assert.deepEqual(
            db.query("ldap_server_config", "ORDERBYname").map((r) => [r.name, r.active, r.listener]),
            [
                ["ACME CORP LDAP", "false", "false"],
                ["ACME EMEA LDAP", "false", "false"],
            ],
        );
        assert.deepEqual(
            db.query("scheduled_import_set", "nameSTARTSWITHLDAP^ORDERBYname").map((r) => r.active),
            ["false", "false"],
        );
        assert.deepEqual(outs.serverNames, ["ACME CORP LDAP", "ACME EMEA LDAP"]);

        const seq = env.mark();
        const again = await refreshAndUp(provider, id, outs, {});
        assert.equal(again.diff.changes, false);
        assert.deepEqual(env.writesSince(seq), []);

        const emea = db.query("ldap_server_config", "name=ACME EMEA LDAP")[0]!;
        db.update("ldap_server_config", emea.sys_id!, { active: "true" });
        const repaired = await refreshAndUp(provider, id, again.outs, {});
        assert.equal(repaired.read.inputs.active, true, "refresh names active");
        assert.deepEqual(repaired.read.props.driftedServers, ["ACME EMEA LDAP"], "and the server that drifted");
        assert.equal(db.get("ldap_server_config", emea.sys_id!)?.active, "false");

        await provider.delete!(id, repaired.outs);
        assert.deepEqual(tableSnapshot(env.instance, "ldap_server_config"), serversBefore);
        assert.deepEqual(tableSnapshot(env.instance, "scheduled_import_set"), loadsBefore);
    });

    it("covers only the named servers and leaves other jobs alone", async () => {
        const db = env.instance.db;
        const { id, outs } = await createThrough(provider, { servers: ["ACME CORP LDAP"] });
        assert.equal(db.query("ldap_server_config", "name=ACME CORP LDAP")[0]!.active, "false");
        assert.equal(db.query("ldap_server_config", "name=ACME EMEA LDAP")[0]!.active, "true");
        assert.equal(db.query("scheduled_import_set", "name=LDAP EMEA user import")[0]!.active, "true");
        await provider.delete!(id, outs);
    });

    it("fails create on an unknown server name, listing the servers, with nothing written", async () => {
        const seq = env.mark();
        // Preview refuses it at check, naming the property (the lookup moved there)...
        const refused = await provider.check!({} as never, { servers: ["Nope LDAP"] } as never);
        assert.equal(refused.failures?.[0]?.property, "servers");
        assert.match(refused.failures?.[0]?.reason ?? "", /"Nope LDAP" in servers does not exist.*"ACME CORP LDAP"/);
        // ...and create still refuses it with nothing written, should the instance change between preview and up.
        const checked = toCheckResult(LdapServerStateInputs, { servers: ["Nope LDAP"] });
        await assert.rejects(
            provider.create(checked.inputs!),
            /"Nope LDAP" in servers does not exist.*"ACME CORP LDAP"/,
        );
        assert.deepEqual(env.writesSince(seq), []);
    });

    it("refuses an empty server list at check, naming servers, with nothing written", async () => {
        const seq = env.mark();
        const r = await provider.check!({} as never, { servers: [] } as never);
        assert.equal(r.failures?.[0]?.property, "servers");
        assert.match(r.failures?.[0]?.reason ?? "", /omit it to cover every LDAP server \(received \[\]\)/);
        assert.deepEqual(env.writesSince(seq), []);
    });
});
