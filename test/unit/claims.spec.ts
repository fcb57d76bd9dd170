/**
 * Two resources of one program on the same record fail the program (so the preview), naming both.
 */
import * as assert from "node:assert/strict";
import { DuplicateResourceError } from "../../provider/errors";
import { claimRecords } from "../../sdk/claims";

describe("record claims", () => {
    it("refuses a second resource on the same property, naming both", () => {
        claimRecords('SystemProperty "timeout-a"', undefined, [["sys_properties", "glide.ui.claims_test"]]);
        assert.throws(
            () => claimRecords('SystemProperty "timeout-b"', "target", [["sys_properties", "glide.ui.claims_test"]]),
            (e) =>
                e instanceof DuplicateResourceError &&
                /SystemProperty "timeout-b" and SystemProperty "timeout-a" both manage sys_properties "glide.ui.claims_test" on the target connection/.test(
                    e.message,
                ),
        );
    });

    it("allows the same property on another connection, and another property on the same one", () => {
        claimRecords('SystemProperty "c"', "target", [["sys_properties", "glide.ui.claims_other"]]);
        claimRecords('SystemProperty "d"', "source", [["sys_properties", "glide.ui.claims_other"]]);
        claimRecords('SystemProperty "e"', "target", [["sys_properties", "glide.ui.claims_third"]]);
    });

    it("refuses a SystemProperty on a property an EmailPolicy manages", () => {
        claimRecords('EmailPolicy "email"', undefined, [["sys_properties", "glide.email.smtp.active.claims"]]);
        assert.throws(
            () =>
                claimRecords('SystemProperty "smtp"', undefined, [
                    ["sys_properties", "glide.email.smtp.active.claims"],
                ]),
            /SystemProperty "smtp" and EmailPolicy "email" both manage/,
        );
    });
});
