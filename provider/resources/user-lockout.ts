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
 * The sys_ids of every allowed user: by role (granted directly or through a group), by group membership, by user name,
 * and by query; plus the connection's own user, so the policy can never lock out the account applying it.
 */
export async function allowedUsers(c: ServiceNowClient, inputs: UserLockoutInputs): Promise<AllowedRecords> {
    const exempt = new Set<string>();
    const notFound = (property: string, kind: string, value: string, fix: string): MissingEntry => ({
        property,
        value,
        reason: `${kind} "${value}" in ${property} does not exist on ${c.url}; ${fix}`,
    });
    const collect = async (table: string, query: string, field: string, into: Set<string>) => {
        for await (const page of c.pages(table, { query, fields: [field], pageSize: 5000 })) {
            for (const r of page) if (r[field]) into.add(r[field]!);
        }
    };

    // Independent relations are asked for at once; only role → containing roles → grants → members is a chain.
    const groupIdsByRole = async (): Promise<{ groups: Set<string>; missing: MissingEntry[] }> => {
        const roles = await namedIds(c, "sys_user_role", "name", inputs.allowRoles);
        const missing = inputs.allowRoles
            .filter((name) => !roles.has(name))
            .map((name) =>
                notFound("allowRoles", "role", name, "remove it or check its spelling (role names, e.g. admin)"),
            );
        const roleIds = await withContainingRoles(c, [...roles.values()]);
        const groups = new Set<string>();
        if (roleIds.length > 0) {
            // sys_user_has_role also carries inherited rows on a real instance; the group walk below covers instances
            // (and emulators) that do not materialize them.
            await Promise.all([
                collect("sys_user_has_role", inQuery("role", roleIds), "user", exempt),
                collect("sys_group_has_role", inQuery("role", roleIds), "group", groups),
            ]);
        }
        return { groups, missing };
    };
    const namedGroups = async (): Promise<{ groups: Set<string>; missing: MissingEntry[] }> => {
        const groups = await namedIds(c, "sys_user_group", "name", inputs.allowGroups);
        const missing = inputs.allowGroups
            .filter((name) => !groups.has(name))
            .map((name) => notFound("allowGroups", "group", name, "remove it or check its name (sys_user_group.name)"));
        return { groups: new Set(groups.values()), missing };
    };
    const byGroup = async (): Promise<MissingEntry[]> => {
        const [viaRoles, named] = await Promise.all([groupIdsByRole(), namedGroups()]);
        const groupIds = [...new Set([...viaRoles.groups, ...named.groups])];
        if (groupIds.length > 0) await collect("sys_user_grmember", inQuery("group", groupIds), "user", exempt);
        return [...viaRoles.missing, ...named.missing];
    };
    const byName = async (): Promise<MissingEntry[]> => {
        const named = [...inputs.allowUsers, ...(c.username ? [c.username] : [])];
        const users = await namedIds(c, "sys_user", "user_name", named);
        for (const id of users.values()) exempt.add(id);
        return inputs.allowUsers
            .filter((name) => !users.has(name))
            .map((name) => notFound("allowUsers", "user", name, "remove it or create the user first"));
    };
    const byQuery = async (): Promise<MissingEntry[]> => {
        if (!inputs.allowQuery) return [];
        let matched = 0;
        for await (const page of c.pages("sys_user", { query: inputs.allowQuery, fields: [], pageSize: 5000 })) {
            matched += page.length;
            for (const r of page) exempt.add(r.sys_id!);
        }
        if (matched > 0) return [];
        return [
            {
                property: "allowQuery",
                value: inputs.allowQuery,
                reason: `allowQuery "${inputs.allowQuery}" matches no user on ${c.url}; fix the query or remove it`,
            },
        ];
    };
    const missing = (await Promise.all([byGroup(), byName(), byQuery()])).flat();
    return { exempt, missing };
}

/**
 * Adds every role that contains an allowed role (sys_user_role_contains, transitively): a user holding `admin` holds
 * `itil` too, so `allowRoles: ["itil"]` must keep admins unlocked.
 */
async function withContainingRoles(c: ServiceNowClient, roleIds: readonly string[]): Promise<string[]> {
    const all = new Set(roleIds);
    let frontier = [...roleIds];
    while (frontier.length > 0) {
        const next: string[] = [];
        for await (const page of c.pages("sys_user_role_contains", {
            query: inQuery("contains", frontier),
            fields: ["role"],
        })) {
            for (const r of page) {
                if (r.role && !all.has(r.role)) {
                    all.add(r.role);
                    next.push(r.role);
                }
            }
        }
        frontier = next;
    }
    return [...all];
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
        });
        for (const r of rows) if (r[field] !== undefined) out.set(r[field]!, r.sys_id!);
    }
    return out;
}
