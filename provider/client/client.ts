/**
 * ServiceNowClient: the only code that speaks HTTP to an instance.
 */
import * as http from "node:http";
import * as https from "node:https";
import axios, { type AxiosError, type AxiosInstance, type AxiosRequestConfig, type AxiosResponse } from "axios";
import axiosRetry from "axios-retry";
import pLimit, { type LimitFunction } from "p-limit";
import { assertSafeTarget, assertWritableTable, type ConnectionName } from "../fence";
import { AuthHeaderSource, type Credentials } from "./auth";
import {
    BatchWriteError,
    ConnectionConfigError,
    envelopeText,
    errorForStatus,
    NonJsonResponseError,
    NotFoundError,
    ServiceNowError,
    TransportError,
    UnsafeTargetError,
} from "./errors";
import { keysetQuery } from "./query";
import { type BackoffOptions, retryDelayMs, shouldRetry } from "./retry";

declare module "axios" {
    interface AxiosRequestConfig {
        /** True when sending this request twice has the same effect as once; governs retries of ambiguous failures. */
        snIdempotent?: boolean;
    }
}

/** A record as the Table API returns it with `sysparm_exclude_reference_link=true`: every value a string. */
export type SnRecord = Record<string, string>;

/** Settings of one client. */
export interface ClientOptions {
    /** Instance base URL, e.g. `https://acme-dev.service-now.com`. */
    url: string;
    credentials: Credentials;
    /** Which named connection this is; a `source` client only writes clone configuration. @default "target" */
    connection?: ConnectionName;
    /** The `instance_name` the stack expects; writes are refused without it. */
    instanceName?: string;
    /** Names and/or URLs of instances that must never be written. @default [] */
    productionInstances?: readonly string[];
    /** Allow plain http to a host other than loopback. @default false */
    allowInsecureHttp?: boolean;
    /** Requests in flight at once (batch calls included: the instance services batch items one after another). @default 8 */
    concurrency?: number;
    /** Attempts after the first for a retryable failure. @default 8 */
    retries?: number;
    /** Backoff between retries. @default { baseDelayMs: 200, maxDelayMs: 30000 } */
    backoff?: BackoffOptions;
    /** Per-attempt timeout in milliseconds. @default 60000 */
    timeoutMs?: number;
    /** Sub-requests per Batch API call. @default 200 */
    batchSize?: number;
}

/** Options of {@link ServiceNowClient.query}. */
export interface QueryOptions {
    /** Encoded query. @default "" */
    query?: string;
    /** Columns to return; all when omitted. */
    fields?: readonly string[];
    /** Maximum rows. @default 10000 */
    limit?: number;
}

/** Options of {@link ServiceNowClient.pages}. */
export interface PageOptions {
    /** Encoded query; ORDERBY terms are replaced by the keyset order. @default "" */
    query?: string;
    /** Columns to return; `sys_id` is always added. */
    fields?: readonly string[];
    /** Rows per page. @default 2000 */
    pageSize?: number;
}

/** One update of a {@link ServiceNowClient.batchUpdate}. */
export interface RecordUpdate {
    sysId: string;
    values: Record<string, string>;
    /** The table to write this record through, when not the call's table (e.g. its own class in a hierarchy). */
    table?: string;
}

/** What a batch update did: the records written, and those that no longer exist. */
export interface BatchResult {
    updated: string[];
    missing: string[];
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

/** Rounds in a row in which the instance services none of the pending batch items before a batch update gives up. */
const BATCH_IDLE_ROUNDS = 8;

/**
 * A REST client for one instance: auth, retries, keyset paging, Batch API writes, typed errors and the production fence.
 *
 * @example
 * const client = new ServiceNowClient({ url, credentials: { kind: "basic", username, password }, instanceName: "acme-dev" });
 * for await (const page of client.pages("sys_user", { query: "active=true", fields: ["user_name"] })) { ... }
 */
export class ServiceNowClient {
    /** Instance origin, without trailing slash. */
    readonly url: string;
    readonly connection: ConnectionName;
    /** The ServiceNow user the client acts as, when known (Basic, or the OAuth password grant). */
    readonly username: string | undefined;
    private readonly http: AxiosInstance;
    private readonly auth: AuthHeaderSource;
    private readonly limit: LimitFunction;
    private readonly batchSize: number;
    private readonly backoff: BackoffOptions;
    private readonly instanceName: string | undefined;
    private readonly productionInstances: readonly string[];
    private fence: Promise<void> | undefined;
    private sent = 0;
    private itemHeaders = false;
    private serverDate: string | undefined;

    constructor(options: ClientOptions) {
        this.url = validateUrl(options.url, options.allowInsecureHttp ?? false);
        this.connection = options.connection ?? "target";
        this.username = options.credentials.username;
        this.instanceName = options.instanceName;
        this.productionInstances = options.productionInstances ?? [];
        this.batchSize = Math.max(1, options.batchSize ?? 200);
        this.backoff = options.backoff ?? {};
        const concurrency = Math.max(1, options.concurrency ?? 8);
        this.limit = pLimit(concurrency);
        const agentOptions = { keepAlive: true, maxSockets: concurrency };
        const common: AxiosRequestConfig = {
            baseURL: this.url,
            timeout: options.timeoutMs ?? 60_000,
            // ETIMEDOUT instead of ECONNABORTED for timeouts, so the retry policy can tell them apart from aborts.
            transitional: { clarifyTimeoutError: true },
            httpAgent: new http.Agent(agentOptions),
            httpsAgent: new https.Agent(agentOptions),
            maxRedirects: 0,
            proxy: false,
        };
        this.http = axios.create(common);
        this.auth = new AuthHeaderSource(options.credentials, axios.create(common), this.url);
        this.http.interceptors.request.use(async (config) => {
            this.sent++;
            config.headers.set("Authorization", await this.auth.header());
            return config;
        });
        this.http.interceptors.response.use((res) => {
            const date = res.headers.date;
            if (typeof date === "string") this.serverDate = date;
            return res;
        });
        axiosRetry(this.http, {
            retries: options.retries ?? 8,
            shouldResetTimeout: true,
            retryCondition: (e: AxiosError) =>
                shouldRetry({ status: e.response?.status, code: e.code, idempotent: e.config?.snIdempotent === true }),
            retryDelay: (n: number, e: AxiosError) =>
                retryDelayMs(n, e.response?.headers as Record<string, unknown> | undefined, this.backoff),
        });
    }

    /** HTTP requests sent by this client so far, retries and token requests excluded from the latter. */
    get requestCount(): number {
        return this.sent;
    }

    /** The instance's clock at its latest answer (`Date` header), as ServiceNow stores datetimes: `YYYY-MM-DD HH:MM:SS` UTC. */
    get lastServerTime(): string | undefined {
        if (!this.serverDate) return undefined;
        const d = new Date(this.serverDate);
        return Number.isNaN(d.valueOf()) ? undefined : d.toISOString().slice(0, 19).replace("T", " ");
    }

    /** Reads one record; NotFoundError when it does not exist. */
    async getRecord(table: string, sysId: string, fields?: readonly string[]): Promise<SnRecord> {
        const res = await this.send(`GET ${table}/${sysId}`, {
            method: "GET",
            url: `/api/now/table/${enc(table)}/${enc(sysId)}`,
            params: readParams(fields),
        });
        return res.result as SnRecord;
    }

    /** One query, up to `limit` rows (no paging: use {@link pages} for large sets). */
    async query(table: string, options: QueryOptions = {}): Promise<SnRecord[]> {
        const res = await this.send(`GET ${table}`, {
            method: "GET",
            url: `/api/now/table/${enc(table)}`,
            params: {
                ...readParams(options.fields),
                sysparm_query: options.query ?? "",
                sysparm_limit: options.limit ?? 10000,
                sysparm_no_count: true,
                sysparm_suppress_pagination_header: true,
            },
        });
        return res.result as SnRecord[];
    }

    /**
     * Walks every row matching a query, a page at a time, by keyset (`sys_id>{last}^ORDERBYsys_id`): unlike offsets,
     * rows inserted or deleted while walking neither repeat nor get skipped.
     */
    async *pages(table: string, options: PageOptions = {}): AsyncGenerator<SnRecord[]> {
        const pageSize = options.pageSize ?? 2000;
        const fields = options.fields ? [...new Set(["sys_id", ...options.fields])] : undefined;
        let after: string | undefined;
        for (;;) {
            const rows = await this.query(table, {
                query: keysetQuery(options.query ?? "", after),
                fields,
                limit: pageSize,
            });
            if (rows.length > 0) yield rows;
            if (rows.length < pageSize) return;
            const last = rows[rows.length - 1]!.sys_id;
            if (!last || last === after) {
                throw new ServiceNowError(
                    `paging ${table} on ${this.url} did not advance past sys_id ${after}; the instance ignored the keyset order`,
                );
            }
            after = last;
        }
    }

    /** Counts rows with the Aggregate (Stats) API. */
    async count(table: string, query = ""): Promise<number> {
        const res = await this.send(`COUNT ${table}`, {
            method: "GET",
            url: `/api/now/stats/${enc(table)}`,
            params: { sysparm_count: true, sysparm_query: query },
        });
        const n = Number((res.result as { stats?: { count?: unknown } })?.stats?.count);
        if (!Number.isFinite(n)) throw new ServiceNowError(`the Stats API on ${this.url} gave no count for ${table}`);
        return n;
    }

    /** Inserts a record (after the fence); never retried after an ambiguous failure, since a POST may have run. */
    async insert(table: string, values: Record<string, string>): Promise<SnRecord> {
        await this.assertWritable(table);
        const res = await this.send(
            `POST ${table}`,
            { method: "POST", url: `/api/now/table/${enc(table)}`, data: values, params: writeParams() },
            false,
        );
        return res.result as SnRecord;
    }

    /** Updates fields of a record (PATCH, after the fence). */
    async update(table: string, sysId: string, values: Record<string, string>): Promise<SnRecord> {
        await this.assertWritable(table);
        const res = await this.send(`PATCH ${table}/${sysId}`, {
            method: "PATCH",
            url: `/api/now/table/${enc(table)}/${enc(sysId)}`,
            data: values,
            params: writeParams(),
        });
        return res.result as SnRecord;
    }

    /** Deletes a record (after the fence); a record already gone counts as deleted. */
    async remove(table: string, sysId: string): Promise<void> {
        await this.assertWritable(table);
        try {
            await this.send(`DELETE ${table}/${sysId}`, {
                method: "DELETE",
                url: `/api/now/table/${enc(table)}/${enc(sysId)}`,
            });
        } catch (e) {
            if (!(e instanceof NotFoundError)) throw e;
        }
    }

    /**
     * Applies many PATCHes through the Batch API in bounded chunks, chunks in parallel up to the concurrency limit.
     *
     * Items the instance leaves in `unserviced_requests` (its 30 s quota) or refuses transiently (429, 5xx) are sent
     * again in a later round. Records that no longer exist are reported as `missing`, not as failures.
     *
     * @throws BatchWriteError listing what was and was not written, when some items fail for good.
     */
    async batchUpdate(table: string, updates: readonly RecordUpdate[]): Promise<BatchResult> {
        for (const t of new Set([table, ...updates.map((u) => u.table ?? table)])) await this.assertWritable(t);
        const updated: string[] = [];
        const missing: string[] = [];
        const failures: { sysId: string; error: ServiceNowError }[] = [];
        let pending = [...updates];
        let idleRounds = 0;
        let throttledRounds = 0;
        while (pending.length > 0) {
            // Equal chunks (no small straggler) of at most batchSize, so parallel batch calls finish together.
            const count = Math.ceil(pending.length / this.batchSize);
            const size = Math.ceil(pending.length / count);
            const chunks: RecordUpdate[][] = [];
            for (let i = 0; i < pending.length; i += size) chunks.push(pending.slice(i, i + size));
            const retry: RecordUpdate[] = [];
            let throttled: Record<string, unknown> | undefined;
            const results = await Promise.allSettled(chunks.map((c) => this.sendBatch(table, c)));
            results.forEach((r, i) => {
                const chunk = chunks[i]!;
                if (r.status === "rejected") {
                    const error = r.reason instanceof ServiceNowError ? r.reason : new TransportError(String(r.reason));
                    for (const u of chunk) failures.push({ sysId: u.sysId, error });
                    return;
                }
                updated.push(...r.value.updated);
                missing.push(...r.value.missing);
                failures.push(...r.value.failures);
                retry.push(...r.value.retry);
                if (r.value.throttled) throttled = { ...throttled, ...r.value.throttled };
            });
            throttledRounds = throttled ? throttledRounds + 1 : 0;
            // Rounds continue while the instance makes progress (its quota services part of each batch); only
            // rounds in a row where nothing at all was serviced count towards giving up.
            idleRounds = retry.length === pending.length ? idleRounds + 1 : 0;
            if (retry.length > 0 && idleRounds >= BATCH_IDLE_ROUNDS) {
                const error = new TransportError(
                    `${retry.length} batch updates of ${table} on ${this.url} were still unserviced after ${BATCH_IDLE_ROUNDS} rounds without progress`,
                );
                for (const u of retry) failures.push({ sysId: u.sysId, error });
                break;
            }
            // Items refused by a rate limit wait what the limiter asks (or back off); unserviced ones go again at once.
            if (retry.length > 0 && throttled) await sleep(retryDelayMs(throttledRounds, throttled, this.backoff));
            else if (retry.length > 0 && idleRounds > 0) await sleep(retryDelayMs(idleRounds, undefined, this.backoff));
            pending = retry;
        }
        if (failures.length > 0) {
            const first = failures[0]!.error;
            throw new BatchWriteError(
                `${failures.length} of ${updates.length} updates of ${table} on ${this.url} failed; first: ${first.message}`,
                updated,
                failures.map((f) => f.sysId),
                { cause: first, status: first.status },
            );
        }
        return { updated, missing };
    }

    /** The live `instance_name` system property ("" when the instance has none). */
    async liveInstanceName(): Promise<string> {
        const rows = await this.query("sys_properties", { query: "name=instance_name", fields: ["value"], limit: 1 });
        return rows[0]?.value ?? "";
    }

    /**
     * The production fence: refuses (UnsafeTargetError) before any write request unless the live instance is the
     * declared one and allowed to take writes to this table. The identity is read once per client.
     */
    async assertWritable(table: string): Promise<void> {
        assertWritableTable(this.connection, this.url, table);
        this.fence ??= this.liveInstanceName().then((live) =>
            assertSafeTarget(
                {
                    connection: this.connection,
                    url: this.url,
                    declaredName: this.instanceName,
                    productionInstances: this.productionInstances,
                },
                live,
            ),
        );
        try {
            await this.fence;
        } catch (e) {
            // A refusal is final for this client; a failed read of the identity is tried again next time.
            if (!(e instanceof UnsafeTargetError)) this.fence = undefined;
            throw e;
        }
    }

    private async sendBatch(
        table: string,
        chunk: readonly RecordUpdate[],
    ): Promise<{
        updated: string[];
        missing: string[];
        retry: RecordUpdate[];
        failures: { sysId: string; error: ServiceNowError }[];
        /** Headers of a throttled item (Retry-After), when some item was refused by a rate limit. */
        throttled: Record<string, unknown> | undefined;
    }> {
        const byId = new Map<string, RecordUpdate>();
        const requests = chunk.map((u, i) => {
            const id = String(i + 1);
            byId.set(id, u);
            return {
                id,
                method: "PATCH",
                url: `/api/now/table/${enc(u.table ?? table)}/${enc(u.sysId)}?sysparm_fields=sys_id`,
                headers: [
                    { name: "Content-Type", value: "application/json" },
                    { name: "Accept", value: "application/json" },
                ],
                body: Buffer.from(JSON.stringify(u.values)).toString("base64"),
                // Headers only once throttling was seen: they carry Retry-After, and cost bytes on every item.
                exclude_response_headers: !this.itemHeaders,
            };
        });
        const body = await this.send(`BATCH PATCH ${table}`, {
            method: "POST",
            url: "/api/now/v1/batch",
            data: { batch_request_id: String(Date.now()), rest_requests: requests },
        });
        const out = {
            updated: [] as string[],
            missing: [] as string[],
            retry: [] as RecordUpdate[],
            failures: [] as { sysId: string; error: ServiceNowError }[],
            throttled: undefined as Record<string, unknown> | undefined,
        };
        const seen = new Set<string>();
        const served = (body as { serviced_requests?: unknown }).serviced_requests;
        for (const item of Array.isArray(served) ? served : []) {
            const {
                id,
                status_code: status,
                body: itemBody,
                headers,
            } = item as { id?: unknown; status_code?: unknown; body?: unknown; headers?: unknown };
            const u = byId.get(String(id));
            if (!u) continue;
            seen.add(String(id));
            const code = Number(status);
            if (code >= 200 && code < 300) out.updated.push(u.sysId);
            else if (code === 404) out.missing.push(u.sysId);
            else if (code === 429 || code === 502 || code === 503 || code === 504) {
                out.retry.push(u);
                if (code === 429) {
                    this.itemHeaders = true;
                    out.throttled = { ...out.throttled, ...headerObject(headers) };
                }
            } else {
                const detail = envelopeText(decodeBase64Json(itemBody));
                out.failures.push({
                    sysId: u.sysId,
                    error: errorForStatus(code, `PATCH ${table}/${u.sysId}`, this.url, detail),
                });
            }
        }
        // Whatever the answer did not mention (unserviced_requests, or silently dropped) is sent again.
        for (const [id, u] of byId) if (!seen.has(id)) out.retry.push(u);
        return out;
    }

    /**
     * Sends one request through the concurrency limit, retries (axios-retry) and auth renewal, and maps any failure to
     * the error tree. Batch calls carry only PATCHes, so they count as idempotent.
     */
    private async send(what: string, config: AxiosRequestConfig, idempotent = true): Promise<Record<string, unknown>> {
        return this.limit(async () => {
            const request: AxiosRequestConfig = {
                ...config,
                snIdempotent: idempotent,
                headers: {
                    Accept: "application/json",
                    "Content-Type": "application/json",
                    ...(config.headers as object),
                },
                responseType: "json",
            };
            let res: AxiosResponse;
            try {
                res = await this.attempt(what, request);
            } catch (e) {
                if (e instanceof ServiceNowError && e.status === 401 && this.auth.renewable) {
                    // An OAuth token can be revoked or expire early: fetch a new one and try exactly once more.
                    this.auth.invalidate();
                    res = await this.attempt(what, request);
                } else {
                    throw e;
                }
            }
            if (res.status === 204) return {};
            const type = String(res.headers["content-type"] ?? "");
            if (!type.includes("json") || res.data === null || typeof res.data !== "object") {
                throw new NonJsonResponseError(
                    `${what} on ${this.url} answered ${res.status} with ${type || "no content type"} instead of JSON; ` +
                        "a hibernating instance answers this way: wake it (sign in to the developer portal) and run again",
                    { status: res.status },
                );
            }
            const data = res.data as Record<string, unknown>;
            // Some failures come back with a 200 and an error envelope.
            if (data.error && !("result" in data) && !("serviced_requests" in data)) {
                throw errorForStatus(500, what, this.url, envelopeText(data));
            }
            return data;
        });
    }

    private async attempt(what: string, request: AxiosRequestConfig): Promise<AxiosResponse> {
        try {
            return await this.http.request(request);
        } catch (e) {
            throw this.toError(what, e);
        }
    }

    private toError(what: string, e: unknown): ServiceNowError {
        if (e instanceof ServiceNowError) return e;
        const ax = e as AxiosError;
        if (ax?.response) return errorForStatus(ax.response.status, what, this.url, envelopeText(ax.response.data));
        // Summarize: the axios error's config holds the Authorization header and must not travel as a cause.
        const code = ax?.code ?? "unknown network error";
        return new TransportError(`${what} on ${this.url} failed without an answer (${code}) after retries`);
    }
}

function validateUrl(raw: string, allowInsecureHttp: boolean): string {
    let u: URL;
    try {
        u = new URL(raw);
    } catch {
        throw new ConnectionConfigError(
            `instance URL "${raw}" is not a URL; give e.g. https://acme-dev.service-now.com`,
        );
    }
    if (u.username || u.password) {
        throw new ConnectionConfigError(
            `instance URL for ${u.host} carries credentials; remove them and set servicenow:username/password instead`,
        );
    }
    if (u.protocol === "http:" && !LOOPBACK.has(u.hostname) && !allowInsecureHttp) {
        throw new ConnectionConfigError(
            `refusing plain http to ${u.host}: credentials would cross the network unencrypted; use https, or set ` +
                "servicenow:allowInsecureHttp=true if you really mean it",
        );
    }
    if (u.protocol !== "http:" && u.protocol !== "https:") {
        throw new ConnectionConfigError(`instance URL ${u.origin} must use https`);
    }
    return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, "")}`;
}

function readParams(fields: readonly string[] | undefined): Record<string, string | boolean> {
    const p: Record<string, string | boolean> = { sysparm_exclude_reference_link: true };
    if (fields && fields.length > 0) p.sysparm_fields = fields.join(",");
    return p;
}

function writeParams(): Record<string, string | boolean> {
    return { sysparm_exclude_reference_link: true };
}

function enc(s: string): string {
    return encodeURIComponent(s);
}

/** Batch item headers (`[{name, value}]`) as an object with lower-case names. */
function headerObject(headers: unknown): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    if (Array.isArray(headers)) {
        for (const h of headers as { name?: unknown; value?: unknown }[]) {
            if (typeof h?.name === "string") out[h.name.toLowerCase()] = h.value;
        }
    }
    return out;
}

function decodeBase64Json(body: unknown): unknown {
    if (typeof body !== "string") return undefined;
    try {
        return JSON.parse(Buffer.from(body, "base64").toString("utf8"));
    } catch {
        return undefined;
    }
}

function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
}
