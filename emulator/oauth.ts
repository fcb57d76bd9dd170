/**
 * `POST /oauth_token.do`: password, client_credentials and refresh_token grants, form-encoded.
 */
import type { Authenticator } from "./auth";
import { canLogIn } from "./auth";
import type { InstanceDb } from "./db";
import { type ApiResponse, json } from "./envelope";
import { eq } from "./query";
import { secretMatches } from "./values";

/** The widely reported failure body, returned with 401 for every refused grant. */
const DENIED = { error_description: "access_denied", error: "server_error" };

/** Answers a token request. */
export function tokenEndpoint(db: InstanceDb, auth: Authenticator, body: string): ApiResponse {
    const form = new URLSearchParams(body);
    const denied = json(401, DENIED);
    const clientId = form.get("client_id") ?? "";
    const client = clientId
        ? db.query("oauth_entity", `${eq("client_id", clientId)}^active=true`, { limit: 1 })[0]
        : undefined;
    if (!client || !secretMatches(client.client_secret, form.get("client_secret") ?? "")) return denied;
    let userSysId: string | undefined;
    let withRefresh = true;
    switch (form.get("grant_type")) {
        case "password":
            if (db.getProperty("glide.oauth.inbound.ropc.grant_type.disabled") === "true") return denied;
            userSysId = auth.checkPassword(form.get("username") ?? "", form.get("password") ?? "")?.sys_id;
            break;
        case "client_credentials": {
            // Disabled unless the property exists and is true, and the entity names an OAuth Application User.
            if (db.getProperty("glide.oauth.inbound.client.credential.grant_type.enabled") !== "true") return denied;
            const appUser = client.application_user ? db.get("sys_user", client.application_user) : undefined;
            userSysId = appUser && canLogIn(appUser) ? appUser.sys_id : undefined;
            withRefresh = false;
            break;
        }
        case "refresh_token":
            userSysId = auth.redeemRefresh(form.get("refresh_token") ?? "", clientId);
            if (userSysId) {
                const u = db.get("sys_user", userSysId);
                if (!u || !canLogIn(u)) userSysId = undefined;
            }
            break;
        default:
            return denied;
    }
    if (!userSysId) return denied;
    const t = auth.issue(userSysId, client, withRefresh);
    const out: Record<string, unknown> = { scope: "useraccount", token_type: "Bearer", expires_in: t.expiresIn };
    if (t.refresh) out.refresh_token = t.refresh;
    out.access_token = t.access;
    return json(200, out, { "Cache-Control": "no-store", Pragma: "no-cache" });
}
