/**
 * Credentials and the Authorization header: Basic, or OAuth (password, client_credentials, refresh_token grants).
 */
import type { AxiosInstance } from "axios";
import { AuthError, envelopeText, NonJsonResponseError, TransportError } from "../errors";

/** Basic authentication with a ServiceNow user. */
export interface BasicCredentials {
    kind: "basic";
    username: string;
    password: string;
}

/**
 * OAuth through the instance's `oauth_token.do`: the password grant when username and password are set, else
 * client_credentials (which the instance must enable).
 */
export interface OAuthCredentials {
    kind: "oauth";
    clientId: string;
    clientSecret: string;
    username?: string;
    password?: string;
}

/** Either way of authenticating. */
export type Credentials = BasicCredentials | OAuthCredentials;

/** Seconds before expiry at which a token is refreshed rather than used. */
const REFRESH_MARGIN_S = 60;

/**
 * Produces the Authorization header for each request, fetching and refreshing OAuth tokens as needed.
 *
 * Tokens live only in this object's memory, never in state or messages.
 */
export class AuthHeaderSource {
    private accessToken: string | undefined;
    private refreshToken: string | undefined;
    private expiresAt = 0;
    private pending: Promise<string> | undefined;

    /**
     * @param http a bare axios instance for the token endpoint (no auth interceptor, no retries of POSTs).
     * @param baseUrl the instance URL, used in messages.
     */
    constructor(
        private readonly credentials: Credentials,
        private readonly http: AxiosInstance,
        private readonly baseUrl: string,
        private readonly now: () => number = Date.now,
    ) {}

    /** True when a 401 can be cured by fetching a new token (Basic credentials cannot change). */
    get renewable(): boolean {
        return this.credentials.kind === "oauth";
    }

    /** The header value for the next request. */
    async header(): Promise<string> {
        const c = this.credentials;
        if (c.kind === "basic") return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString("base64")}`;
        if (this.accessToken && this.now() < this.expiresAt - REFRESH_MARGIN_S * 1000)
            return `Bearer ${this.accessToken}`;
        // One token request at a time, however many requests are waiting for it.
        this.pending ??= this.fetchToken(c).finally(() => {
            this.pending = undefined;
        });
        return `Bearer ${await this.pending}`;
    }

    /** Forgets the access token after the instance refused it, so the next header() fetches a new one. */
    invalidate(): void {
        this.accessToken = undefined;
        this.expiresAt = 0;
    }

    private async fetchToken(c: OAuthCredentials): Promise<string> {
        if (this.refreshToken) {
            try {
                return await this.grant(c, { grant_type: "refresh_token", refresh_token: this.refreshToken });
            } catch (e) {
                // An expired or revoked refresh token: fall back to the original grant below.
                if (!(e instanceof AuthError)) throw e;
                this.refreshToken = undefined;
            }
        }
        if (c.username && c.password) {
            return this.grant(c, { grant_type: "password", username: c.username, password: c.password });
        }
        return this.grant(c, { grant_type: "client_credentials" });
    }

    private async grant(c: OAuthCredentials, params: Record<string, string>): Promise<string> {
        const form = new URLSearchParams({ ...params, client_id: c.clientId, client_secret: c.clientSecret });
        const grant = params.grant_type;
        let res: { status: number; data: unknown; headers?: Record<string, unknown> };
        try {
            res = await this.http.post("/oauth_token.do", form.toString(), {
                headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
                validateStatus: () => true,
            });
        } catch (e) {
            const code = (e as { code?: string }).code ?? "network error";
            throw new TransportError(`OAuth ${grant} token request to ${this.baseUrl} failed (${code})`);
        }
        const body = (res.data ?? {}) as {
            access_token?: unknown;
            refresh_token?: unknown;
            expires_in?: unknown;
            error?: unknown;
            error_description?: unknown;
        };
        // Not an answer about the credentials: the instance (or a proxy in front of it) is unavailable, asleep, or
        // answered something that is not the token endpoint's JSON. Never reported as refused credentials.
        if (res.status === 429 || res.status >= 500) {
            throw new TransportError(
                `OAuth ${grant} token request to ${this.baseUrl} failed: the instance answered ${res.status} (unavailable, ` +
                    "not a verdict on the credentials); check that the instance is up and run again",
                { status: res.status },
            );
        }
        const type = String(res.headers?.["content-type"] ?? "");
        if (res.status === 200 && (typeof res.data === "string" || (type !== "" && !type.includes("json")))) {
            throw new NonJsonResponseError(
                `OAuth ${grant} token request to ${this.baseUrl} answered ${res.status} with ${type || "no content type"} ` +
                    "instead of JSON; a hibernating instance answers this way: wake it (sign in to the developer portal) and run again",
                { status: res.status },
            );
        }
        if (res.status !== 200 || typeof body.access_token !== "string") {
            const said =
                typeof body.error === "string"
                    ? `${body.error}${typeof body.error_description === "string" ? `: ${body.error_description}` : ""}`
                    : (envelopeText(body) ?? "no token in the answer");
            throw new AuthError(
                `OAuth ${grant} grant on ${this.baseUrl} was refused (${res.status}, ${said}); check servicenow:clientId/clientSecret` +
                    (grant === "client_credentials"
                        ? " and that the instance enables the client_credentials grant"
                        : " and the user credentials"),
                { status: res.status },
            );
        }
        this.accessToken = body.access_token;
        if (typeof body.refresh_token === "string") this.refreshToken = body.refresh_token;
        const lifetime = Number(body.expires_in);
        this.expiresAt = this.now() + (Number.isFinite(lifetime) && lifetime > 0 ? lifetime : 1800) * 1000;
        return body.access_token;
    }
}
