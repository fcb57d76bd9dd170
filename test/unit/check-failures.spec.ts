/**
 * Check failures reach the engine on a top-level property (so it prints the value, not `{<nil>}`), with the item's
 * path at the start of the reason.
 */
import * as assert from "node:assert/strict";
import { readableFailures } from "../../provider/pulumi/shim";

describe("check failures as the engine prints them", () => {
    it("moves an item path into the reason and the failure onto its top-level property", () => {
        assert.deepEqual(
            readableFailures([
                { property: "rules.0.from", reason: 'rules[].from must be a host (received "x y")' },
                { property: "smtpAccount.name", reason: "no such account" },
                { property: "scope", reason: "unknown field" },
            ]),
            [
                { property: "rules", reason: 'rules[0].from: rules[].from must be a host (received "x y")' },
                { property: "smtpAccount", reason: "smtpAccount.name: no such account" },
                { property: "scope", reason: "unknown field" },
            ],
        );
    });
});
