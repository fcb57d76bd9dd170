import * as assert from "node:assert/strict";
import { UNKNOWN } from "../../provider/pulumi/check";
import { defined, epochChanged, split, withEpoch } from "../../provider/pulumi/shim";
import { emailPolicyProvider } from "../../provider/resources/email-policy";

describe("the provider shim", () => {
    it("separates the clone epoch from a resource's own properties and puts it back", () => {
        const [rest, epoch] = split({ sending: false, cloneEpoch: "abc@2026-11-22T10:00:00Z" });
        assert.deepEqual(rest, { sending: false });
        assert.equal(epoch, "abc@2026-11-22T10:00:00Z");
        assert.deepEqual(withEpoch(rest, epoch), { sending: false, cloneEpoch: "abc@2026-11-22T10:00:00Z" });
        assert.deepEqual(withEpoch(rest, undefined), { sending: false }, "no epoch: no key at all");
    });

    it("reports a re-assertion when the epoch changes, appears, or is still unknown at preview", () => {
        assert.equal(epochChanged("a", "a"), false);
        assert.equal(epochChanged(undefined, undefined), false);
        assert.equal(epochChanged("a", "b"), true);
        assert.equal(epochChanged(undefined, "a"), true);
        assert.equal(epochChanged("a", UNKNOWN), true);
    });

    it("drops undefined values at any depth, which the engine's encoding rejects", () => {
        const cleaned = defined({ a: 1, b: undefined, c: { d: undefined, e: [1, undefined] }, f: null });
        assert.deepEqual(cleaned, { a: 1, c: { e: [1, null] }, f: null });
        assert.equal(JSON.stringify(cleaned).includes("undefined"), false);
    });
});

describe("EmailPolicy check", () => {
    it("leaves smtpPassword out of the checked inputs when none is given", async () => {
        const result = await emailPolicyProvider.check!({} as never, { sending: false, receiving: false } as never);
        assert.equal(result.failures, undefined);
        assert.equal(Object.hasOwn(result.inputs ?? {}, "smtpPassword"), false);
    });
});
