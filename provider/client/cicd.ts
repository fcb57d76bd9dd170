/**
 * The CI/CD API (`/api/sn_cicd/...`) as the client calls it: a starting POST is never retried after an ambiguous
 * failure (it may have started an operation), and an answer that carries a `result` is returned whatever its status,
 * since the API reports a refused operation as data (`result.status` "3" with the reason in `result.error`).
 */
import type { Transport } from "./transport";

/** The CI/CD API of one instance. */
export class CicdApi {
    constructor(private readonly transport: Transport) {}

    /**
     * Calls one CI/CD endpoint and returns the parsed body.
     *
     * @param path the full path, e.g. `/api/sn_cicd/testsuite/run`.
     * @throws ServiceNowError subclasses for answers without a `result` (unknown path, missing role, not found).
     */
    call(method: "GET" | "POST", path: string, params: Record<string, string> = {}): Promise<Record<string, unknown>> {
        return this.transport.send(
            `${method} ${path}`,
            { method, url: path, params, validateStatus: (s) => (s >= 200 && s < 300) || s === 405 || s === 409 },
            method === "GET",
        );
    }
}
