import type { Authenticator, AuthUser } from "./auth";
import type { InstanceCost } from "./cost";
import type { InstanceDb } from "./db";

/** What an API handler knows about the instance it serves. */
export interface InstanceContext {
    name: string;
    db: InstanceDb;
    auth: Authenticator;
    /** The instance's cost model, API_INT semaphore and accounting. */
    cost: InstanceCost;
    /** Absolute base URL (scheme, host and port), for Location, Link and reference links. */
    baseUrl: string;
}

/** An authenticated API request, from the socket or from a batch item. */
export interface ApiRequest {
    method: string;
    pathname: string;
    /** The raw query string without `?`, kept so Link headers can repeat it. */
    search: string;
    params: URLSearchParams;
    /** Header names in lower case. */
    headers: Record<string, string | undefined>;
    body: string;
    user: AuthUser;
}
