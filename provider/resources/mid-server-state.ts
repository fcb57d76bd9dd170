/**
 * MidServerState: MID server users, roles, queued ECC output and clone issues put right after a clone, a spec of
 * the settings skeleton.
 */

import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import {
    applyRecordChanges,
    insertNoted,
    type RecordClient,
    type RecordMemory,
    type RecordTarget,
    type Row,
    restoreRecordChanges,
    UndoJournal,
} from "../adopt";
import { eqQuery, inQuery } from "../client/query";
import { ConnectionInput } from "../connection";
import { InputError } from "../errors";
import { settingsProvider, singletonId } from "../skeletons/settings";

/** Inputs of {@link midServerStateProvider}. */
export const MidServerStateInputs = z.object({
    connection: ConnectionInput,
    midServers: z
        .array(z.string().min(1, { error: "midServers entries must be MID server names (ecc_agent.name)" }))
        .min(1, { error: "midServers must name at least one MID server; omit it to cover every MID server" })
        .optional(),
    users: z.array(z.string().min(1, { error: "users entries must be user names (sys_user.user_name)" })).optional(),
    role: z.string().min(1, { error: 'role must be a role name such as "mid_server"' }).default("mid_server"),
    clearEccQueue: z.boolean().default(true),
    resolveCloneIssues: z.boolean().default(false),
});
/** Normalized inputs. */
export type MidServerStateInputs = z.infer<typeof MidServerStateInputs>;

/** Outputs: inputs as live, what changed, and the MID servers' health. */
export interface MidServerStateOutputs extends MidServerStateInputs {
    /** Previous values of records changed, and records created (users, role grants), for destroy. */
    previous: RecordMemory[];
    /** User names ensured (the `users` input, or the user each in-scope MID server logs in as). */
    ensuredUsers: string[];
    /** User names this resource had to create (they have no password yet: set it to the MID's config.xml one). */
    createdUsers: string[];
    /** MID servers whose status is Down. */
    downMidServers: string[];
    /** Unresolved MID issues raised by the clone, as `<mid server>: <message>`. */
    cloneIssues: string[];
    /** ECC output entries still waiting for the MID servers. */
    pendingEccOutput: number;
}

const INPUT_KEYS = ["connection", "midServers", "users", "role", "clearEccQueue", "resolveCloneIssues"] as const;
/** The ECC queue `agent` of a MID server is `mid.server.<name>`. */
export const agentOf = (midName: string): string => `mid.server.${midName}`;
/** Issue source the platform's post-clone job writes. */
export const CLONE_ISSUE_SOURCE = "InstanceClone";
/** State of a resolved MID issue. */
export const RESOLVED = "resolved";

/** Everything MidServerState looks at. */
export interface MidSnapshot {
    agents: Row[];
    users: Map<string, Row>;
    role: Row | undefined;
    grants: Row[];
    ecc: Row[];
    issues: Row[];
}

/** Reads the MID servers in scope, their users, role grants, pending ECC output and clone issues. */
export async function readMidSnapshot(client: RecordClient, inputs: MidServerStateInputs): Promise<MidSnapshot> {
    const all = await client.query("ecc_agent", {
        query: "ORDERBYname",
        fields: ["sys_id", "name", "status", "user_name"],
        limit: 10000,
    });
    if (inputs.midServers) {
        const missing = inputs.midServers.filter((n) => !all.some((r) => r.name === n));
        if (missing.length > 0) {
            throw new InputError(
                `MID server ${missing.map((n) => `"${n}"`).join(", ")} in midServers does not exist in ecc_agent (MID servers: ${all.map((r) => `"${r.name}"`).join(", ") || "none"}); fix the name or omit midServers`,
                { property: "midServers", value: missing, fix: "fix the name or omit midServers" },
            );
        }
    }
    const agents = inputs.midServers ? all.filter((r) => inputs.midServers!.includes(r.name ?? "")) : all;
    const names = expectedUsers(agents, inputs);
    const users = new Map<string, Row>();
    if (names.length > 0) {
        const rows = await client.query("sys_user", {
            query: inQuery("user_name", names),
            fields: ["sys_id", "user_name", "active", "locked_out"],
            limit: names.length + 10,
        });
        for (const r of rows) if (r.user_name) users.set(r.user_name, r);
    }
    const [role] = await client.query("sys_user_role", {
        query: eqQuery("name", inputs.role),
        fields: ["sys_id", "name"],
        limit: 1,
    });
    const ids = [...users.values()].map((u) => u.sys_id);
    const grants =
        role && ids.length > 0
            ? await client.query("sys_user_has_role", {
                  query: `role=${role.sys_id}^userIN${ids.join(",")}`,
                  fields: ["sys_id", "user", "role"],
                  limit: 10000,
              })
            : [];
    const agentNames = agents.map((a) => agentOf(a.name ?? ""));
    const ecc =
        agentNames.length > 0
            ? await client.query("ecc_queue", {
                  query: `queue=output^state=ready^${inQuery("agent", agentNames)}`,
                  fields: ["sys_id", "agent", "state"],
                  limit: 10000,
              })
            : [];
    const agentIds = agents.map((a) => a.sys_id);
    const issues =
        agentIds.length > 0
            ? (
                  await client.query("ecc_agent_issue", {
                      query: `source=${CLONE_ISSUE_SOURCE}^mid_serverIN${agentIds.join(",")}`,
                      fields: ["sys_id", "mid_server", "message", "state"],
                      limit: 10000,
                  })
              ).filter((r) => (r.state ?? "").toLowerCase() !== RESOLVED)
            : [];
    return { agents, users, role, grants, ecc, issues };
}

/** The user names to ensure: the input, else the distinct users the in-scope MID servers log in as. */
export function expectedUsers(agents: readonly Row[], inputs: MidServerStateInputs): string[] {
    if (inputs.users) return [...inputs.users];
    return [...new Set(agents.map((a) => a.user_name ?? "").filter((n) => n.length > 0))].sort();
}

function summary(s: MidSnapshot, inputs: MidServerStateInputs) {
    const byId = new Map(s.agents.map((a) => [a.sys_id, a.name ?? ""]));
    return {
        ensuredUsers: expectedUsers(s.agents, inputs),
        downMidServers: s.agents.filter((a) => (a.status ?? "").toLowerCase() === "down").map((a) => a.name ?? ""),
        cloneIssues: s.issues.map((i) => `${byId.get(i.mid_server) ?? i.mid_server}: ${i.message ?? ""}`),
        pendingEccOutput: s.ecc.length,
    };
}

/** True when a user exists, is active, not locked out, and holds the role. */
function userReady(s: MidSnapshot, name: string): boolean {
    const u = s.users.get(name);
    return (
        u !== undefined &&
        u.active === "true" &&
        u.locked_out !== "true" &&
        s.grants.some((g) => g.user === u.sys_id && g.role === s.role?.sys_id)
    );
}

/** Refuses a role that does not exist (the snapshot found no `sys_user_role` row by that name). */
function requireRole(s: MidSnapshot, inputs: MidServerStateInputs): asserts s is MidSnapshot & { role: Row } {
    if (!s.role) {
        throw new InputError(
            `role "${inputs.role}" does not exist in sys_user_role; fix role (the platform's MID role is "mid_server")`,
            {
                property: "role",
                value: inputs.role,
                fix: 'use an existing role; the platform\'s MID role is "mid_server"',
            },
        );
    }
}

/** Converges MID users, ECC output and (optionally) clone issues; a failed first apply undoes what it did. */
export async function applyMidServerState(
    client: RecordClient,
    inputs: MidServerStateInputs,
    prior?: MidServerStateOutputs,
    journal = new UndoJournal(),
): Promise<MidServerStateOutputs> {
    const s = await readMidSnapshot(client, inputs);
    requireRole(s, inputs);
    let memory = [...(prior?.previous ?? [])];
    const createdUsers = [...(prior?.createdUsers ?? [])];
    const targets: RecordTarget[] = [];
    for (const name of expectedUsers(s.agents, inputs)) {
        let user = s.users.get(name);
        if (!user) {
            // The clone replaced sys_user with production's, which may not have this MID's user.
            const inserted = await insertNoted(
                client,
                "sys_user",
                { user_name: name, first_name: "MID Server", last_name: name, active: "true" },
                journal,
                name,
            );
            user = inserted.row;
            memory.push(inserted.memory);
            if (!createdUsers.includes(name)) createdUsers.push(name);
        } else {
            targets.push({
                table: "sys_user",
                sysId: user.sys_id ?? "",
                label: name,
                live: user,
                desired: { active: "true", locked_out: "false" },
            });
        }
        if (!s.grants.some((g) => g.user === user.sys_id)) {
            const grant = await insertNoted(
                client,
                "sys_user_has_role",
                { user: user.sys_id ?? "", role: s.role.sys_id ?? "" },
                journal,
                `${name}/${inputs.role}`,
            );
            memory.push(grant.memory);
        }
    }
    if (inputs.clearEccQueue) {
        for (const e of s.ecc) {
            // Marked processed rather than deleted, so destroy can put the queue back exactly.
            targets.push({
                table: "ecc_queue",
                sysId: e.sys_id ?? "",
                label: e.agent,
                live: e,
                desired: { state: "processed" },
            });
        }
    }
    if (inputs.resolveCloneIssues) {
        for (const i of s.issues) {
            targets.push({
                table: "ecc_agent_issue",
                sysId: i.sys_id ?? "",
                label: i.message,
                live: i,
                desired: { state: RESOLVED },
            });
        }
    }
    memory = await applyRecordChanges(client, targets, memory, journal);
    const sum = summary(s, inputs);
    return {
        ...inputs,
        previous: memory,
        createdUsers,
        ...sum,
        pendingEccOutput: inputs.clearEccQueue ? 0 : sum.pendingEccOutput,
        cloneIssues: inputs.resolveCloneIssues ? [] : sum.cloneIssues,
    };
}

/** Live state shaped like the outputs, and the inputs that would produce it. */
export async function readMidServerState(
    client: RecordClient,
    props: MidServerStateOutputs,
): Promise<{ props: MidServerStateOutputs; inputs: MidServerStateInputs }> {
    const s = await readMidSnapshot(client, props);
    const sum = summary(s, props);
    // A user missing, inactive, locked out or without the role reads as absent from `users`, so the diff names it.
    const ready = sum.ensuredUsers.filter((n) => userReady(s, n));
    const inputs: MidServerStateInputs = {
        connection: props.connection,
        ...(props.midServers ? { midServers: props.midServers } : {}),
        ...(props.users || ready.length !== sum.ensuredUsers.length ? { users: ready } : {}),
        role: props.role,
        clearEccQueue: props.clearEccQueue && sum.pendingEccOutput === 0,
        resolveCloneIssues: props.resolveCloneIssues && sum.cloneIssues.length === 0,
    };
    return { props: { ...props, ...sum, ...inputs }, inputs };
}

/** Dynamic provider for `MidServerState`. */
export const midServerStateProvider: pulumi.dynamic.ResourceProvider<MidServerStateInputs, MidServerStateOutputs> =
    settingsProvider<MidServerStateInputs, MidServerStateOutputs>({
        id: (inputs) => singletonId("mid-server-state", inputs.connection),
        schema: MidServerStateInputs,
        inputKeys: INPUT_KEYS,
        // Every MID server and the role must exist: resolved at check, before anything is written.
        async lookup(connect, inputs) {
            requireRole(await readMidSnapshot(await connect(), inputs), inputs);
            return [];
        },
        apply: applyMidServerState,
        read: readMidServerState,
        async restore(client, props) {
            await restoreRecordChanges(client, props.previous ?? []);
        },
    });
