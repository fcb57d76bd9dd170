/**
 * The plugin catalogue of an emulated instance (`sys_plugins`, mirrored into the `v_plugin` view) and the
 * activate / rollback operations of the CI/CD API.
 *
 * A plugin owns tables: they exist on the instance (a `sys_db_object` row) only while it is active, which is what an
 * update set preview checks. The value of `active` is disputed in public code ("active"/"inactive" on-instance,
 * "true"/"false" in some REST tools), so both are read, and a write keeps the convention the row already uses.
 */
import type { InstanceDb } from "../db";
import { eq } from "../query";
import type { Row } from "../values";
import { takeCicdFault } from "./faults";
import { OperationFailed, type OperationSpec } from "./tracker";

/** One plugin of the emulator's catalogue. */
export interface PluginDef {
    id: string;
    name: string;
    version: string;
    description: string;
    /** Tables the plugin installs. */
    tables: readonly string[];
    /** Plugins it needs; activation activates them first. */
    requires: readonly string[];
    /** Active on a freshly seeded instance. */
    activeByDefault: boolean;
}

/** The plugin that provides the CI/CD REST API itself (scope sn_cicd). */
export const CICD_PLUGIN = "com.glide.continuousdelivery";

/** The plugins every emulated instance knows. */
export const PLUGIN_CATALOGUE: readonly PluginDef[] = [
    {
        id: CICD_PLUGIN,
        name: "Continuous Integration and Continuous Delivery (CICD) REST API",
        version: "1.0.0",
        description: "REST endpoints for application, plugin, update set and test automation",
        tables: ["sys_execution_tracker"],
        requires: [],
        activeByDefault: true,
    },
    {
        id: "com.snc.undelete",
        name: "Undelete",
        version: "1.0.0",
        description: "Restores deleted records; needed by rollback contexts",
        tables: [],
        requires: [],
        activeByDefault: true,
    },
    {
        id: "com.glide.delete_recovery",
        name: "Delete Recovery",
        version: "1.0.0",
        description: "Recovers records deleted by a rollback context",
        tables: [],
        requires: [],
        activeByDefault: true,
    },
    {
        id: "com.snc.incident",
        name: "Incident Management",
        version: "3.2.0",
        description: "Incident records and processes",
        tables: ["incident"],
        requires: [],
        activeByDefault: true,
    },
    {
        id: "com.snc.procurement",
        name: "Procurement",
        version: "2.1.4",
        description: "Purchase orders and receiving",
        tables: ["proc_po"],
        requires: [],
        activeByDefault: false,
    },
    {
        id: "com.glide.domain.msp_extensions.installer",
        name: "Domain Support - Domain Extensions Installer",
        version: "1.4.0",
        description: "Domain separation; the default 'Install deactivated plugin' cleanup script re-enables it",
        tables: [],
        requires: [],
        activeByDefault: false,
    },
];

/** Days within which a plugin activation can be rolled back [DOC roll-back-rollback-context.md]. */
const ROLLBACK_WINDOW_DAYS = 10;
const DAY_MS = 86_400_000;

/** True for either convention of "active". */
export function isActiveValue(value: string | undefined): boolean {
    return value === "active" || value === "true";
}

/** The catalogue row of a plugin, or undefined when the instance does not know it. */
export function pluginRow(db: InstanceDb, id: string): Row | undefined {
    return db.query("sys_plugins", eq("source", id), { limit: 1 })[0];
}

/**
 * Whether a plugin is active. An instance whose catalogue has no row for it (a data directory written before the
 * catalogue existed) counts a default-active plugin as active.
 */
export function pluginActive(db: InstanceDb, id: string): boolean {
    const row = pluginRow(db, id);
    if (row) return isActiveValue(row.active);
    return PLUGIN_CATALOGUE.find((p) => p.id === id)?.activeByDefault ?? false;
}

/** The plugin owning a table, if a catalogue plugin installs it. */
export function owningPlugin(table: string): PluginDef | undefined {
    return PLUGIN_CATALOGUE.find((p) => p.tables.includes(table));
}

/**
 * Writes a plugin's state to `sys_plugins` and `v_plugin` and adds or removes its tables' `sys_db_object` rows.
 */
export function setPluginActive(db: InstanceDb, id: string, active: boolean, at: string): void {
    const row = pluginRow(db, id);
    if (!row) return;
    const value = (current: string | undefined) =>
        current === "true" || current === "false" ? String(active) : active ? "active" : "inactive";
    db.update("sys_plugins", row.sys_id!, {
        active: value(row.active),
        state: active ? "active" : "inactive",
        install_date: active ? at : row.install_date,
    });
    const view = db.query("v_plugin", eq("id", id), { limit: 1 })[0];
    if (view) db.update("v_plugin", view.sys_id!, { active: value(view.active) });
    const def = PLUGIN_CATALOGUE.find((p) => p.id === id);
    for (const table of def?.tables ?? []) {
        const existing = db.query("sys_db_object", eq("name", table), { limit: 1 })[0];
        if (active && !existing && db.schema.has(table)) {
            db.insert("sys_db_object", { name: table, label: db.schema.table(table).label });
        }
        if (!active && existing) db.delete("sys_db_object", existing.sys_id!);
    }
}

/** True when the instance has the table: it is in its dictionary (`sys_db_object`) and its plugin, if any, is active. */
export function tableInstalled(db: InstanceDb, table: string): boolean {
    if (!db.schema.has(table)) return false;
    const plugin = owningPlugin(table);
    if (plugin && !pluginActive(db, plugin.id)) return false;
    return db.count("sys_db_object", eq("name", table)) > 0 || plugin === undefined;
}

/**
 * True when `table` belongs to a plugin that is not active on this instance: the platform answers such a table as one
 * that does not exist (the Table API's 400 "Invalid table").
 */
export function uninstalledPluginTable(db: InstanceDb, table: string): boolean {
    const plugin = owningPlugin(table);
    return plugin !== undefined && !pluginActive(db, plugin.id);
}

/** Seeds the catalogue: every plugin in both tables, active by default or as `active` overrides say. */
export function seedPlugins(
    add: (table: string, values: Record<string, string>) => Row,
    opts: { active?: Readonly<Record<string, boolean>>; booleanActive?: boolean } = {},
): string[] {
    const inactiveTables: string[] = [];
    for (const p of PLUGIN_CATALOGUE) {
        const on = opts.active?.[p.id] ?? p.activeByDefault;
        const value = opts.booleanActive ? String(on) : on ? "active" : "inactive";
        add("sys_plugins", {
            source: p.id,
            name: p.name,
            version: p.version,
            active: value,
            state: on ? "active" : "inactive",
            description: p.description,
            requires: p.requires.join(","),
        });
        add("v_plugin", {
            id: p.id,
            name: p.name,
            version: p.version,
            active: value,
            description: p.description,
            requires: p.requires.join(","),
        });
        if (!on) inactiveTables.push(...p.tables);
    }
    return inactiveTables;
}

/** The activation operation: requirements first, then the plugin, one step each. */
export function activatePlugin(db: InstanceDb, id: string, now: () => string): OperationSpec {
    const row = pluginRow(db, id)!;
    return {
        name: `Activate plugin ${id}`,
        source: { table: "sys_plugins", id: row.sys_id! },
        async run(ctx) {
            if (pluginActive(db, id)) return { message: `Plugin ${id} is already active`, detail: "" };
            const order = activationOrder(db, id);
            for (const [i, pid] of order.entries()) {
                await ctx.step((100 * i) / (order.length + 1), `Activating plugin ${pid}`);
                const fault = takeCicdFault(db, "activate", pid);
                if (fault) throw new OperationFailed(fault.message, `Plugin ${pid} was not activated`);
                await ctx.step((100 * (i + 0.5)) / (order.length + 1), `Loading tables of plugin ${pid}`);
                setPluginActive(db, pid, true, now());
                db.insert("sys_rollback_context", { plugin: pid, type: "activate", created: now() });
            }
            const activated = order.length > 1 ? ` (with ${order.slice(0, -1).join(", ")})` : "";
            return { message: "This operation succeeded", detail: `Plugin ${id} activated${activated}` };
        },
    };
}

/** Inactive requirements (depth first), then the plugin itself. */
function activationOrder(db: InstanceDb, id: string, seen = new Set<string>()): string[] {
    if (seen.has(id)) return [];
    seen.add(id);
    const row = pluginRow(db, id);
    const requires = (row?.requires ?? "").split(",").filter(Boolean);
    const out: string[] = [];
    for (const r of requires) if (!pluginActive(db, r)) out.push(...activationOrder(db, r, seen));
    out.push(id);
    return out;
}

/**
 * The rollback operation: within the rollback window of the plugin's latest activation, deactivates it and deletes
 * the data of its tables ("A rollback deletes data"). Refused with the platform's reasons otherwise.
 */
export function rollbackPlugin(db: InstanceDb, id: string, nowMs: () => number, now: () => string): OperationSpec {
    const row = pluginRow(db, id)!;
    return {
        name: `Rollback plugin ${id}`,
        source: { table: "sys_plugins", id: row.sys_id! },
        async run(ctx) {
            await ctx.step(10, `Checking the rollback context of plugin ${id}`);
            const context = db.query("sys_rollback_context", `plugin=${id}^type=activate^ORDERBYDESCsys_created_on`, {
                limit: 1,
            })[0];
            if (!pluginActive(db, id) || !context) {
                throw new OperationFailed(
                    `Cannot rollback plugin ${id}: no prior version has been installed through a rollback context`,
                );
            }
            const age = nowMs() - Date.parse(`${(context.created || context.sys_created_on!).replace(" ", "T")}Z`);
            if (age > ROLLBACK_WINDOW_DAYS * DAY_MS) {
                throw new OperationFailed(
                    `Cannot rollback plugin ${id}: its activation is older than ${ROLLBACK_WINDOW_DAYS} days`,
                );
            }
            for (const needed of ["com.snc.undelete", "com.glide.delete_recovery"]) {
                if (!pluginActive(db, needed)) {
                    throw new OperationFailed(`Cannot rollback plugin ${id}: plugin ${needed} is not active`);
                }
            }
            const fault = takeCicdFault(db, "rollback", id);
            if (fault) throw new OperationFailed(fault.message);
            await ctx.step(50, `Deleting data of plugin ${id}`);
            const def = PLUGIN_CATALOGUE.find((p) => p.id === id);
            let deleted = 0;
            for (const table of def?.tables ?? []) {
                for (const r of db.query(table)) if (db.delete(table, r.sys_id!)) deleted++;
            }
            setPluginActive(db, id, false, now());
            db.delete("sys_rollback_context", context.sys_id!);
            return {
                message: "This operation succeeded",
                detail: `Plugin ${id} rolled back; ${deleted} records deleted`,
            };
        },
    };
}
