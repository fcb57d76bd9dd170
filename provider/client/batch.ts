/**
 * The Batch API (`/api/now/v1/batch`): many PATCHes in bounded chunks, rounds for what the instance leaves unserviced
 * or throttles, and one BatchWriteError naming what was and was not written.
 */
import { BatchWriteError, envelopeText, errorForStatus, ServiceNowError, TransportError } from "../errors";
import { retryDelayMs } from "./retry";
import type { BeforeWrite } from "./table";
import { decodeBase64Json, enc, headerObject, sleep, type Transport } from "./transport";

/** One update of a {@link BatchApi.batchUpdate}. */
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

/** Rounds in a row in which the instance services none of the pending batch items before a batch update gives up. */
const BATCH_IDLE_ROUNDS = 8;

/** The Batch API of one instance. */
export class BatchApi {
    private itemHeaders = false;

    constructor(
        private readonly transport: Transport,
        private readonly beforeWrite: BeforeWrite,
        /** Sub-requests per Batch API call at most. */
        readonly batchSize: number,
    ) {}

    /**
     * Applies many PATCHes through the Batch API in bounded chunks, chunks in parallel up to the concurrency limit.
     *
     * Items the instance leaves in `unserviced_requests` (its 30 s quota) or refuses transiently (429, 5xx) are sent
     * again in a later round. Records that no longer exist are reported as `missing`, not as failures.
     *
     * @throws BatchWriteError listing what was and was not written, when some items fail for good.
     */
    async batchUpdate(table: string, updates: readonly RecordUpdate[]): Promise<BatchResult> {
        for (const t of new Set([table, ...updates.map((u) => u.table ?? table)])) await this.beforeWrite(t);
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
                    `${retry.length} batch updates of ${table} on ${this.transport.url} were still unserviced after ${BATCH_IDLE_ROUNDS} rounds without progress`,
                );
                for (const u of retry) failures.push({ sysId: u.sysId, error });
                break;
            }
            // Items refused by a rate limit wait what the limiter asks (or back off); unserviced ones go again at once.
            if (retry.length > 0 && throttled)
                await sleep(retryDelayMs(throttledRounds, throttled, this.transport.backoff));
            else if (retry.length > 0 && idleRounds > 0)
                await sleep(retryDelayMs(idleRounds, undefined, this.transport.backoff));
            pending = retry;
        }
        if (failures.length > 0) {
            const first = failures[0]!.error;
            throw new BatchWriteError(
                `${failures.length} of ${updates.length} updates of ${table} on ${this.transport.url} failed; first: ${first.message}`,
                updated,
                failures.map((f) => f.sysId),
                { cause: first, status: first.status },
            );
        }
        return { updated, missing };
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
        const body = await this.transport.send(`BATCH PATCH ${table}`, {
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
                    error: errorForStatus(code, `PATCH ${table}/${u.sysId}`, this.transport.url, detail),
                });
            }
        }
        // Whatever the answer did not mention (unserviced_requests, or silently dropped) is sent again.
        for (const [id, u] of byId) if (!seen.has(id)) out.retry.push(u);
        return out;
    }
}
