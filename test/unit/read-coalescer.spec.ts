/**
 * The read coalescer against a scripted transport: what goes out for reads issued together, and what each read gets
 * when the Batch API call, or one of its items, fails.
 */
import * as assert from "node:assert/strict";
import type { AxiosRequestConfig } from "axios";
import { ReadCoalescer, type SmallRead } from "../../provider/client/coalesce";
import type { Transport } from "../../provider/client/transport";
import { AccessDeniedError, BadRequestError, TransportError } from "../../provider/errors";

/** A transport that answers GETs with one row naming the table, and batch calls with `batch`. */
function scripted(batch: (items: { id: string; url: string }[]) => Record<string, unknown>) {
    const sent: string[] = [];
    const transport = {
        url: "https://acme-dev.service-now.com",
        async send(_what: string, config: AxiosRequestConfig): Promise<Record<string, unknown>> {
            sent.push(`${config.method} ${config.url}`);
            if (config.url === "/api/now/v1/batch") {
                return batch((config.data as { rest_requests: { id: string; url: string }[] }).rest_requests);
            }
            return { result: [{ table: String(config.url).split("/").pop() }] };
        },
    };
    return { coalescer: new ReadCoalescer(transport as unknown as Transport), sent };
}

const read = (table: string): SmallRead => ({
    what: `GET ${table}`,
    path: `/api/now/table/${table}`,
    params: { sysparm_query: "active=true", sysparm_limit: 10 },
});

const item = (id: string, status: number, body: unknown) => ({
    id,
    status_code: status,
    body: Buffer.from(JSON.stringify(body)).toString("base64"),
    headers: [],
});

describe("ReadCoalescer", () => {
    it("sends reads issued together as one batch call of GET items, with their query strings", async () => {
        let urls: string[] = [];
        const { coalescer, sent } = scripted((items) => {
            urls = items.map((i) => i.url);
            return {
                serviced_requests: items.map((i) => item(i.id, 200, { result: [{ url: i.url }] })),
                unserviced_requests: [],
            };
        });
        const answers = await Promise.all([coalescer.read(read("a")), coalescer.read(read("b"))]);
        assert.deepEqual(sent, ["POST /api/now/v1/batch"]);
        assert.deepEqual(urls, [
            "/api/now/table/a?sysparm_query=active%3Dtrue&sysparm_limit=10",
            "/api/now/table/b?sysparm_query=active%3Dtrue&sysparm_limit=10",
        ]);
        assert.deepEqual(
            answers.map((a) => a.body.result),
            urls.map((url) => [{ url }]),
        );
    });

    it("sends a read alone as a plain GET", async () => {
        const { coalescer, sent } = scripted(() => assert.fail("no batch call for one read"));
        assert.deepEqual((await coalescer.read(read("a"))).body.result, [{ table: "a" }]);
        assert.deepEqual(sent, ["GET /api/now/table/a"]);
    });

    it("sends the reads one by one when the instance refuses the Batch API itself", async () => {
        const { coalescer, sent } = scripted(() => {
            throw new AccessDeniedError("POST batch on acme-dev was refused (403)", { status: 403 });
        });
        const answers = await Promise.all([coalescer.read(read("a")), coalescer.read(read("b"))]);
        assert.deepEqual(
            answers.map((a) => a.body.result),
            [[{ table: "a" }], [{ table: "b" }]],
        );
        assert.deepEqual(sent, ["POST /api/now/v1/batch", "GET /api/now/table/a", "GET /api/now/table/b"]);
    });

    it("gives every read the error when the instance cannot be reached, without sending them again", async () => {
        const { coalescer, sent } = scripted(() => {
            throw new TransportError("POST batch on acme-dev failed without an answer (ECONNRESET) after retries");
        });
        const results = await Promise.allSettled([coalescer.read(read("a")), coalescer.read(read("b"))]);
        for (const r of results) assert.ok(r.status === "rejected" && r.reason instanceof TransportError);
        assert.deepEqual(sent, ["POST /api/now/v1/batch"]);
    });

    it("re-sends alone an item the instance throttled or left unserviced, and maps a refused item to its error", async () => {
        const { coalescer, sent } = scripted((items) => ({
            serviced_requests: [
                item(items[0]!.id, 429, { error: { message: "Too many requests" } }),
                item(items[1]!.id, 400, { error: { message: "Invalid table c" }, status: "failure" }),
            ],
            unserviced_requests: [items[2]],
        }));
        const [a, c, b] = await Promise.allSettled([
            coalescer.read(read("a")),
            coalescer.read(read("c")),
            coalescer.read(read("b")),
        ]);
        assert.deepEqual(a.status === "fulfilled" && a.value.body.result, [{ table: "a" }]);
        assert.ok(c.status === "rejected" && c.reason instanceof BadRequestError, String(c));
        assert.match((c as PromiseRejectedResult).reason.message, /GET c.*Invalid table c/);
        assert.deepEqual(b.status === "fulfilled" && b.value.body.result, [{ table: "b" }]);
        assert.deepEqual(sent, ["POST /api/now/v1/batch", "GET /api/now/table/a", "GET /api/now/table/b"]);
    });
});
