/**
 * `sn-clone history --clones` as text: operations first, then each clone with its duration, profile, error and warnings.
 */
import * as assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { writeCloneHistory } from "../../sdk/cli/clone-history";

describe("sn-clone history --clones (text)", () => {
    it("prints the clones after the operations, with error and warnings under each", () => {
        const out = new PassThrough();
        let text = "";
        out.on("data", (d) => {
            text += d;
        });
        writeCloneHistory(
            out,
            {
                environment: "qa",
                target: "acme-qa",
                source: "https://acme.service-now.com",
                operations: [
                    {
                        version: 3,
                        kind: "update",
                        result: "succeeded",
                        startTime: "2026-12-01T02:10:00Z",
                        message: "",
                        changes: { update: 2 },
                    },
                ],
                clones: [
                    {
                        cloneId: "a".repeat(32),
                        table: "sn_instance_clone_request",
                        state: "Completed",
                        requestedAt: "2026-12-01T01:00:00Z",
                        scheduledAt: "2026-12-01T02:00:00Z",
                        startedAt: "2026-12-01T02:00:01Z",
                        completedAt: "2026-12-01T02:05:06Z",
                        durationSeconds: 305,
                        profile: "Environment refresh",
                        errorMessage: "",
                        warnings: ['error: Cleanup script "Broken" failed: Error: boom'],
                    },
                ],
            },
            "text",
            (c) => `${c.update ?? 0} updated`,
        );
        assert.equal(
            text,
            [
                "Operations on qa:",
                "  #3    update   succeeded  2026-12-01T02:10:00Z  2 updated",
                "Clones into acme-qa (from https://acme.service-now.com):",
                `  ${"a".repeat(32)}  Completed   2026-12-01T02:05:06Z, 5 min 5 s, profile Environment refresh`,
                '      error: Cleanup script "Broken" failed: Error: boom',
                "",
            ].join("\n"),
        );
    });
});
