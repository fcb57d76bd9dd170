/**
 * Response shapes shared by every API: the platform's error envelope and the internal response record.
 */

/** A response before it is written to a socket (or Base64-encoded into a batch item). */
export interface ApiResponse {
    status: number;
    headers: Record<string, string>;
    /** Undefined for responses without a body (204, HEAD, `X-no-response-body`); UTF-8 when a Buffer. */
    body?: string | Buffer;
    /** Records returned (read), which the cost model charges per record. */
    records?: number;
    /** Records inserted, updated or deleted, which the cost model charges per record. */
    written?: number;
}

/** The JSON content type the platform sends. */
export const JSON_TYPE = "application/json;charset=UTF-8";

/** A JSON response. */
export function json(status: number, payload: unknown, headers: Record<string, string> = {}): ApiResponse {
    return { status, headers: { "Content-Type": JSON_TYPE, ...headers }, body: JSON.stringify(payload) };
}

/** The platform's error envelope: `{"error":{"message","detail"},"status":"failure"}`. */
export function failure(status: number, message: string, detail: string | null, headers: Record<string, string> = {}) {
    return json(status, { error: { message, detail }, status: "failure" }, headers);
}

/** Byte-exact bodies of the documented error cases. */
export const errors = {
    notFound: () => failure(404, "No Record found", "Record doesn't exist or ACL restricts the record retrieval"),
    invalidTable: (table: string) => failure(400, `Invalid table ${table}`, `Table ${table} does not exist`),
    unauthenticated: () => failure(401, "User Not Authenticated", "Required to provide Auth information"),
    aclWrite: (op: "Insert" | "Update" | "Delete") =>
        failure(403, "Operation Failed", `ACL Exception ${op} Failed due to security constraints`),
    aclQuery: () => failure(403, "Insufficient rights to query records", null),
    badUri: () => failure(400, "Requested URI does not represent any resource", null),
    badJson: () => failure(400, "Exception while reading request", "The payload is not valid JSON."),
    methodNotSupported: (method: string) =>
        failure(405, "Method not Supported", `${method} method not supported for API`),
};

/** Status texts for batch items. */
export const STATUS_TEXT: Record<number, string> = {
    200: "OK",
    201: "Created",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
};
