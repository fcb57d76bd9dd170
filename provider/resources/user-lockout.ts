/**
 * UserLockout: every user in scope locked out except the allowed ones; destroy unlocks exactly those it locked.
 */
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import type { MissingEntry } from "../bulk/policy";
import type { ChangeRecord, FlagField } from "../bulk/reconcile";
import type { ServiceNowClient } from "../client/client";
import { inQuery, queryFields } from "../client/query";
import { ConnectionInput } from "../connection";
import { type AllowedRecords, bulkPolicyProvider } from "../skeletons/bulk";

// ---- schema ----

/** Inputs of a UserLockout. */
export const UserLockoutInputs = z.object({
    connection: ConnectionInput,
    scope: z
        .string()
        .default("active=true")
        .refine((q) => !queryFields(q).includes("locked_out"), {
            message:
                "scope must not filter on locked_out: the resource manages that field; filter on other fields such as active or department",
        }),
    allowRoles: z
        .array(z.string().min(1, "a role name cannot be empty"))
        .min(1, "allowRoles cannot be empty: keep at least one role (usually admin) able to sign in")
        .default(["admin"]),
    allowGroups: z.array(z.string().min(1, "a group name cannot be empty")).default([]),
    allowUsers: z.array(z.string().min(1, "a user name cannot be empty")).default([]),
    allowQuery: z.string().default(""),
    allowOverlap: z.boolean().default(false),
});

// ---- types ----

/** Normalized inputs. */
export type UserLockoutInputs = z.infer<typeof UserLockoutInputs>;

/** Outputs: the inputs, counts, and the compact record of which users this resource locked. */
export interface UserLockoutOutputs extends UserLockoutInputs, ChangeRecord {
    /** Users this resource locked out that are locked out now. */
    lockedCount: number;
    /** Users in scope left unlocked because an allow-list names them. */
    allowedCount: number;
    /** Users the policy covers that are not locked out (0 when converged; drift otherwise). */
    unlockedCount: number;
    /** Users this resource locked that the policy no longer covers and that are still locked out. */
    pendingUnlockCount: number;
    /** The user names of up to five users the last read found unlocked against the policy. */
    unlockedUsers: string[];
}

// ---- constants ----

const FLAG: FlagField = { table: "sys_user", field: "locked_out", enforced: "true", original: "false" };
const INPUT_KEYS = [
    "connection",
    "scope",
    "allowRoles",
    "allowGroups",
    "allowUsers",
    "allowQuery",
    "allowOverlap",
] as const;

// ---- provider ----

/** The UserLockout dynamic provider (loaded through the shim; holds no client or credential). */
export const userLockoutProvider: pulumi.dynamic.ResourceProvider<UserLockoutInputs, UserLockoutOutputs> =
    bulkPolicyProvider<UserLockoutInputs, UserLockoutOutputs>({
        schema: UserLockoutInputs,
        inputKeys: INPUT_KEYS,
        idPrefix: "userlockout",
        flag: FLAG,
        queries: ["scope", "allowQuery"],
        allowed: allowedUsers,
        countNames: {
            changedCount: "lockedCount",
            exemptCount: "allowedCount",
            driftCount: "unlockedCount",
            pendingRevertCount: "pendingUnlockCount",
        },
        driftSample: { field: "user_name", output: "unlockedUsers" },
    });

// ---- helpers ----

/**
 * The sys_ids of every allowed user: by role (granted directly, through a group, or through a role that contains it),
 * by group membership, by user name, and by query; plus the connection's own user, so the policy can never lock out
 * the account applying it.
 *
 * The reads go in steps, every read of a step at once (one Batch API call, provider/client/coalesce.ts). Dot-walks
 * (`role.name`, `group.name`, `contains.name`) ask for grants, memberships and containing roles by name, so the first
 * step needs no sys_ids; a later step only follows what the previous one found: the members of groups that hold an
 * allowed role, and roles that contain one (transitively), with their grants.
 */
export async function allowedUsers(c: ServiceNowClient, inputs: UserLockoutInputs): Promise<AllowedRecords> {
    const exempt = new Set<string>();
    const notFound = (property: string, kind: string, value: string, fix: string): MissingEntry => ({
        property,
        value,
        reason: `${kind} "${value}" in ${property} does not exist on ${c.url}; ${fix}`,
    });
    /** The values of `field` in every row a query matches. */
    const values = async (table: string, query: string, field: string): Promise<Set<string>> => {
        const out = new Set<string>();
        for await (const page of c.pages(table, { query, fields: [field], pageSize: 5000, coalesce: true })) {
            for (const r of page) if (r[field]) out.add(r[field]!);
        }
        return out;
    };
    const addAll = (ids: Iterable<string>) => {
        for (const id of ids) exempt.add(id);
    };
    const none = Promise.resolve(new Set<string>());

    // Step 1: everything that can be asked by name.
    const roleNames = inputs.allowRoles;
    const groupNames = inputs.allowGroups;
    const byRoleName = roleNames.length > 0;
    const [roles, groups, containing, grantedUsers, grantingGroups, members, missingUsers, missingQuery] =
        await Promise.all([
            namedIds(c, "sys_user_role", "name", roleNames),
            namedIds(c, "sys_user_group", "name", groupNames),
            byRoleName ? values("sys_user_role_contains", inQuery("contains.name", roleNames), "role") : none,
            byRoleName ? values("sys_user_has_role", inQuery("role.name", roleNames), "user") : none,
            byRoleName ? values("sys_group_has_role", inQuery("role.name", roleNames), "group") : none,
            groupNames.length > 0 ? values("sys_user_grmember", inQuery("group.name", groupNames), "user") : none,
            byName(c, inputs.allowUsers, exempt, notFound),
            byQuery(c, inputs.allowQuery, exempt),
        ]);
    addAll(grantedUsers);
    addAll(members);

    // Later steps: members of the groups that hold an allowed role (sys_user_has_role also carries such inherited
    // grants on a real instance; the walk covers instances that do not materialize them), and the roles containing
    // an allowed role, transitively: a user holding `admin` holds `itil` too, so `allowRoles: ["itil"]` keeps admins.
    const allowedRoleIds = new Set(roles.values());
    const knownRoles = new Set([...allowedRoleIds, ...containing]);
    const membersRead = new Set(groups.values());
    let frontier = [...containing].filter((r) => !allowedRoleIds.has(r));
    let pendingGroups = [...grantingGroups].filter((g) => !membersRead.has(g));
    while (frontier.length > 0 || pendingGroups.length > 0) {
        for (const g of pendingGroups) membersRead.add(g);
        const walk = frontier.length > 0;
        const [users, more, holders, viaGroups] = await Promise.all([
            walk ? values("sys_user_has_role", inQuery("role", frontier), "user") : none,
            walk ? values("sys_user_role_contains", inQuery("contains", frontier), "role") : none,
            walk ? values("sys_group_has_role", inQuery("role", frontier), "group") : none,
            pendingGroups.length > 0 ? values("sys_user_grmember", inQuery("group", pendingGroups), "user") : none,
        ]);
        addAll(users);
        addAll(viaGroups);
        frontier = [...more].filter((r) => !knownRoles.has(r));
        for (const r of frontier) knownRoles.add(r);
        pendingGroups = [...holders].filter((g) => !membersRead.has(g));
    }

    const missing = [
        ...roleNames
            .filter((name) => !roles.has(name))
            .map((name) =>
                notFound("allowRoles", "role", name, "remove it or check its spelling (role names, e.g. admin)"),
            ),
        ...groupNames
            .filter((name) => !groups.has(name))
            .map((name) => notFound("allowGroups", "group", name, "remove it or check its name (sys_user_group.name)")),
        ...missingUsers,
        ...missingQuery,
    ];
    return { exempt, missing };
}

/** Users named in allowUsers (and the connection's own user) into `exempt`; the names that matched nothing. */
async function byName(
    c: ServiceNowClient,
    allowUsers: readonly string[],
    exempt: Set<string>,
    notFound: (property: string, kind: string, value: string, fix: string) => MissingEntry,
): Promise<MissingEntry[]> {
    const users = await namedIds(c, "sys_user", "user_name", [...allowUsers, ...(c.username ? [c.username] : [])]);
    for (const id of users.values()) exempt.add(id);
    return allowUsers
        .filter((name) => !users.has(name))
        .map((name) => notFound("allowUsers", "user", name, "remove it or create the user first"));
}

/** Users matching allowQuery into `exempt`; a query that matches nobody is reported. */
async function byQuery(c: ServiceNowClient, allowQuery: string, exempt: Set<string>): Promise<MissingEntry[]> {
    if (!allowQuery) return [];
    let matched = 0;
    for await (const page of c.pages("sys_user", { query: allowQuery, fields: [], pageSize: 5000, coalesce: true })) {
        matched += page.length;
        for (const r of page) exempt.add(r.sys_id!);
    }
    if (matched > 0) return [];
    return [
        {
            property: "allowQuery",
            value: allowQuery,
            reason: `allowQuery "${allowQuery}" matches no user on ${c.url}; fix the query or remove it`,
        },
    ];
}

/** Looks names up in one request per 100 names: name to sys_id. */
async function namedIds(
    c: ServiceNowClient,
    table: string,
    field: string,
    names: readonly string[],
): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const unique = [...new Set(names)];
    for (let i = 0; i < unique.length; i += 100) {
        const chunk = unique.slice(i, i + 100);
        const rows = await c.query(table, {
            query: inQuery(field, chunk),
            fields: ["sys_id", field],
            limit: chunk.length * 2,
            coalesce: true,
        });
        for (const r of rows) if (r[field] !== undefined) out.set(r[field]!, r.sys_id!);
    }
    return out;
}
