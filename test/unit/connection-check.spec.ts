/**
 * Connection settings with a wrong shape fail check (preview), not the first request: an instance URL that is not an
 * https URL, productionInstances that is not valid JSON, half a credential, a yes/no setting that is neither. Settings
 * not given at all are left to the first use.
 */
import * as assert from "node:assert/strict";
import { configureConnections, connectionProblem, resetConnections } from "../../provider/connection";
import { systemPropertyProvider } from "../../provider/resources/system-property";

function configure(values: Record<string, string>): void {
    const config: Record<string, string> = {
        "servicenow:username": "admin",
        "servicenow:password": "admin",
        "servicenow:instanceName": "acme-qa",
        ...values,
    };
    configureConnections({ get: (k: string) => config[k], require: (k: string) => config[k]! } as never);
}

describe("connection settings checked at preview", () => {
    afterEach(() => resetConnections());

    const bad: [string, Record<string, string>, RegExp][] = [
        [
            "an instance URL that is not a URL",
            { "servicenow:instanceUrl": "acc-qa service-now com" },
            /servicenow:instanceUrl .*"acc-qa service-now com" is not a URL/,
        ],
        [
            "an ftp URL",
            { "servicenow:instanceUrl": "ftp://acme-qa.service-now.com" },
            /servicenow:instanceUrl .*must use https/,
        ],
        [
            "plain http to a remote host",
            { "servicenow:instanceUrl": "http://acme-qa.service-now.com" },
            /refusing plain http/,
        ],
        [
            "productionInstances that is not valid JSON",
            {
                "servicenow:instanceUrl": "https://acme-qa.service-now.com",
                "servicenow:productionInstances": '["acme-prod"',
            },
            /productionInstances is not valid JSON \(\["acme-prod"\)/,
        ],
        [
            "an OAuth client id without its secret",
            { "servicenow:instanceUrl": "https://acme-qa.service-now.com", "servicenow:clientId": "pulumi-client" },
            /has servicenow:clientId but no servicenow:clientSecret; set it with `pulumi config set servicenow:clientSecret \.\.\. --secret`/,
        ],
        [
            "allowInsecureHttp that is not a yes or a no",
            { "servicenow:instanceUrl": "https://acme-qa.service-now.com", "servicenow:allowInsecureHttp": "maybe" },
            /servicenow:allowInsecureHttp .*must be true or false \(received "maybe"\)/,
        ],
        [
            "allowChangeRequests that is not a yes or a no",
            {
                "servicenow:instanceUrl": "https://acme-qa.service-now.com",
                "servicenow:allowChangeRequests": "perhaps",
            },
            /servicenow:allowChangeRequests .*must be true or false \(received "perhaps"\)/,
        ],
    ];
    for (const [what, values, message] of bad) {
        it(`refuses ${what}, naming the setting and the value`, async () => {
            configure(values);
            assert.match(connectionProblem("target") ?? "", message);
            const r = await systemPropertyProvider.check!({} as never, { name: "glide.x", value: "1" } as never);
            assert.equal(r.failures?.[0]?.property, "connection");
            assert.match(r.failures![0]!.reason, message);
        });
    }

    it("leaves a connection that is not configured to its first use", () => {
        configure({});
        assert.equal(connectionProblem("source"), undefined);
    });

    it("accepts sound settings", () => {
        configure({
            "servicenow:instanceUrl": "https://acme-qa.service-now.com",
            "servicenow:productionInstances": '["acme-prod"]',
        });
        assert.equal(connectionProblem("target"), undefined);
    });
});
