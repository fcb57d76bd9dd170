/**
 * What a clone does to the CI/CD area's tables, beyond copying them: the platform "clones only the copies of the
 * application … that are installed on the source", so an application missing from the source is deleted from the
 * target with its files even where a preserver would keep them, and plugin activation is the source's (the clone
 * replaces the database activation lives in). Execution trackers copied from the source do not run on the target.
 */
import type { Row } from "../values";

/** The part of an instance's database the rules read. */
export interface CloneRulesSource {
    query(table: string, encodedQuery?: string): Row[];
    schema: { has(table: string): boolean; find(table: string): { root: string } | undefined };
}

/** Tables whose rows are the source's, whatever the profile preserves. */
const SOURCE_OWNED = ["sys_plugins", "v_plugin"];

/**
 * Applies the rules to the staged copy (rows per hierarchy root) before it replaces the target's tables.
 *
 * @returns the scopes of the target's applications the clone removes because the source does not have them
 */
export function applyCicdCloneRules(
    staging: Map<string, Row[]>,
    source: CloneRulesSource,
    target: CloneRulesSource,
): string[] {
    const apps = (db: CloneRulesSource) => (db.schema.has("sys_app") ? db.query("sys_app") : []);
    const sourceApps = new Set(apps(source).map((a) => a.sys_id));
    const removed = apps(target).filter((a) => !sourceApps.has(a.sys_id));
    const removedIds = new Set(removed.map((a) => a.sys_id));
    if (removedIds.size > 0) {
        for (const [root, rows] of staging) {
            if (rows.some((r) => removedIds.has(r.sys_id) || removedIds.has(r.sys_scope ?? ""))) {
                staging.set(
                    root,
                    rows.filter(
                        (r) => !removedIds.has(r.sys_scope ?? "") && !(root === "sys_app" && removedIds.has(r.sys_id)),
                    ),
                );
            }
        }
    }
    for (const table of SOURCE_OWNED) {
        const root = source.schema.find(table)?.root;
        if (root && staging.has(root)) staging.set(root, source.query(table));
    }
    const trackers = staging.get("sys_execution_tracker");
    if (trackers) {
        staging.set(
            "sys_execution_tracker",
            trackers.map((t) =>
                t.state === "0" || t.state === "1"
                    ? { ...t, state: "4", message: "Canceled: the instance was cloned over while the operation waited" }
                    : t,
            ),
        );
    }
    return removed.map((a) => a.scope ?? a.sys_id!);
}
