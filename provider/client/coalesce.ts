/**
 * Small reads issued at the same moment travel together in one Batch API call.
 *
 * Resolving an allow-list, checking a query against the data dictionary and reading the instance's identity are a
 * handful of tiny, independent GETs at each step of a short dependent chain (role names → the roles containing them →
 * their grants → group members). Sent one by one they cost a round trip and an API transaction each; the platform's
 * Batch API (`POST /api/now/v1/batch`) takes GET sub-requests as well as writes, so the reads of one step cost one
 * request. Only reads the caller marks as small coalesce: the instance services batch items one after another, so a
 * big page inside a batch would hold up the small reads next to it.
 *
 * DataLoader (a well-kept library for exactly this: collect the loads of one tick, dispatch them together) does the
 * collecting; this module decides how a batch goes out and what each read gets back.
 */
import DataLoader from "dataloader";
import {
    envelopeText,
    errorForStatus,
    NonJsonResponseError,
    RateLimitedError,
    ServiceNowError,
    TransportError,
    UntrustedCertificateError,
} from "../errors";
import { decodeBase64Json, headerObject, type Transport } from "./transport";

/** One GET of the Table API (or any REST API) to send alone or inside a batch. */
export interface SmallRead {
    /** What the read is, for messages, e.g. `GET sys_user_role`. */
    what: string;
    /** Path from the instance root, e.g. `/api/now/table/sys_user_role`. */
    path: string;
    params: Record<string, string | number | boolean>;
    /** Whether the caller needs the response headers (e.g. `X-Total-Count`). */
    headers?: boolean;
}

/** What a read got: the JSON envelope, and the headers (lower-case names; inside a batch only when asked for). */
export interface ReadAnswer {
    body: Record<string, unknown>;
    headers: Record<string, unknown>;
}

/** Sub-requests per batch of reads at most: a step of a lookup chain has a handful; this only bounds a burst. */
const MAX_READS_PER_BATCH = 25;

/** Item statuses that say "try again": the read is then sent on its own, with the transport's retries. */
const TRANSIENT = new Set([429, 502, 503, 504]);

/** Collects small reads of one tick and sends them as one request. */
export class ReadCoalescer {
    private readonly loader: DataLoader<SmallRead, ReadAnswer>;

    constructor(private readonly transport: Transport) {
        this.loader = new DataLoader((reads) => this.dispatch(reads), {
            // Callers cache what must be read once per operation; the loader only collects.
            cache: false,
            maxBatchSize: MAX_READS_PER_BATCH,
            // After the I/O callbacks and promise continuations of this turn: a chain whose previous step answered in
            // the same batch issues its next reads before the loader dispatches, so they travel together again.
            batchScheduleFn: (dispatch) => setImmediate(dispatch),
        });
    }

    /** Sends `read` alone, or with the other small reads issued at the same moment. */
    read(read: SmallRead): Promise<ReadAnswer> {
        return this.loader.load(read);
    }

    private async dispatch(reads: readonly SmallRead[]): Promise<(ReadAnswer | Error)[]> {
        if (reads.length === 1) return [await this.alone(reads[0]!).catch(asError)];
        let answers: (ReadAnswer | Error | undefined)[];
        try {
            answers = await this.together(reads);
        } catch (e) {
            // The instance is unreachable, asleep, untrusted, throttling or refuses the credentials: every read would
            // fail the same way, so each gets that error rather than a second round of retries.
            if (!fallsBack(e)) return reads.map(() => asError(e));
            // The Batch API itself is refused (an instance that restricts it): the reads go one by one.
            answers = reads.map(() => undefined);
        }
        return Promise.all(reads.map((r, i) => answers[i] ?? this.alone(r).catch(asError)));
    }

    /** Sends `read` on its own, now. */
    async alone(read: SmallRead): Promise<ReadAnswer> {
        const answer: { headers?: Record<string, unknown> } = {};
        const body = await this.transport.send(
            read.what,
            { method: "GET", url: read.path, params: read.params },
            true,
            answer,
        );
        return { body, headers: answer.headers ?? {} };
    }

    /** One Batch API call; undefined for a read the instance left unserviced or refused transiently. */
    private async together(reads: readonly SmallRead[]): Promise<(ReadAnswer | Error | undefined)[]> {
        const body = await this.transport.send(`BATCH GET ${[...new Set(reads.map((r) => r.what))].join(", ")}`, {
            method: "POST",
            url: "/api/now/v1/batch",
            data: {
                batch_request_id: String(Date.now()),
                rest_requests: reads.map((r, i) => ({
                    id: String(i + 1),
                    method: "GET",
                    url: `${r.path}?${new URLSearchParams(stringValues(r.params))}`,
                    headers: [{ name: "Accept", value: "application/json" }],
                    exclude_response_headers: !r.headers,
                })),
            },
        });
        const out: (ReadAnswer | Error | undefined)[] = reads.map(() => undefined);
        const served = (body as { serviced_requests?: unknown }).serviced_requests;
        for (const item of Array.isArray(served) ? served : []) {
            const { id, status_code, body: itemBody, headers } = item as Record<string, unknown>;
            const i = Number(id) - 1;
            const read = reads[i];
            if (!read) continue;
            const status = Number(status_code);
            if (TRANSIENT.has(status)) continue;
            const decoded = decodeBase64Json(itemBody);
            if (status >= 200 && status < 300 && decoded && typeof decoded === "object" && "result" in decoded) {
                out[i] = { body: decoded as Record<string, unknown>, headers: headerObject(headers) };
            } else if (status >= 200 && status < 300) {
                // A 200 with an error envelope, as the platform sometimes answers.
                out[i] = errorForStatus(500, read.what, this.transport.url, envelopeText(decoded));
            } else {
                out[i] = errorForStatus(status, read.what, this.transport.url, envelopeText(decoded));
            }
        }
        return out;
    }
}

/** True when a failed batch call may be replaced by the same reads sent one by one. */
function fallsBack(e: unknown): boolean {
    if (!(e instanceof ServiceNowError)) return false;
    const sameForEach = [TransportError, NonJsonResponseError, UntrustedCertificateError, RateLimitedError];
    if (sameForEach.some((kind) => e instanceof kind)) return false;
    return e.status !== undefined && e.status !== 401;
}

function asError(e: unknown): Error {
    return e instanceof Error ? e : new Error(String(e));
}

function stringValues(params: SmallRead["params"]): Record<string, string> {
    return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)]));
}
