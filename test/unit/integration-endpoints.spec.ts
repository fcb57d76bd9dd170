import * as assert from "node:assert/strict";
import {
    type EndpointRecord,
    hostOf,
    integrationEndpointsProvider,
    planEndpoints,
    rewriteEndpoint,
    tripwireHosts,
} from "../../provider/resources/integration-endpoints";

const record = (value: string, active = true): EndpointRecord => ({
    table: "sys_rest_message",
    field: "rest_endpoint",
    sysId: "a".repeat(32),
    name: "Payments",
    value,
    active,
});

describe("IntegrationEndpoints rules and tripwire", () => {
    it("rewrites a host wherever it appears, keeping scheme, port, path and query", () => {
        const rules = [{ from: "api.acme.com", to: "api-sandbox.acme.com" }];
        assert.equal(
            rewriteEndpoint("https://api.acme.com:8443/v2/x?y=1", rules),
            "https://api-sandbox.acme.com:8443/v2/x?y=1",
        );
        assert.equal(rewriteEndpoint("https://API.ACME.COM/v2", rules), "https://api-sandbox.acme.com/v2");
        assert.equal(rewriteEndpoint("https://api.acme.com.evil.net/v2", rules), "https://api.acme.com.evil.net/v2");
    });

    it("rewrites a URL prefix only for endpoints starting with it, first matching rule winning", () => {
        const rules = [
            { from: "https://dw.acme.com/api", to: "https://dw-test.acme.com/api" },
            { from: "dw.acme.com", to: "never.acme.com" },
        ];
        assert.equal(rewriteEndpoint("https://dw.acme.com/api/ingest", rules), "https://dw-test.acme.com/api/ingest");
        assert.equal(rewriteEndpoint("https://dw.acme.com/other", rules), "https://never.acme.com/other");
    });

    it("finds no host in relative or variable endpoints", () => {
        // A ServiceNow variable in an endpoint, written literally.
        assert.equal(hostOf(`$\{base_url}/records`), undefined);
        assert.equal(hostOf("https://user@Host.Example.com:443/x"), "host.example.com");
    });

    it("adds the hosts of production instance names and URLs to the declared ones", () => {
        assert.deepEqual(tripwireHosts(["API.acme.com"], ["acme", "https://acme-src.service-now.com/"]), [
            "acme-src.service-now.com",
            "acme.service-now.com",
            "api.acme.com",
        ]);
    });

    it("reports an active endpoint left on a production host after the rules, and ignores an inactive one", () => {
        const plan = planEndpoints(
            [
                record("https://api.acme.com/v1"),
                record("https://pay.acme.com/v1"),
                record("https://pay.acme.com/v0", false),
            ],
            [{ from: "api.acme.com", to: "api-sandbox.acme.com" }],
            ["api.acme.com", "pay.acme.com"],
        );
        assert.equal(plan.targets.length, 1);
        assert.deepEqual(
            plan.violations.map((v) => v.value),
            ["https://pay.acme.com/v1"],
        );
    });

    it("fails check on a host rule given a path, naming rules.0.from", async () => {
        const r = await integrationEndpointsProvider.check!(
            {} as never,
            { rules: [{ from: "api.acme.com/v2", to: "sandbox.acme.com" }] } as never,
        );
        assert.equal(r.failures?.[0]?.property, "rules.0.from");
        assert.match(r.failures?.[0]?.reason ?? "", /"api.acme.com\/v2"/);
    });
});
