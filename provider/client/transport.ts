/**
 * The transport of the ServiceNow client: one axios instance per client with auth (Basic or OAuth, renewed once on a
 * 401), the concurrency limit, retries with backoff, and the mapping of every failure to the error tree.
 */
import * as http from "node:http";
import * as https from "node:https";
import axios, { type AxiosError, type AxiosInstance, type AxiosRequestConfig, type AxiosResponse } from "axios";
import axiosRetry from "axios-retry";
import pLimit, { type LimitFunction } from "p-limit";
import {
    ConnectionConfigError,
    envelopeText,
    errorForStatus,
    NonJsonResponseError,
    ServiceNowError,
    TransportError,
    UntrustedCertificateError,
} from "../errors";
import { AuthHeaderSource, type Credentials } from "./auth";
import { type BackoffOptions, retryDelayMs, shouldRetry } from "./retry";

declare module "axios" {
    interface AxiosRequestConfig {
        /** True when sending this request twice has the same effect as once; governs retries of ambiguous failures. */
        snIdempotent?: boolean;
    }
}

/** Settings of the transport (the connection's URL, credentials and tuning). */
export interface TransportOptions {
    /** Instance base URL, e.g. `https://acme-dev.service-now.com`. */
    url: string;
    credentials: Credentials;
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
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

/** Sends requests to one instance; the Table, Aggregate and Batch APIs are built on it. */
export class Transport {
    /** Instance origin, without trailing slash. */
    readonly url: string;
    /** The ServiceNow user the client acts as, when known (Basic, or the OAuth password grant). */
    readonly username: string | undefined;
    /** Backoff between retries (the Batch API's rounds use it too). */
    readonly backoff: BackoffOptions;
    private readonly http: AxiosInstance;
    private readonly auth: AuthHeaderSource;
    private readonly limit: LimitFunction;
    private sent = 0;
    private serverDate: string | undefined;

    constructor(options: TransportOptions) {
        this.url = validateUrl(options.url, options.allowInsecureHttp ?? false);
        this.username = options.credentials.username;
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

    /**
     * Sends one request through the concurrency limit, retries (axios-retry) and auth renewal, and maps any failure to
     * the error tree. Batch calls carry only PATCHes, so they count as idempotent.
     */
    async send(what: string, config: AxiosRequestConfig, idempotent = true): Promise<Record<string, unknown>> {
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
        const tls = TLS_FAILURES[code];
        if (tls) return new UntrustedCertificateError(`${what} on ${this.url} failed: ${tls} (${code})`);
        return new TransportError(`${what} on ${this.url} failed without an answer (${code}) after retries`);
    }
}

/** Node's certificate verification codes, each with what it means and what to do. */
const UNTRUSTED_ISSUER =
    "the instance's TLS certificate is not trusted. If it comes from a private CA (or a TLS-inspecting proxy), " +
    "point NODE_EXTRA_CA_CERTS at that CA's PEM file in the environment that runs pulumi or sn-clone; do not turn " +
    "verification off";
const TLS_FAILURES: Record<string, string> = {
    UNABLE_TO_VERIFY_LEAF_SIGNATURE: UNTRUSTED_ISSUER,
    UNABLE_TO_GET_ISSUER_CERT: UNTRUSTED_ISSUER,
    UNABLE_TO_GET_ISSUER_CERT_LOCALLY: UNTRUSTED_ISSUER,
    SELF_SIGNED_CERT_IN_CHAIN: UNTRUSTED_ISSUER,
    DEPTH_ZERO_SELF_SIGNED_CERT: UNTRUSTED_ISSUER,
    CERT_UNTRUSTED: UNTRUSTED_ISSUER,
    CERT_HAS_EXPIRED: "the instance's TLS certificate has expired; renew it (or check the machine's clock)",
    ERR_TLS_CERT_ALTNAME_INVALID:
        "the instance's TLS certificate is issued for another host name; check servicenow:instanceUrl",
};

/** Checks an instance URL: a URL, no credentials in it, https unless loopback or allowed. */
export function validateUrl(raw: string, allowInsecureHttp: boolean): string {
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

/** Query parameters of a read: references as plain sys_ids, and the columns when given. */
export function readParams(fields: readonly string[] | undefined): Record<string, string | boolean> {
    const p: Record<string, string | boolean> = { sysparm_exclude_reference_link: true };
    if (fields && fields.length > 0) p.sysparm_fields = fields.join(",");
    return p;
}

/** Query parameters of a write: the answer carries references as plain sys_ids. */
export function writeParams(): Record<string, string | boolean> {
    return { sysparm_exclude_reference_link: true };
}

/** One URL path segment, encoded. */
export function enc(s: string): string {
    return encodeURIComponent(s);
}

/** Batch item headers (`[{name, value}]`) as an object with lower-case names. */
export function headerObject(headers: unknown): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    if (Array.isArray(headers)) {
        for (const h of headers as { name?: unknown; value?: unknown }[]) {
            if (typeof h?.name === "string") out[h.name.toLowerCase()] = h.value;
        }
    }
    return out;
}

/** A Batch API item body (base64 JSON) decoded, or undefined when it is not one. */
export function decodeBase64Json(body: unknown): unknown {
    if (typeof body !== "string") return undefined;
    try {
        return JSON.parse(Buffer.from(body, "base64").toString("utf8"));
    } catch {
        return undefined;
    }
}

/** Waits; used between Batch API rounds. */
export function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
}
