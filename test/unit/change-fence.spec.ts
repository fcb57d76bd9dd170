/**
 * The production fence's one declared widening: change records through the Change Management API, only with
 * `servicenow:allowChangeRequests`; every other write on the source stays refused.
 */
import * as assert from "node:assert/strict";
import { UnsafeTargetError } from "../../provider/errors";
import { assertWritableTable, CHANGE_API_WRITE } from "../../provider/fence";

describe("the fence and change records", () => {
    const url = "https://acme.service-now.com";

    it("refuses a Change Management API write without the declared permission, naming the setting", () => {
        assert.throws(
            () => assertWritableTable("source", url, CHANGE_API_WRITE),
            (e: unknown) =>
                e instanceof UnsafeTargetError &&
                /refusing to write a change request on the source connection \(https:\/\/acme\.service-now\.com\)/.test(
                    e.message,
                ) &&
                e.message.includes("servicenow:allowChangeRequests"),
        );
        assert.throws(() => assertWritableTable("target", url, CHANGE_API_WRITE), UnsafeTargetError);
    });

    it("allows it with the permission, and still refuses change_request through the Table API on the source", () => {
        assert.doesNotThrow(() => assertWritableTable("source", url, CHANGE_API_WRITE, true));
        assert.throws(
            () => assertWritableTable("source", url, "change_request", true),
            /refusing to write change_request/,
        );
        assert.throws(() => assertWritableTable("source", url, "sys_properties", true), UnsafeTargetError);
        assert.doesNotThrow(() => assertWritableTable("source", url, "sn_instance_clone_request", true));
    });
});
