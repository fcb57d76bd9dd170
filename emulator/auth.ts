/**
 * Who is calling: Basic credentials or OAuth bearer tokens, resolved to a user and the roles they hold.
 */
import { randomBytes } from "node:crypto";
import type { DbChange, InstanceDb } from "./db";
import { eq } from "./query";
import type { TableAcl } from "./schema";
import { type Row, secretMatches } from "./values";

/** An authenticated caller. */
export interface AuthUser {
    sysId: string;
    userName: string;
    /** Role names held directly or through groups. */
    roles: ReadonlySet<string>;
}

/** An issued OAuth access token. */
interface TokenGrant {
    userSysId: string;
    clientId: string;
    expiresAt: number;
}

const IDENTITY_TABLES = new Set([
    "sys_user",
    "customer_contact",
    "sys_user_has_role",
    "sys_user_grmember",
    "sys_group_has_role",
    "sys_user_role",
    "sys_user_group",
    "oauth_entity",
]);

/** Tables whose rows define who holds which role; a change to one of these can change anyone's roles. */
const ROLE_DEFINITION_TABLES = new Set(["sys_group_has_role", "sys_user_role", "sys_user_group"]);

/**
 * Authentication and role resolution for one instance.
 *
 * Successful credential checks and role sets are cached per user and dropped only for the user a change concerns
 * (a new password or user name, a role grant or group membership), so a write to one user costs the same at
 * 100,000 users as at 1,000 and no request after it rescans sys_user. Active and locked-out states are read from
 * the user's row on every request, so they need no invalidation.
 */
export class Authenticator {
    private readonly db: InstanceDb;
    private readonly clock: () => number;
    private readonly basicCache = new Map<string, string>();
    /** The cached credentials of each user, so a password change forgets exactly those. */
    private readonly credentialsOf = new Map<string, Set<string>>();
    private readonly roleCache = new Map<string, ReadonlySet<string>>();
    private readonly accessTokens = new Map<string, TokenGrant>();
    private readonly refreshTokens = new Map<string, TokenGrant>();

    /** Watches `db` for identity changes. */
    constructor(db: InstanceDb, clock: () => number = Date.now) {
        this.db = db;
        this.clock = clock;
        db.subscribe((c) => this.forgetWhatChanged(c));
    }

    private forgetWhatChanged(c: DbChange): void {
        if (c.kind === "restore" || (c.kind === "replace" && IDENTITY_TABLES.has(c.table))) {
            this.basicCache.clear();
            this.credentialsOf.clear();
            this.roleCache.clear();
            return;
        }
        if (!IDENTITY_TABLES.has(c.table)) return;
        if (ROLE_DEFINITION_TABLES.has(c.table)) {
            this.roleCache.clear();
            return;
        }
        if (c.table === "sys_user_has_role" || c.table === "sys_user_grmember") {
            for (const user of [c.row?.user, c.previous?.user]) if (user) this.roleCache.delete(user);
            return;
        }
        if (c.table === "sys_user" || c.table === "customer_contact") {
            const id = (c.row ?? c.previous)?.sys_id;
            if (!id) return;
            const credentialsChanged =
                c.kind === "delete" ||
                c.row?.user_password !== c.previous?.user_password ||
                c.row?.user_name !== c.previous?.user_name;
            if (c.kind !== "insert" && credentialsChanged) {
                for (const credential of this.credentialsOf.get(id) ?? []) this.basicCache.delete(credential);
                this.credentialsOf.delete(id);
            }
            if (c.kind === "delete") this.roleCache.delete(id);
        }
    }

    /**
     * Resolves an Authorization header to a user, or undefined (the caller answers 401).
     *
     * Inactive and locked-out users are refused, as the platform refuses their logins.
     */
    authenticate(authorization: string | undefined): AuthUser | undefined {
        if (!authorization) return undefined;
        const space = authorization.indexOf(" ");
        const scheme = authorization.slice(0, space).toLowerCase();
        const credential = authorization.slice(space + 1).trim();
        let userSysId: string | undefined;
        if (scheme === "basic") {
            userSysId = this.basicCache.get(credential);
            if (!userSysId) {
                const decoded = Buffer.from(credential, "base64").toString("utf8");
                const colon = decoded.indexOf(":");
                if (colon < 0) return undefined;
                userSysId = this.checkPassword(decoded.slice(0, colon), decoded.slice(colon + 1))?.sys_id;
                if (userSysId) {
                    this.basicCache.set(credential, userSysId);
                    const known = this.credentialsOf.get(userSysId) ?? new Set<string>();
                    known.add(credential);
                    this.credentialsOf.set(userSysId, known);
                }
            }
        } else if (scheme === "bearer") {
            const grant = this.accessTokens.get(credential);
            if (grant && grant.expiresAt > this.clock()) userSysId = grant.userSysId;
            else if (grant) this.accessTokens.delete(credential);
        }
        if (!userSysId) return undefined;
        const user = this.db.get("sys_user", userSysId);
        if (!user || !canLogIn(user)) return undefined;
        return { sysId: user.sys_id!, userName: user.user_name!, roles: this.rolesOf(user.sys_id!) };
    }

    /** The user whose name and password match and who may log in. */
    checkPassword(userName: string, password: string): Row | undefined {
        const user = this.db.query("sys_user", eq("user_name", userName), { limit: 1 })[0];
        if (!user || !canLogIn(user) || !secretMatches(user.user_password, password)) return undefined;
        return user;
    }

    /** Role names a user holds directly or through group membership. */
    rolesOf(userSysId: string): ReadonlySet<string> {
        const cached = this.roleCache.get(userSysId);
        if (cached) return cached;
        const roleName = (id: string) => this.db.lookup("sys_user_role", id)?.name;
        const roles = new Set<string>();
        for (const r of this.db.query("sys_user_has_role", `user=${userSysId}`)) {
            const n = roleName(r.role!);
            if (n) roles.add(n);
        }
        const groups = this.db.query("sys_user_grmember", `user=${userSysId}`).map((m) => m.group!);
        if (groups.length > 0) {
            for (const g of this.db.query("sys_group_has_role", `groupIN${groups.join(",")}`)) {
                const n = roleName(g.role!);
                if (n) roles.add(n);
            }
        }
        this.roleCache.set(userSysId, roles);
        return roles;
    }

    /** Issues an access token (and a refresh token unless `withRefresh` is false). */
    issue(
        userSysId: string,
        client: Row,
        withRefresh: boolean,
    ): { access: string; refresh?: string; expiresIn: number } {
        const lifespan = Number(client.access_token_lifespan || "1800");
        const refreshLifespan = Number(client.refresh_token_lifespan || "8640000");
        const access = randomBytes(32).toString("base64url");
        const now = this.clock();
        this.accessTokens.set(access, { userSysId, clientId: client.client_id!, expiresAt: now + lifespan * 1000 });
        let refresh: string | undefined;
        if (withRefresh) {
            refresh = randomBytes(32).toString("base64url");
            this.refreshTokens.set(refresh, {
                userSysId,
                clientId: client.client_id!,
                expiresAt: now + refreshLifespan * 1000,
            });
        }
        // The platform reports one second less than the configured lifespan (1799 for the default 1800).
        return { access, refresh, expiresIn: Math.max(0, lifespan - 1) };
    }

    /** The user behind a live refresh token issued to this client. */
    redeemRefresh(token: string, clientId: string): string | undefined {
        const grant = this.refreshTokens.get(token);
        if (!grant || grant.clientId !== clientId || grant.expiresAt <= this.clock()) return undefined;
        return grant.userSysId;
    }
}

/** True when the user is active and not locked out. */
export function canLogIn(user: Row): boolean {
    return user.active === "true" && user.locked_out !== "true";
}

/** True when a user passes a role list: admin passes everything; an empty list admits anyone authenticated. */
export function allowed(user: AuthUser, roles: TableAcl["read"]): boolean {
    if (user.roles.has("admin")) return true;
    if (roles.length === 0) return true;
    return roles.some((r) => user.roles.has(r));
}
