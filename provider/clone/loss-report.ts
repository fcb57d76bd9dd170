/**
 * What a clone would destroy on its target, read before it is requested: non-empty in-progress update sets (by scope
 * and age), retrieved sets not yet committed, scoped applications the source does not have, and plugins active on the
 * target but not on the source, each marked with whether the profile's "preserve in-progress update sets for N days"
 * option keeps it (the platform's option covers global sets only). Reads only; writes nothing.
 */
import type { ServiceNowClient } from "../client/client";

/** The part of the client the report reads with. */
export type LossReader = Pick<ServiceNowClient, "query" | "count" | "url">;

/** The kinds of work a clone can destroy. */
export type LossKind = "update-set" | "retrieved-set" | "app" | "plugin";

/** One piece of work on the target. */
export interface LossItem {
    kind: LossKind;
    /** Update set or app name, or plugin id. */
    name: string;
    /** `global` or the application's scope. */
    scope: string;
    /** Days since last change (update sets), 0 otherwise. */
    ageDays: number;
    /** Customer updates in the set (update sets), 0 otherwise. */
    updates: number;
    /** True when the clone keeps it (the preserve option); false when it is lost. */
    preserved: boolean;
    /** Why it is lost or kept, in words. */
    reason: string;
}

/** The report: every item, and what it means. */
export interface LossReport {
    /** Target the report is about. */
    target: string;
    items: LossItem[];
    /** In-progress sets without updates: nothing to lose; candidates to mark ignored. */
    emptySets: string[];
}

/** Options of {@link readLossReport}. */
export interface LossReportOptions {
    /** The clone's `preserveInProgressUpdateSetsDays` (0: none). */
    preserveInProgressUpdateSetsDays: number;
    /** Clock, for ages. @default Date.now */
    now?: () => number;
}

const DAY_MS = 86_400_000;

/** Either convention of `v_plugin.active` the platform is reported to use. */
function isActive(value: string | undefined): boolean {
    return value === "active" || value === "true";
}

function ageDays(glide: string | undefined, now: number): number {
    const at = Date.parse(`${(glide ?? "").replace(" ", "T")}Z`);
    return Number.isFinite(at) ? Math.max(0, Math.floor((now - at) / DAY_MS)) : 0;
}

/**
 * Reads the target (and the source, for apps and plugins) and lists what the clone would destroy.
 *
 * In-progress sets are those the practitioner's routine lists: `state=in progress`, not the Default set, no parent
 * (children travel with their batch); a set counts once it has at least one customer update.
 */
export async function readLossReport(
    target: LossReader,
    source: LossReader,
    opts: LossReportOptions,
): Promise<LossReport> {
    const now = (opts.now ?? Date.now)();
    const keepDays = opts.preserveInProgressUpdateSetsDays;
    const [sets, remotes, targetApps, sourceApps, targetPlugins, sourcePlugins] = await Promise.all([
        target.query("sys_update_set", {
            query: "state=in progress^is_default=false^name!=Default^parentISEMPTY^ORDERBYsys_updated_on",
            fields: ["sys_id", "name", "application", "sys_updated_on"],
        }),
        target.query("sys_remote_update_set", {
            query: "stateNOT INcommitted,backed out^ORDERBYsys_created_on",
            fields: ["sys_id", "name", "state", "application_scope", "sys_created_on"],
        }),
        target.query("sys_app", { fields: ["sys_id", "name", "scope", "version"] }),
        source.query("sys_app", { fields: ["sys_id", "scope"] }),
        target.query("v_plugin", { query: "active=active^ORactive=true", fields: ["id", "name", "active"] }),
        source.query("v_plugin", { query: "active=active^ORactive=true", fields: ["id", "active"] }),
    ]);
    const scopeOf = new Map(targetApps.map((a) => [a.sys_id ?? "", a.scope ?? ""]));
    const items: LossItem[] = [];
    const emptySets: string[] = [];
    for (const set of sets) {
        const updates = await target.count("sys_update_xml", `update_set=${set.sys_id}`);
        if (updates === 0) {
            emptySets.push(set.name ?? "");
            continue;
        }
        const global = !set.application || set.application === "global";
        const scope = global ? "global" : scopeOf.get(set.application ?? "") || (set.application ?? "");
        const age = ageDays(set.sys_updated_on, now);
        const preserved = global && keepDays > 0 && age < keepDays;
        items.push({
            kind: "update-set",
            name: set.name ?? "",
            scope,
            ageDays: age,
            updates,
            preserved,
            reason: preserved
                ? `kept: global and changed ${age} day(s) ago, within preserveInProgressUpdateSetsDays=${keepDays}`
                : !global
                  ? "lost: the preserve option keeps global update sets only"
                  : keepDays === 0
                    ? "lost: preserveInProgressUpdateSetsDays is 0"
                    : `lost: last changed ${age} day(s) ago, older than preserveInProgressUpdateSetsDays=${keepDays}`,
        });
    }
    for (const r of remotes) {
        items.push({
            kind: "retrieved-set",
            name: r.name ?? "",
            scope: r.application_scope || "global",
            ageDays: ageDays(r.sys_created_on, now),
            updates: 0,
            preserved: false,
            reason: `lost: retrieved but not committed (${r.state})`,
        });
    }
    const onSource = new Set(sourceApps.flatMap((a) => [a.sys_id, a.scope]));
    for (const app of targetApps) {
        if (onSource.has(app.sys_id) || onSource.has(app.scope)) continue;
        items.push({
            kind: "app",
            name: app.name ?? "",
            scope: app.scope ?? "",
            ageDays: 0,
            updates: 0,
            preserved: false,
            reason: `lost: not installed on the source, so the clone deletes it (version ${app.version || "?"})`,
        });
    }
    const activeOnSource = new Set(sourcePlugins.filter((p) => isActive(p.active)).map((p) => p.id));
    for (const p of targetPlugins) {
        if (!isActive(p.active) || activeOnSource.has(p.id)) continue;
        items.push({
            kind: "plugin",
            name: p.id ?? "",
            scope: "global",
            ageDays: 0,
            updates: 0,
            preserved: false,
            reason: `lost: active here but not on the source (${p.name || p.id}); the clone leaves it inactive`,
        });
    }
    return { target: target.url, items, emptySets };
}

/** Work the stack declares it carries across the clone. */
export interface CarriedWork {
    /** Update sets parked on the holding instance before the clone and carried back by InFlightWork. */
    updateSets: readonly string[];
    /** Plugins PluginState activates after the clone. */
    plugins: readonly string[];
    /** PluginState re-activates every plugin active before the clone. */
    allPlugins: boolean;
}

/**
 * Marks what the stack carries as kept: parked update sets (and a scoped app whose set is parked: the set carries the
 * application record), and the plugins PluginState re-activates.
 */
export function withCarried(report: LossReport, carried: CarriedWork): LossReport {
    const sets = new Set(carried.updateSets);
    const plugins = new Set(carried.plugins);
    const carriedScopes = new Set(
        report.items
            .filter((i) => i.kind === "update-set" && sets.has(i.name) && i.scope !== "global")
            .map((i) => i.scope),
    );
    const items = report.items.map((i): LossItem => {
        if (i.preserved) return i;
        if (i.kind === "update-set" && sets.has(i.name)) {
            return {
                ...i,
                preserved: true,
                reason: "carried: parked on the holding instance, committed again by InFlightWork",
            };
        }
        if (i.kind === "app" && carriedScopes.has(i.scope)) {
            return {
                ...i,
                preserved: true,
                reason: "carried: its parked update set brings the application record back",
            };
        }
        if (i.kind === "plugin" && (carried.allPlugins || plugins.has(i.name))) {
            return { ...i, preserved: true, reason: "carried: PluginState activates it again after the clone" };
        }
        return i;
    });
    return { ...report, items };
}

/** The items the clone destroys. */
export function lostItems(report: LossReport): LossItem[] {
    return report.items.filter((i) => !i.preserved);
}

const LABEL: Record<LossKind, string> = {
    "update-set": "in-progress update set",
    "retrieved-set": "retrieved update set",
    app: "scoped app",
    plugin: "plugin",
};

/** One line per item, for the preview: `lost  in-progress update set "ACME-101" (global, 3 updates, 2 days old)`. */
export function describeItem(item: LossItem): string {
    const facts: string[] = [item.scope];
    if (item.kind === "update-set") facts.push(`${item.updates} update(s)`, `${item.ageDays} day(s) old`);
    return `${item.preserved ? "kept" : "lost"}  ${LABEL[item.kind]} "${item.name}" (${facts.join(", ")}): ${item.reason}`;
}

/** The report as preview lines; empty when the clone destroys nothing. */
export function formatLossReport(report: LossReport): string[] {
    if (report.items.length === 0 && report.emptySets.length === 0) return [];
    const lost = lostItems(report).length;
    const lines = [
        `a clone into ${report.target} would destroy ${lost} piece(s) of work and keep ${report.items.length - lost}:`,
        ...report.items.map((i) => `  ${describeItem(i)}`),
    ];
    if (report.emptySets.length > 0) {
        lines.push(
            `  (${report.emptySets.length} empty in-progress update set(s) hold nothing: ${report.emptySets.join(", ")})`,
        );
    }
    return lines;
}

/**
 * The check failure `requireNoLoss` turns the report into: one sentence naming each lost item and the fix, or
 * undefined when nothing is lost.
 */
export function noLossFailure(report: LossReport): string | undefined {
    const lost = lostItems(report);
    if (lost.length === 0) return undefined;
    const named = lost.map((i) => `${LABEL[i.kind]} "${i.name}" (${i.scope})`).join("; ");
    return (
        `requireNoLoss: a clone into ${report.target} would destroy ${lost.length} piece(s) of work: ${named}. ` +
        "Declare them in environment:inFlight / environment:plugins (InFlightWork, PluginState) and park the update " +
        "sets on the holding instance, raise preserveInProgressUpdateSetsDays for global sets, or set requireNoLoss to false"
    );
}
