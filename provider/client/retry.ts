/**
 * When to send a failed request again, and after how long: pure functions, so the policy tests without a server.
 *
 * The client plugs these into axios-retry (chosen over a hand-written loop: it re-sends through the same axios
 * instance and interceptors, so auth and request counting apply to every attempt).
 */

/** Status codes that mean "the instance did not do it; try again later". */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

/** Network failures after which the request may or may not have reached the instance. */
const AMBIGUOUS_NETWORK_CODES = new Set([
    "ECONNRESET",
    "ETIMEDOUT",
    "ECONNABORTED",
    "EPIPE",
    "ERR_SOCKET_CONNECTION_TIMEOUT",
]);

/** Network failures that prove the request never reached the instance. */
const UNSENT_NETWORK_CODES = new Set(["ECONNREFUSED", "EAI_AGAIN", "ENOTFOUND", "EHOSTUNREACH", "ENETUNREACH"]);

/** What the retry policy needs to know about a failed attempt. */
export interface FailedAttempt {
    /** HTTP status, when the instance answered. */
    status?: number;
    /** Node or axios error code, when it did not (ECONNRESET, ETIMEDOUT, ...). */
    code?: string;
    /** True when sending the same request twice has the same effect as once (GET, PUT, PATCH, DELETE, batch of PATCHes). */
    idempotent: boolean;
}

/**
 * Decides whether an attempt may be repeated.
 *
 * A 429 is always safe: the rate limiter refuses before the request runs. A 5xx gateway error, a reset or a timeout
 * may hide a request that did run, so those are repeated only for idempotent requests: a POST that inserts a record
 * is never blindly sent twice.
 */
export function shouldRetry(attempt: FailedAttempt): boolean {
    if (attempt.status === 429) return true;
    if (attempt.status !== undefined) return RETRYABLE_STATUSES.has(attempt.status) && attempt.idempotent;
    if (attempt.code && UNSENT_NETWORK_CODES.has(attempt.code)) return true;
    if (attempt.code && AMBIGUOUS_NETWORK_CODES.has(attempt.code)) return attempt.idempotent;
    return false;
}

/** Backoff settings. */
export interface BackoffOptions {
    /** First backoff step in milliseconds. @default 200 */
    baseDelayMs?: number;
    /** No single wait exceeds this, whatever the server asks. @default 30000 */
    maxDelayMs?: number;
}

/**
 * How long to wait before retry number `retryNumber` (1-based).
 *
 * A server hint wins: `Retry-After` in seconds or as an HTTP date, else `X-RateLimit-Reset` (a UNIX timestamp in
 * seconds). Otherwise exponential backoff with full jitter, so concurrent workers hitting the same limit spread out.
 */
export function retryDelayMs(
    retryNumber: number,
    headers: Record<string, unknown> | undefined,
    options: BackoffOptions = {},
    now: number = Date.now(),
    random: () => number = Math.random,
): number {
    const base = options.baseDelayMs ?? 200;
    const cap = options.maxDelayMs ?? 30_000;
    const hinted = serverHintMs(headers, now);
    if (hinted !== undefined) return Math.min(cap, hinted + Math.floor(random() * base));
    const ceiling = Math.min(cap, base * 2 ** Math.max(0, retryNumber - 1));
    return Math.floor(random() * ceiling);
}

/** The wait a 429 or 503 asks for, from `Retry-After` or `X-RateLimit-Reset`, in milliseconds. */
export function serverHintMs(
    headers: Record<string, unknown> | undefined,
    now: number = Date.now(),
): number | undefined {
    if (!headers) return undefined;
    const retryAfter = header(headers, "retry-after");
    if (retryAfter !== undefined) {
        const seconds = Number(retryAfter);
        if (Number.isFinite(seconds) && retryAfter.trim() !== "") return Math.max(0, seconds * 1000);
        const date = Date.parse(retryAfter);
        if (!Number.isNaN(date)) return Math.max(0, date - now);
    }
    const reset = header(headers, "x-ratelimit-reset");
    if (reset !== undefined) {
        const epochSeconds = Number(reset);
        if (Number.isFinite(epochSeconds) && epochSeconds > 0) return Math.max(0, epochSeconds * 1000 - now);
    }
    return undefined;
}

function header(headers: Record<string, unknown>, name: string): string | undefined {
    const direct = headers[name] ?? headers[name.toLowerCase()];
    if (direct !== undefined && direct !== null) return String(direct);
    for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name && v != null) return String(v);
    return undefined;
}
