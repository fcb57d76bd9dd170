/**
 * What every CI/CD route module shares: the handler contract and the platform's error answers.
 */
import type { ApiRequest, InstanceContext } from "../api-types";
import { type ApiResponse, failure } from "../envelope";
import type { CicdEngine, OperationSpec } from "./tracker";

/** What a route handler gets. */
export interface CicdCall {
    ctx: InstanceContext;
    req: ApiRequest;
    engine: CicdEngine;
    /** Captured path segments, URI-decoded. */
    args: string[];
    /** Starts an operation and answers with its Pending tracker, as every asynchronous endpoint does. */
    start(spec: OperationSpec): ApiResponse;
    /** Current time in the platform's date-time format. */
    now(): string;
}

/** One route of the CI/CD API. */
export interface CicdRoute {
    method: "GET" | "POST";
    /** Matched against the path after `/api/sn_cicd` (and the optional version). */
    path: RegExp;
    handle(call: CicdCall): ApiResponse | Promise<ApiResponse>;
}

/** A 400 naming a missing or bad parameter, as the platform's scripted endpoints answer. */
export function badRequest(message: string, detail: string | null = null): ApiResponse {
    return failure(400, message, detail);
}

/** The documented 404: "Not found. The requested item wasn't found." */
export function notFound(what: string): ApiResponse {
    return failure(404, "Not Found", `The requested item wasn't found: ${what}`);
}

/** The documented 405: "Invalid method. The functionality is inactive." */
export function inactive(what: string): ApiResponse {
    return failure(405, "Invalid method", `The functionality is inactive: ${what}`);
}
