import * as assert from "node:assert/strict";
import { planLdap, readLdapSnapshot } from "../../provider/resources/ldap-server-state";
import { FakeClient } from "../fixtures/checklist/fake-client";

describe("LdapServerState planning", () => {
    it("plans every server and listener off, and the loads fed by those servers", () => {
        const targets = planLdap(
            {
                servers: [
                    { sys_id: "1", name: "Corp", active: "true", listener: "true" },
                    { sys_id: "2", name: "Old", active: "false", listener: "false" },
                ],
                loads: [{ sys_id: "3", name: "Corp load", active: "true" }],
            },
            { connection: "target", active: false, includeScheduledLoads: true },
        );
        assert.deepEqual(
            targets.map((t) => [t.table, t.label, t.desired]),
            [
                ["ldap_server_config", "Corp", { active: "false", listener: "false" }],
                ["ldap_server_config", "Old", { active: "false", listener: "false" }],
                ["scheduled_import_set", "Corp load", { active: "false" }],
            ],
        );
    });

    it("leaves scheduled loads alone when told to", () => {
        const targets = planLdap(
            { servers: [], loads: [{ sys_id: "3", name: "Corp load", active: "true" }] },
            { connection: "target", active: false, includeScheduledLoads: false },
        );
        assert.deepEqual(targets, []);
    });

    it("follows server to OU definition to data source to scheduled import", async () => {
        const c = new FakeClient();
        const [corp] = c.seed("ldap_server_config", [
            { name: "Corp", active: "true" },
            { name: "EMEA", active: "true" },
        ]);
        const [ou] = c.seed("ldap_ou_config", [{ server: corp!.sys_id! }]);
        const [src] = c.seed("sys_data_source", [{ ldaptarget: ou!.sys_id! }]);
        c.seed("scheduled_import_set", [
            { name: "Corp users", data_source: src!.sys_id!, active: "true" },
            { name: "HR feed", data_source: "other", active: "true" },
        ]);
        const snap = await readLdapSnapshot(c, ["Corp"]);
        assert.deepEqual(
            snap.servers.map((s) => s.name),
            ["Corp"],
        );
        assert.deepEqual(
            snap.loads.map((l) => l.name),
            ["Corp users"],
        );
    });
});
