/**
 * The clones into an environment's target, next to its Pulumi operations: the library behind
 * `sn-clone history <env> --clones`.
 */
import { type CloneHistoryEntry, readCloneHistory } from "../../provider/clone/history";
import { clientFor, configureConnections, resetConnections } from "../../provider/connection";
import { type EnvironmentOptions, type HistoryEntry, withEnvironment } from "./environment";

export type { CloneHistoryEntry } from "../../provider/clone/history";

/** An environment's history: its Pulumi operations and the clones into its target. */
export interface EnvironmentCloneHistory {
    environment: string;
    /** The target's instance_name as the stack declares it. */
    target: string;
    /** The source (clone requests are read there). */
    source: string;
    /** Pulumi operations, newest first. */
    operations: HistoryEntry[];
    /** Clones into the target, newest first. */
    clones: CloneHistoryEntry[];
}

/**
 * Reads the Pulumi operations of an environment and the clones into its target, as recorded on the source
 * (`sn_instance_clone_request`, and the legacy `clone_instance`): state, times, duration, profile, error and the
 * warnings of each clone's log. Read-only: nothing is written to either instance.
 *
 * The source connection comes from the stack's config (`servicenow:source*`) or the SERVICENOW_SOURCE_* environment
 * variables, as for `up`.
 *
 * @throws Error when the stack declares no target instance name or no source connection.
 */
export async function cloneHistory(opts: EnvironmentOptions & { limit?: number }): Promise<EnvironmentCloneHistory> {
    const limit = opts.limit ?? 20;
    return withEnvironment({ ...opts, create: false }, async (env) => {
        const operations = await env.history(limit);
        const config = await env.stack.getAllConfig();
        const get = (key: string): string | undefined => {
            const v = config[key]?.value;
            return v === undefined || v === "" ? undefined : v;
        };
        const target = get("servicenow:instanceName") ?? process.env.SERVICENOW_INSTANCE_NAME;
        if (!target) {
            throw new Error(
                `${opts.environment} declares no target instance name; set servicenow:instanceName so its clones can be found`,
            );
        }
        configureConnections({ get, require: (k: string) => get(k) ?? "" } as never);
        try {
            const source = await clientFor("source");
            const clones = await readCloneHistory(source, target, limit);
            return { environment: opts.environment, target, source: source.url, operations, clones };
        } finally {
            resetConnections();
        }
    });
}
