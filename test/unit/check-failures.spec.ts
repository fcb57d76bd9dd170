/**
 * Check failures reach the engine on a top-level property (so it prints the value, not `{<nil>}`), or, for an item of
 * a list or object, on the resource with the item's path at the start of the reason (the engine would print the whole
 * list in its own notation).
 */
import * as assert from "node:assert/strict";
import { readableFailures } from "../../provider/pulumi/shim";
import { compactCheckFailure } from "../../sdk/automation/environment";

describe("check failures as the engine prints them", () => {
    it("keeps a top-level property's failure on it, and reports an item's on the resource with its path first", () => {
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
                { property: "", reason: 'rules[0].from: rules[].from must be a host (received "x y")' },
                { property: "", reason: "smtpAccount.name: no such account" },
                { property: "", reason: 'smtpAccount.name "Relay" matches no account' },
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

describe("check failures as sn-clone prints them", () => {
    it("cuts the engine's wrapping, keeping the type, the name, the property and the reason", () => {
        assert.equal(
            compactCheckFailure(
                "error: pulumi-nodejs:dynamic/servicenow:UserLockout resource 'access': property scope value " +
                    '{active=true^departmnt=Finance} has a problem: field "departmnt" does not exist on sys_user',
            ),
            'UserLockout "access" scope: field "departmnt" does not exist on sys_user',
        );
        assert.equal(
            compactCheckFailure(
                "pulumi-nodejs:dynamic/servicenow:DataMasking resource 'masking' has a problem: rules[0].query: bad",
            ),
            'DataMasking "masking": rules[0].query: bad',
        );
        assert.equal(compactCheckFailure("something else entirely"), "something else entirely");
    });
});
