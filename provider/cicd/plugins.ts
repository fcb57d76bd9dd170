/**
 * Plugins as the client sees them: which are active (`v_plugin`, whose `active` is `active`/`inactive` on some
 * instances and `true`/`false` on others), and activation or rollback through the CI/CD API, one at a time.
 */
import { type CicdClient, type PollOptions, runCicdOperation } from "../client/cicd";

/** One plugin's live state. */
export interface PluginStatus {
    id: string;
    name: string;
    active: boolean;
}

/** True for either convention of `v_plugin.active`. */
export function isActiveValue(value: string | undefined): boolean {
    return value === "active" || value === "true";
}

/** The live state of the given plugin ids; ids the instance does not know are absent from the map. */
export async function readPlugins(
    client: Pick<CicdClient, "query">,
    ids: readonly string[],
): Promise<Map<string, PluginStatus>> {
    const out = new Map<string, PluginStatus>();
    if (ids.length === 0) return out;
    const rows = await client.query("v_plugin", { query: `idIN${ids.join(",")}`, fields: ["id", "name", "active"] });
    for (const r of rows) out.set(r.id ?? "", { id: r.id ?? "", name: r.name ?? "", active: isActiveValue(r.active) });
    return out;
}

/** Every active plugin id, sorted (the set captured before a clone). */
export async function activePluginIds(client: Pick<CicdClient, "query">): Promise<string[]> {
    const rows = await client.query("v_plugin", { query: "active=active^ORactive=true", fields: ["id", "active"] });
    return rows
        .filter((r) => isActiveValue(r.active))
        .map((r) => r.id ?? "")
        .filter(Boolean)
        .sort();
}

/** Activates one plugin and waits; the platform's message on failure. */
export async function activatePlugin(client: CicdClient, id: string, poll: Omit<PollOptions, "what">): Promise<void> {
    await runCicdOperation(
        client.cicd,
        { path: `/api/sn_cicd/plugin/${encodeURIComponent(id)}/activate` },
        { ...poll, what: `activation of plugin ${id} on ${client.url}` },
    );
}

/** Rolls one plugin back and waits (refused by the platform past its window or without a rollback context). */
export async function rollbackPlugin(client: CicdClient, id: string, poll: Omit<PollOptions, "what">): Promise<void> {
    await runCicdOperation(
        client.cicd,
        { path: `/api/sn_cicd/plugin/${encodeURIComponent(id)}/rollback` },
        { ...poll, what: `rollback of plugin ${id} on ${client.url}` },
    );
}
