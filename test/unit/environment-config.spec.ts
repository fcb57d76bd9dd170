import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { toCheckResult } from "../../provider/pulumi/check";
import { IntegrationEndpointsInputs } from "../../provider/resources/integration-endpoints";
import { ScheduledJobStateInputs } from "../../provider/resources/scheduled-job-state";
import { UserLockoutInputs } from "../../provider/resources/user-lockout";
import { environmentKeys, parseEnvironmentConfig } from "../../sdk/environment/config";

/** A committed stack file's text. */
function stackFile(env: string): string {
    return fs.readFileSync(path.join(__dirname, "..", "..", "stacks", `Pulumi.${env}.yaml`), "utf8");
}

describe("the environment config", () => {
    // One schema, not two: a value the provider's check refuses, the environment program refuses with the same reason.
    const sameRefusal: [string, Record<string, unknown>, import("zod").ZodType, string][] = [
        ["access", { allowRoles: ["admin"], scope: "locked_out=false" }, UserLockoutInputs, "scope"],
        [
            "integrations",
            { rules: [{ from: "api.acme.com/v2", to: "sandbox.acme.com" }] },
            IntegrationEndpointsInputs,
            "rules.0.from",
        ],
        ["jobs", { allowSysIds: ["not-a-sys-id"] }, ScheduledJobStateInputs, "allowSysIds.0"],
    ];
    for (const [item, value, schema, property] of sameRefusal) {
        it(`refuses environment:${item} ${JSON.stringify(value)} with the provider's own message`, () => {
            const provider = toCheckResult(schema, value);
            const reason = provider.failures?.find((f) => f.property === property)?.reason;
            assert.ok(reason, `the provider refuses ${property}: ${JSON.stringify(provider.failures)}`);
            const parsed = parseEnvironmentConfig({ [item]: value });
            assert.ok(!parsed.ok);
            assert.ok(
                parsed.problems.some((p) => p.reason === reason),
                `environment problems ${JSON.stringify(parsed.problems)} carry "${reason}"`,
            );
        });
    }

    it("accepts a full checklist and fills the defaults", () => {
        const parsed = parseEnvironmentConfig({
            label: "QA",
            email: JSON.stringify({ sending: true, redirectTo: ["qa@example.com"] }),
            access: { allowRoles: ["admin", "mid_server"], allowGroups: ["UAT Participants"] },
            jobs: { allowQuery: "nameSTARTSWITHSLA" },
            midServers: {},
        });
        assert.ok(parsed.ok);
        assert.deepEqual(parsed.config.email, { sending: true, receiving: false, redirectTo: ["qa@example.com"] });
        assert.deepEqual(parsed.config.access?.allowUsers, []);
    });

    it("fails naming the key path, the value received and the fix", () => {
        const parsed = parseEnvironmentConfig({ email: { sending: true, redirectTo: ["not-an-address"] } });
        assert.ok(!parsed.ok);
        assert.equal(parsed.problems[0]?.key, "environment:email.redirectTo[0]");
        assert.match(
            parsed.problems[0]!.reason,
            /one email address such as qa-inbox@example.com \(received "not-an-address"\)/,
        );
    });

    it("refuses email sending without a redirect, so real users are never mailed", () => {
        const parsed = parseEnvironmentConfig({ email: { sending: true } });
        assert.ok(!parsed.ok);
        assert.equal(parsed.problems[0]?.key, "environment:email.redirectTo");
    });

    it("names an unknown key and lists the known ones", () => {
        const parsed = parseEnvironmentConfig({
            emial: { sending: false },
            access: { allowRoles: ["admin"], alowUsers: [] },
        });
        assert.ok(!parsed.ok);
        const keys = parsed.problems.map((p) => p.key).sort();
        assert.deepEqual(keys, ["environment:access.alowUsers", "environment:emial"]);
        assert.match(
            parsed.problems.find((p) => p.key === "environment:access.alowUsers")!.reason,
            /known keys: .*allowUsers/,
        );
    });

    it("fails when the lockout would lock the users the MID servers need", () => {
        const parsed = parseEnvironmentConfig({ access: { allowRoles: ["admin"] }, midServers: {} });
        assert.ok(!parsed.ok);
        assert.equal(parsed.problems[0]?.key, "environment:access.allowRoles");
        assert.match(parsed.problems[0]!.reason, /add "mid_server" to allowRoles/);
    });

    it("picks only the environment namespace out of the whole stack config", () => {
        assert.deepEqual(environmentKeys({ "servicenow:instanceUrl": "u", "environment:label": "DEV" }), {
            label: "DEV",
        });
    });

    for (const env of ["dev", "qa", "uat", "training"]) {
        it(`accepts the committed ${env} stack file`, () => {
            // Read with a real YAML parser, then the `environment:` namespace picked as the program picks it.
            const doc = yaml.load(stackFile(env)) as { config?: Record<string, unknown> };
            assert.ok(doc?.config, `stacks/Pulumi.${env}.yaml has a config map`);
            const raw = environmentKeys(doc.config);
            const parsed = parseEnvironmentConfig(raw);
            assert.ok(parsed.ok, parsed.ok ? "" : JSON.stringify(parsed.problems));
            assert.ok(parsed.config.branding && parsed.config.ldap && parsed.config.jobs && parsed.config.integrations);
        });
    }
});
