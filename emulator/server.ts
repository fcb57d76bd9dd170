/**
 * The HTTP front of one emulated instance: routing, authentication, faults, durability before acknowledgement,
 * and the `/emulator/*` observability endpoints.
 */
import * as http from "node:http";
import * as https from "node:https";
import type { ApiRequest, InstanceContext } from "./api-types";
import { batchApi } from "./batch-api";
import { changeApi, changeControl } from "./change/routes";
import { uninstalledPluginTable } from "./cicd/plugins";
import { CICD_PATH, cicdApi } from "./cicd/routes";
import type { CostModel, RecordWork } from "./cost";
import { type ApiResponse, errors, failure, json } from "./envelope";
import { type FaultConfig, type FaultInjector, gatewayErrorPage, HIBERNATING_PAGE } from "./faults";
import { tokenEndpoint } from "./oauth";
import type { EmulatorStats, RequestLogEntry } from "./observability";
import { statsApi } from "./stats-api";
import { tableApi } from "./table-api";

/** What every instance server of one emulator shares. */
export interface SharedRuntime {
    faults: FaultInjector;
    stats: EmulatorStats;
    /** Batch API transaction quota in milliseconds. */
    batchQuotaMs: number;
    clock: () => number;
}

const TABLE_PATH = /^\/api\/now(?:\/(v1|v2))?\/table\/([^/]+)(?:\/([^/]+))?\/?$/;
const STATS_PATH = /^\/api\/now(?:\/v1)?\/stats\/([^/]+)\/?$/;
const BATCH_PATH = /^\/api\/now(?:\/v1)?\/batch\/?$/;
const MAX_BODY = 64 * 1024 * 1024;

/** The table a path addresses (for counting and rate-limit rules), if any. */
function tableOf(pathname: string): string | undefined {
    return (TABLE_PATH.exec(pathname)?.[2] ?? STATS_PATH.exec(pathname)?.[1]) || undefined;
}

/** Log fields a request adds beyond who, what and the status. */
type RequestLogFields = Pick<RequestLogEntry, "read" | "written" | "processingMs" | "queued" | "rejected">;

const NO_RECORDS: RecordWork = { read: 0, written: 0 };

/** The records a response says it read and wrote, which the cost model charges. */
function workOf(res: ApiResponse): RecordWork {
    return { read: res.records ?? 0, written: res.written ?? 0 };
}

/** The `query` field of a log entry: the request's sysparm_query, when given. */
function queryOf(params: URLSearchParams): { query?: string } {
    const q = params.get("sysparm_query");
    return q === null ? {} : { query: q };
}

const sleep = (ms: number) => (ms > 0 ? new Promise<void>((r) => setTimeout(r, ms)) : Promise.resolve());

/**
 * Handles one request to one instance. Exposed so the same code serves HTTP and HTTPS.
 */
export function createHandler(ctx: InstanceContext, rt: SharedRuntime): http.RequestListener {
    /** Routes an authenticated API request; batch items come through here too. */
    const route = async (req: ApiRequest, isBatchItem: boolean): Promise<ApiResponse> => {
        const table = tableOf(req.pathname);
        if (!isBatchItem || rt.faults.config.rateLimitBatchItems) {
            const rl = rt.faults.rateLimit({
                instance: ctx.name,
                user: req.user.userName,
                roles: req.user.roles,
                table,
                method: req.method,
            });
            if (rl.kind === "limited") {
                const per = rl.windowMs === 3_600_000 ? "hour" : `${rl.windowMs / 1000} seconds`;
                const api = STATS_PATH.test(req.pathname) ? "Aggregate API" : "Table API";
                return failure(
                    429,
                    "Rate limit exceeded",
                    `Rate limit of ${rl.limit} requests per ${per} for ${api} exceeded`,
                    rl.headers,
                );
            }
            const res = await dispatch(req, isBatchItem);
            return { ...res, headers: { ...rl.headers, ...res.headers } };
        }
        return dispatch(req, isBatchItem);
    };

    const dispatch = async (req: ApiRequest, isBatchItem: boolean): Promise<ApiResponse> => {
        const change = changeApi(ctx, req);
        if (change) return change;
        let m = TABLE_PATH.exec(req.pathname);
        if (m && uninstalledPluginTable(ctx.db, m[2]!)) return errors.invalidTable(m[2]!);
        if (m) return tableApi(ctx, req, decodeURIComponent(m[2]!), m[3] ? decodeURIComponent(m[3]) : undefined, m[1]);
        m = STATS_PATH.exec(req.pathname);
        if (m) return statsApi(ctx, req, decodeURIComponent(m[1]!));
        if (CICD_PATH.test(req.pathname)) return cicdApi(ctx, req);
        if (BATCH_PATH.test(req.pathname) && !isBatchItem) {
            return batchApi(
                req,
                async (sub) => {
                    // An item pays for its records exactly as a request of its own would, inside the batch's
                    // transaction; it pays no round trip and no transaction of its own.
                    const t0 = rt.clock();
                    const res = await route(sub, true);
                    const work = workOf(res);
                    const processingMs = await ctx.cost.charge(work, false, t0, rt.clock);
                    rt.stats.record({
                        instance: ctx.name,
                        method: sub.method,
                        path: sub.pathname,
                        table: tableOf(sub.pathname),
                        status: res.status,
                        user: sub.user.userName,
                        batch: true,
                        ...queryOf(sub.params),
                        ...work,
                        processingMs,
                    });
                    return res;
                },
                { quotaMs: rt.batchQuotaMs, clock: rt.clock },
            );
        }
        return errors.badUri();
    };

    return (req, res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        req.on("data", (c: Buffer) => {
            size += c.length;
            if (size <= MAX_BODY) chunks.push(c);
        });
        req.on("end", () => {
            handle(req, res, Buffer.concat(chunks).toString("utf8")).catch((err: unknown) => {
                send(res, failure(500, "Internal server error", err instanceof Error ? err.message : String(err)));
            });
        });
    };

    async function handle(req: http.IncomingMessage, res: http.ServerResponse, body: string): Promise<void> {
        const url = new URL(req.url ?? "/", "http://emulator.invalid");
        const override = req.headers["x-http-method-override"];
        const method = (typeof override === "string" && override ? override : (req.method ?? "GET")).toUpperCase();
        if (url.pathname.startsWith("/emulator/")) return send(res, observability(method, url, body));

        const isApi = url.pathname.startsWith("/api/");
        const isToken = url.pathname === "/oauth_token.do";
        const cost = ctx.cost;
        const log = (status: number, user?: string, extra: Partial<RequestLogFields> = {}) =>
            rt.stats.record({
                instance: ctx.name,
                method,
                path: url.pathname,
                table: tableOf(url.pathname),
                status,
                user,
                ...queryOf(url.searchParams),
                ...extra,
            });
        // The request on the wire, then (in `reply`) the response: one round trip per HTTP request.
        await cost.halfRoundTrip();
        const reply = async (out: ApiResponse, user?: string, extra?: Partial<RequestLogFields>) => {
            await sleep(rt.faults.config.latencyMs);
            await cost.halfRoundTrip();
            log(out.status, user, extra);
            send(res, method === "HEAD" ? { ...out, body: undefined } : out);
        };
        const faults = rt.faults.config;
        if (faults.hibernating) {
            log(200);
            return send(res, {
                status: 200,
                headers: { "Content-Type": "text/html;charset=UTF-8" },
                body: HIBERNATING_PAGE,
            });
        }
        if (!isApi && !isToken) {
            log(404);
            return send(res, {
                status: 404,
                headers: { "Content-Type": "text/html;charset=UTF-8" },
                body: "<html><body>Not Found</body></html>\n",
            });
        }
        if (isApi && faults.strictHeaders) {
            const refused = headerCheck(method, req.headers.accept, req.headers["content-type"], body);
            if (refused) return reply(refused);
        }
        const transport = rt.faults.transportFault();
        if (transport?.kind === "reset") {
            log(0);
            req.socket.destroy();
            return;
        }
        if (transport?.kind === "error") {
            return reply({
                status: transport.status,
                headers: { "Content-Type": "text/html;charset=UTF-8" },
                body: gatewayErrorPage(transport.status),
            });
        }
        if (isToken) {
            return reply(method === "POST" ? tokenEndpoint(ctx.db, ctx.auth, body) : errors.methodNotSupported(method));
        }
        // An API transaction needs one of the instance's API_INT threads: it waits in the queue for one, and is
        // refused with 429 when the queue is full, before anything else (authentication included) runs.
        const slot = await cost.enter();
        if (!("release" in slot)) {
            return reply(
                failure(
                    429,
                    "Too Many Requests",
                    "The instance's API_INT semaphore queue is full; retry after Retry-After seconds",
                    { "Retry-After": String(slot.retryAfterSeconds) },
                ),
                undefined,
                { rejected: true },
            );
        }
        let out: ApiResponse;
        let userName: string | undefined;
        let extra: Partial<RequestLogFields>;
        try {
            const user = ctx.auth.authenticate(req.headers.authorization);
            const isBatch = BATCH_PATH.test(url.pathname);
            const t0 = rt.clock();
            // A batch pays its transaction up front, then each item its records as it runs.
            const transactionMs = isBatch ? await cost.charge(NO_RECORDS, true, t0, rt.clock) : 0;
            const tWork = rt.clock();
            if (!user) {
                out = errors.unauthenticated();
            } else {
                userName = user.userName;
                const headers: Record<string, string | undefined> = {};
                for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(",") : v;
                out = await route(
                    {
                        method,
                        pathname: url.pathname,
                        search: url.search.slice(1),
                        params: url.searchParams,
                        headers,
                        body,
                        user,
                    },
                    false,
                );
            }
            const work = isBatch ? NO_RECORDS : workOf(out);
            const processingMs = isBatch ? transactionMs : await cost.charge(work, true, tWork, rt.clock);
            extra = { ...work, processingMs, queued: slot.queued || undefined };
            // Acknowledge only what is durable: one fsync for everything this request (or batch) wrote.
            ctx.db.commit();
        } finally {
            slot.release();
        }
        return reply(out, userName, extra);
    }

    function observability(method: string, url: URL, body: string): ApiResponse {
        const p = url.pathname.replace(/\/$/, "");
        const change = changeControl(ctx, method, p, body);
        if (change) return change;
        if (p === "/emulator/stats" && method === "GET") {
            return json(200, { instance: ctx.name, ...rt.stats.snapshot(ctx.name), cost: ctx.cost.snapshot() });
        }
        if (p === "/emulator/stats/reset" && method === "POST") {
            rt.stats.reset(ctx.name);
            ctx.cost.reset();
            return json(200, { instance: ctx.name, ...rt.stats.snapshot(ctx.name), cost: ctx.cost.snapshot() });
        }
        if (p === "/emulator/cost" && method === "GET") return json(200, ctx.cost.model);
        if (p === "/emulator/cost" && (method === "PUT" || method === "PATCH")) {
            let patch: Partial<CostModel>;
            try {
                patch = JSON.parse(body || "{}") as Partial<CostModel>;
            } catch {
                return errors.badJson();
            }
            try {
                return json(200, ctx.cost.configure(patch));
            } catch (err) {
                return failure(400, "Invalid cost model", err instanceof Error ? err.message : String(err));
            }
        }
        if (p === "/emulator/requests" && method === "GET") {
            const since = Number(url.searchParams.get("since") ?? "0") || 0;
            return json(200, {
                instance: ctx.name,
                lastSeq: rt.stats.lastSeq,
                requests: rt.stats.requests(ctx.name, since),
            });
        }
        if (p === "/emulator/faults" && method === "GET") return json(200, rt.faults.config);
        if (p === "/emulator/faults" && (method === "PUT" || method === "PATCH")) {
            try {
                return json(200, rt.faults.configure(JSON.parse(body || "{}") as Partial<FaultConfig>));
            } catch {
                return errors.badJson();
            }
        }
        return json(404, { error: `no emulator endpoint ${method} ${p}` });
    }
}

const FORMATS = /application\/(json|xml)|\*\/\*/;

/**
 * The documented data-format rule: GET and HEAD need Accept; writes need Accept and Content-Type (DELETE has no
 * body to type). Missing headers are a 400; formats other than JSON or XML are 406 (Accept) or 415 (Content-Type).
 */
function headerCheck(method: string, accept: string | undefined, contentType: string | undefined, body: string) {
    if (!accept) return failure(400, "Bad Request", "Accept header is required");
    if (!FORMATS.test(accept)) return failure(406, "Not Acceptable", `Accept ${accept} is not supported`);
    if ((method === "POST" || method === "PUT" || method === "PATCH") && body !== "") {
        if (!contentType) return failure(400, "Bad Request", "Content-Type header is required");
        if (!FORMATS.test(contentType)) {
            return failure(415, "Unsupported Media Type", `Content-Type ${contentType} is not supported`);
        }
    }
    return undefined;
}

function send(res: http.ServerResponse, out: ApiResponse): void {
    if (res.headersSent || res.destroyed) return;
    const headers: Record<string, string> = { Server: "ServiceNow", ...out.headers };
    if (out.body !== undefined) headers["Content-Length"] = String(Buffer.byteLength(out.body));
    res.writeHead(out.status, headers);
    res.end(out.body);
}

/** TLS material for HTTPS. */
export interface TlsMaterial {
    key: string;
    cert: string;
}

/** Creates (but does not start) the server of one instance. */
export function createInstanceServer(ctx: InstanceContext, rt: SharedRuntime, tls?: TlsMaterial): http.Server {
    const handler = createHandler(ctx, rt);
    const server = tls ? https.createServer({ key: tls.key, cert: tls.cert }, handler) : http.createServer(handler);
    server.keepAliveTimeout = 5000;
    return server;
}
