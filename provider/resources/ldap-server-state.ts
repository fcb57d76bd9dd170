/**
 * LdapServerState: LDAP servers and their scheduled loads switched off (or on), a spec of the settings skeleton.
 */
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import {
    applyRecordChanges,
    type RecordClient,
    type RecordMemory,
    type RecordTarget,
    type Row,
    restoreRecordChanges,
    UndoJournal,
} from "../adopt";
import { ConnectionInput } from "../connection";
import { InputError } from "../errors";
import { settingsProvider, singletonId } from "../skeletons/settings";

/** Inputs of {@link ldapServerStateProvider}. */
export const LdapServerStateInputs = z.object({
    connection: ConnectionInput,
    servers: z
        .array(z.string().min(1, { error: "servers entries must be LDAP server names (ldap_server_config.name)" }))
        .min(1, { error: "servers must name at least one LDAP server; omit it to cover every LDAP server" })
        .optional(),
    active: z.boolean({ error: "active must be true or false (false: the servers are switched off)" }).default(false),
    includeScheduledLoads: z.boolean().default(true),
});
/** Normalized inputs. */
export type LdapServerStateInputs = z.infer<typeof LdapServerStateInputs>;

/** Outputs: inputs as live, what changed (for destroy), and which servers and loads are active now. */
export interface LdapServerStateOutputs extends LdapServerStateInputs {
    /** Previous field values of every record this resource changed. */
    previous: RecordMemory[];
    /** Names of the LDAP servers in scope. */
    serverNames: string[];
    /** In-scope servers whose `active` is not the desired value (empty when converged). */
    driftedServers: string[];
    /** Scheduled LDAP loads of in-scope servers still active when they should not be (empty when converged). */
    activeLoads: string[];
}

/** LDAP server configurations. */
export const LDAP_TABLE = "ldap_server_config";
/** Scheduled data imports (part of the sysauto family). */
export const LOAD_TABLE = "scheduled_import_set";

const INPUT_KEYS = ["connection", "servers", "active", "includeScheduledLoads"] as const;

/** Everything LdapServerState looks at, read in five small queries. */
export interface LdapSnapshot {
    servers: Row[];
    loads: Row[];
}

/** Reads the in-scope servers and their scheduled loads (server → OU definition → data source → scheduled import). */
export async function readLdapSnapshot(
    client: RecordClient,
    servers: readonly string[] | undefined,
): Promise<LdapSnapshot> {
    const all = await client.query(LDAP_TABLE, {
        query: "ORDERBYname",
        fields: ["sys_id", "name", "active", "listener"],
        limit: 10000,
    });
    if (servers) {
        const missing = servers.filter((n) => !all.some((r) => r.name === n));
        if (missing.length > 0) {
            const names = all.map((r) => `"${r.name}"`).join(", ") || "none";
            throw new InputError(
                `LDAP server ${missing.map((n) => `"${n}"`).join(", ")} in servers does not exist in ${LDAP_TABLE} (servers: ${names}); fix the name or omit servers to cover all`,
                { property: "servers", value: missing, fix: "fix the name or omit servers to cover all" },
            );
        }
    }
    const scoped = servers ? all.filter((r) => servers.includes(r.name ?? "")) : all;
    if (scoped.length === 0) return { servers: scoped, loads: [] };
    const ous = await client.query("ldap_ou_config", {
        query: `serverIN${scoped.map((r) => r.sys_id).join(",")}`,
        fields: ["sys_id"],
        limit: 10000,
    });
    if (ous.length === 0) return { servers: scoped, loads: [] };
    const sources = await client.query("sys_data_source", {
        query: `ldaptargetIN${ous.map((r) => r.sys_id).join(",")}`,
        fields: ["sys_id"],
        limit: 10000,
    });
    if (sources.length === 0) return { servers: scoped, loads: [] };
    const loads = await client.query(LOAD_TABLE, {
        query: `data_sourceIN${sources.map((r) => r.sys_id).join(",")}^ORDERBYname`,
        fields: ["sys_id", "name", "active"],
        limit: 10000,
    });
    return { servers: scoped, loads };
}

/** The writes that bring a snapshot to the desired state. */
export function planLdap(snapshot: LdapSnapshot, inputs: LdapServerStateInputs): RecordTarget[] {
    // An inactive server must not keep listening for changes either; turning one on leaves its listener as it was.
    const serverDesired: Row = inputs.active ? { active: "true" } : { active: "false", listener: "false" };
    const targets: RecordTarget[] = snapshot.servers.map((r) => ({
        table: LDAP_TABLE,
        sysId: r.sys_id ?? "",
        label: r.name,
        live: r,
        desired: serverDesired,
    }));
    if (inputs.includeScheduledLoads && !inputs.active) {
        for (const r of snapshot.loads) {
            targets.push({
                table: LOAD_TABLE,
                sysId: r.sys_id ?? "",
                label: r.name,
                live: r,
                desired: { active: "false" },
            });
        }
    }
    return targets;
}

function liveSummary(snapshot: LdapSnapshot, inputs: LdapServerStateInputs) {
    const want = String(inputs.active);
    return {
        serverNames: snapshot.servers.map((r) => r.name ?? ""),
        driftedServers: snapshot.servers.filter((r) => r.active !== want).map((r) => r.name ?? ""),
        activeLoads:
            inputs.includeScheduledLoads && !inputs.active
                ? snapshot.loads.filter((r) => r.active === "true").map((r) => r.name ?? "")
                : [],
    };
}

/** Converges LDAP servers and loads; records no longer in scope get their previous values back. */
export async function applyLdapServerState(
    client: RecordClient,
    inputs: LdapServerStateInputs,
    prior?: LdapServerStateOutputs,
    journal = new UndoJournal(),
): Promise<LdapServerStateOutputs> {
    const snapshot = await readLdapSnapshot(client, inputs.servers);
    const targets = planLdap(snapshot, inputs);
    let memory = prior?.previous ?? [];
    const inScope = new Set(targets.map((t) => `${t.table}:${t.sysId}`));
    const leaving = memory.filter((m) => !inScope.has(`${m.table}:${m.sysId}`));
    if (leaving.length > 0) {
        await restoreRecordChanges(client, leaving);
        memory = memory.filter((m) => inScope.has(`${m.table}:${m.sysId}`));
    }
    memory = await applyRecordChanges(client, targets, memory, journal);
    // Every target now has its desired values, so nothing in scope is drifted.
    return {
        ...inputs,
        previous: memory,
        serverNames: liveSummary(snapshot, inputs).serverNames,
        driftedServers: [],
        activeLoads: [],
    };
}

/** Live state shaped like the outputs, and the inputs that would produce it. */
export async function readLdapServerState(
    client: RecordClient,
    props: LdapServerStateOutputs,
): Promise<{ props: LdapServerStateOutputs; inputs: LdapServerStateInputs }> {
    // A server deleted since is not an error on read: scope to the ones that still exist.
    const all = await client.query(LDAP_TABLE, { query: "", fields: ["name"], limit: 10000 });
    const present = props.servers?.filter((n) => all.some((r) => r.name === n));
    const snapshot = await readLdapSnapshot(
        client,
        present && present.length > 0 ? present : props.servers ? [] : undefined,
    );
    const summary = liveSummary(snapshot, props);
    const inputs: LdapServerStateInputs = {
        connection: props.connection,
        ...(props.servers ? { servers: props.servers } : {}),
        // Any in-scope server off the desired value reads as the opposite setting, so the diff names `active`.
        active: summary.driftedServers.length > 0 ? !props.active : props.active,
        includeScheduledLoads: summary.activeLoads.length > 0 ? false : props.includeScheduledLoads,
    };
    return { props: { ...props, ...inputs, ...summary }, inputs };
}

/** Dynamic provider for `LdapServerState`. */
export const ldapServerStateProvider: pulumi.dynamic.ResourceProvider<LdapServerStateInputs, LdapServerStateOutputs> =
    settingsProvider<LdapServerStateInputs, LdapServerStateOutputs>({
        id: (inputs) => singletonId("ldap-server-state", inputs.connection),
        schema: LdapServerStateInputs,
        inputKeys: INPUT_KEYS,
        // Every named LDAP server must exist: resolved at check, before anything is written.
        async lookup(connect, inputs) {
            if (inputs.servers) await readLdapSnapshot(await connect(), inputs.servers);
            return [];
        },
        apply: applyLdapServerState,
        read: readLdapServerState,
        async restore(client, props) {
            await restoreRecordChanges(client, props.previous ?? []);
        },
    });
