/**
 * Check failures reach the engine on a top-level property (so it prints the value, not `{<nil>}`), with the item's
 * path at the start of the reason.
 */
import * as assert from "node:assert/strict";
import { readableFailures } from "../../provider/pulumi/shim";

describe("check failures as the engine prints them", () => {
    it("moves an item path into the reason and the failure onto its top-level property", () => {
        assert.deepEqual(
            readableFailures(
                [
                    { property: "rules.0.from", reason: 'rules[].from must be a host (received "x y")' },
                    { property: "smtpAccount.name", reason: "no such account" },
                    { property: "smtpAccount.name", reason: 'smtpAccount.name "Relay" matches no account' },
                    { property: "scope", reason: "unknown field" },
                ],
                { rules: [], smtpAccount: {}, scope: "x" },
            ),
            [
                { property: "rules", reason: 'rules[0].from: rules[].from must be a host (received "x y")' },
                { property: "smtpAccount", reason: "smtpAccount.name: no such account" },
                { property: "smtpAccount", reason: 'smtpAccount.name "Relay" matches no account' },
                { property: "scope", reason: "unknown field" },
            ],
        );
    });
});

describe("check failures on inputs the program did not give", () => {
    it("reports them on the resource, naming the property once", () => {
        assert.deepEqual(
            readableFailures(
                [
                    { property: "connection", reason: "servicenow:instanceUrl of the target connection: bad URL" },
                    { property: "role", reason: "no such role" },
                ],
                {},
            ),
            [
                { property: "", reason: "servicenow:instanceUrl of the target connection: bad URL" },
                { property: "", reason: "role: no such role" },
            ],
        );
    });
});
