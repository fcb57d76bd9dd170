/**
 * The CI/CD asynchronous-operation helper against scripted progress answers: success, the platform's failure
 * message, cancel, timeout, and the backoff between polls.
 */
import * as assert from "node:assert/strict";
import { type CicdCaller, pollUntil, runCicdOperation } from "../../provider/client/cicd";
import { CicdOperationError, CicdTimeoutError } from "../../provider/errors";

function progress(status: string, message = "", extra: Record<string, unknown> = {}) {
    const labels: Record<string, string> = {
        "0": "Pending",
        "1": "Running",
        "2": "Successful",
        "3": "Failed",
        "4": "Canceled",
    };
    return {
        result: {
            links: { progress: { id: "p1", url: "https://x/api/sn_cicd/progress/p1" }, ...extra },
            status,
            status_label: labels[status],
            status_message: message,
            status_detail: "",
            error: status === "3" ? message : "",
            percent_complete: status === "2" ? 100 : 40,
        },
    };
}

/** A caller answering the start with Pending, then the given progress bodies in turn. */
function scripted(answers: unknown[]): { call: CicdCaller; calls: string[] } {
    const calls: string[] = [];
    const call: CicdCaller = async (method, path) => {
        calls.push(`${method} ${path}`);
        if (method === "POST") return progress("0");
        return (answers.length > 1 ? answers.shift() : answers[0]) as Record<string, unknown>;
    };
    return { call, calls };
}

const fast = { timeoutMs: 5000, initialPollMs: 1, maxPollMs: 4, what: "activation of plugin x" };

describe("CI/CD operation helper", () => {
    it("polls progress until Successful and returns the final links", async () => {
        const { call, calls } = scripted([
            progress("1", "Running"),
            progress("2", "This operation succeeded", { results: { id: "r9", url: "u" } }),
        ]);
        const lines: string[] = [];
        const done = await runCicdOperation(
            call,
            { path: "/api/sn_cicd/plugin/x/activate" },
            { ...fast, progress: (l) => lines.push(l) },
        );
        assert.equal(done.status, "2");
        assert.equal(done.links.results?.id, "r9");
        assert.deepEqual(calls, [
            "POST /api/sn_cicd/plugin/x/activate",
            "GET /api/sn_cicd/progress/p1",
            "GET /api/sn_cicd/progress/p1",
        ]);
        assert.deepEqual(lines, ["Pending", "Running 40%: Running", "Successful: This operation succeeded"]);
    });

    it("throws a typed failure carrying the platform's status message when the tracker fails", async () => {
        const { call } = scripted([progress("3", "Plugin activation failed: could not load com.x")]);
        await assert.rejects(runCicdOperation(call, { path: "/api/sn_cicd/plugin/x/activate" }, fast), (e: unknown) => {
            assert.ok(e instanceof CicdOperationError);
            assert.equal(e.trackerStatus, "3");
            assert.equal(e.statusMessage, "Plugin activation failed: could not load com.x");
            assert.match(e.message, /activation of plugin x ended Failed: Plugin activation failed/);
            return true;
        });
    });

    it("treats a canceled tracker as a failure too", async () => {
        const { call } = scripted([progress("4", "Canceled by admin")]);
        await assert.rejects(runCicdOperation(call, { path: "/p" }, fast), (e: unknown) => {
            assert.ok(e instanceof CicdOperationError);
            assert.equal(e.trackerStatus, "4");
            return true;
        });
    });

    it("gives up with a typed timeout naming the progress id, the operation still running", async () => {
        const { call } = scripted([progress("1", "Running")]);
        await assert.rejects(runCicdOperation(call, { path: "/p" }, { ...fast, timeoutMs: 20 }), (e: unknown) => {
            assert.ok(e instanceof CicdTimeoutError);
            assert.equal(e.progressId, "p1");
            assert.match(e.message, /may still finish/);
            return true;
        });
    });

    it("waits longer between polls each time, up to the maximum", async () => {
        const waits: number[] = [];
        const realSetTimeout = global.setTimeout;
        let reads = 0;
        global.setTimeout = ((fn: () => void, ms: number) => {
            waits.push(ms);
            return realSetTimeout(fn, 0);
        }) as typeof setTimeout;
        try {
            await pollUntil(
                async () => ++reads,
                (n) => n >= 7,
                { timeoutMs: 60_000, initialPollMs: 100, maxPollMs: 300, onTimeout: () => new Error("timeout") },
            );
        } finally {
            global.setTimeout = realSetTimeout;
        }
        assert.deepEqual(waits, [100, 150, 225, 300, 300, 300]);
    });
});
