/**
 * The Batch API: `POST /api/now/v1/batch`, Base64 bodies, per-item status, and a time quota after which the
 * remaining items come back unserviced.
 */
import type { ApiRequest } from "./api-types";
import { type ApiResponse, errors, failure, json, STATUS_TEXT } from "./envelope";

/** One item of `rest_requests`. */
interface BatchItem {
    id?: unknown;
    method?: unknown;
    url?: unknown;
    headers?: { name?: string; value?: string }[];
    body?: unknown;
    exclude_response_headers?: unknown;
}

/** Runs one sub-request through the same path as a socket request (auth reused, faults and logging applied). */
export type SubDispatch = (req: ApiRequest) => Promise<ApiResponse>;

/** Options of the batch handler. */
export interface BatchOptions {
    /** Transaction quota in milliseconds ("REST Batch API request timeout", 30 s on the platform). */
    quotaMs: number;
    clock: () => number;
}

/** Answers one batch request. */
export async function batchApi(req: ApiRequest, dispatch: SubDispatch, opts: BatchOptions): Promise<ApiResponse> {
    if (req.method !== "POST") return errors.methodNotSupported(req.method);
    let payload: { batch_request_id?: unknown; rest_requests?: unknown };
    try {
        payload = JSON.parse(req.body) as typeof payload;
    } catch {
        return errors.badJson();
    }
    if (!payload || !Array.isArray(payload.rest_requests)) {
        return failure(400, "Invalid request", "rest_requests is required");
    }
    const started = opts.clock();
    const serviced: unknown[] = [];
    const unserviced: unknown[] = [];
    for (const item of payload.rest_requests as BatchItem[]) {
        if (opts.clock() - started >= opts.quotaMs) {
            unserviced.push(item);
            continue;
        }
        const t0 = opts.clock();
        const id = String(item.id ?? "");
        if (typeof item.method !== "string" || typeof item.url !== "string" || !item.id) {
            serviced.push(
                itemResult(id, failure(400, "Invalid request", "id, method and url are required"), t0, opts, true),
            );
            continue;
        }
        const url = new URL(item.url, "http://batch.invalid");
        const headers: Record<string, string | undefined> = {};
        for (const h of item.headers ?? []) if (h.name) headers[h.name.toLowerCase()] = h.value ?? "";
        if (url.pathname.includes("/batch")) {
            serviced.push(itemResult(id, errors.badUri(), t0, opts, item.exclude_response_headers === true));
            continue;
        }
        const body = typeof item.body === "string" ? Buffer.from(item.body, "base64").toString("utf8") : "";
        const res = await dispatch({
            method: item.method.toUpperCase(),
            pathname: url.pathname,
            search: url.search.slice(1),
            params: url.searchParams,
            headers,
            body,
            user: req.user,
        });
        serviced.push(itemResult(id, res, t0, opts, item.exclude_response_headers === true));
    }
    return json(200, {
        batch_request_id: payload.batch_request_id ?? "",
        serviced_requests: serviced,
        unserviced_requests: unserviced,
    });
}

function itemResult(id: string, res: ApiResponse, t0: number, opts: BatchOptions, excludeHeaders: boolean) {
    const headers = {
        ...res.headers,
        Pragma: "no-store,no-cache",
        Expires: "0",
        "Cache-control": "no-cache,no-store,must-revalidate,max-age=-1",
    };
    return {
        id,
        body: (typeof res.body === "string" ? Buffer.from(res.body, "utf8") : (res.body ?? Buffer.alloc(0))).toString(
            "base64",
        ),
        status_code: res.status,
        status_text: STATUS_TEXT[res.status] ?? "",
        headers: excludeHeaders ? [] : Object.entries(headers).map(([name, value]) => ({ name, value })),
        execution_time: opts.clock() - t0,
    };
}
