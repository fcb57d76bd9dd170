/**
 * Development work in progress on an instance, as a team leaves it before a refresh: two global in-progress update
 * sets (one needing a plugin production lacks), one scoped set of an application production does not have, an empty
 * in-progress set, and that plugin active. The records the sets describe exist on the instance too, as they would
 * after a developer made the changes. Used by the demo, the tests and the `workInProgress` instance option.
 */
import type { InstanceDb } from "../db";
import { eq } from "../query";
import { glideDateTime, type Row } from "../values";
import { pluginActive, setPluginActive } from "./plugins";
import { toPayload, updateName } from "./update-xml";

/** What {@link addWorkInProgress} created. */
export interface WorkInProgress {
    /** The two global in-progress sets, in the order they were started. */
    globalSets: Row[];
    /** The scoped application's in-progress set. */
    scopedSet: Row;
    /** An in-progress set with no updates (a candidate for "ignore"). */
    emptySet: Row;
    /** The scoped application (absent from production). */
    app: Row;
    /** The plugin active here but not on production. */
    plugin: string;
}

/** The plugin the work needs. */
export const WORK_PLUGIN = "com.snc.procurement";

const TYPE_LABEL: Record<string, string> = {
    sys_script: "Business Rule",
    sys_script_include: "Script Include",
    sys_ui_policy: "UI Policy",
    sys_app: "Custom Application",
};

/** Writes a record and captures it into an update set, as the platform's update tracking does. */
function capture(db: InstanceDb, set: Row, table: string, values: Record<string, string>, at: number): Row {
    const record = db.insert(table, values, "dev.lead");
    db.insert(
        "sys_update_xml",
        {
            name: updateName(table, record.sys_id!),
            update_set: set.sys_id,
            type: TYPE_LABEL[table] ?? table,
            target_name: record.name || record.short_description || record.sys_id,
            action: "INSERT_OR_UPDATE",
            application: set.application,
            payload: toPayload({ table, action: "INSERT_OR_UPDATE", fields: { ...record } }),
            sys_recorded_at: glideDateTime(at),
        },
        "dev.lead",
    );
    return record;
}

/**
 * Adds the work in progress to `db` (idempotent: a second call returns what the first created).
 *
 * @param opts.now clock for the capture times (default Date.now)
 */
export function addWorkInProgress(db: InstanceDb, opts: { now?: () => number } = {}): WorkInProgress {
    const now = opts.now ?? Date.now;
    const named = (name: string) => db.query("sys_update_set", eq("name", name), { limit: 1 })[0];
    if (!pluginActive(db, WORK_PLUGIN)) {
        setPluginActive(db, WORK_PLUGIN, true, glideDateTime(now()));
        db.insert("sys_rollback_context", { plugin: WORK_PLUGIN, type: "activate", created: glideDateTime(now()) });
    }
    const app =
        db.query("sys_app", eq("scope", "x_acme_fleet"), { limit: 1 })[0] ??
        db.insert("sys_app", {
            name: "Fleet Tracker",
            scope: "x_acme_fleet",
            version: "0.4.0",
            vendor: "ACME",
            short_description: "Tracks company vehicles (in development)",
            source: "local",
        });
    let t = now() - 3 * 86_400_000;
    const tick = () => (t += 60_000);

    let first = named("ACME-101 Incident auto-assignment");
    if (!first) {
        first = db.insert("sys_update_set", {
            name: "ACME-101 Incident auto-assignment",
            description: "Assign network incidents to the network group",
        });
        capture(
            db,
            first,
            "sys_script_include",
            {
                name: "AssignmentUtils",
                api_name: "global.AssignmentUtils",
                script: "var AssignmentUtils = Class.create();",
                sys_scope: "global",
            },
            tick(),
        );
        capture(
            db,
            first,
            "sys_script",
            {
                name: "Auto-assign network incidents",
                collection: "incident",
                when: "before",
                script: "current.assignment_group.setDisplayValue('Network');",
                sys_scope: "global",
            },
            tick(),
        );
    }
    let second = named("ACME-102 Purchase order approvals");
    if (!second) {
        second = db.insert("sys_update_set", {
            name: "ACME-102 Purchase order approvals",
            description: "Large purchase orders need a second approval",
        });
        capture(
            db,
            second,
            "sys_script",
            {
                name: "Approve large purchase orders",
                collection: "proc_po",
                when: "before",
                script: "if (current.total_cost > 10000) current.state = 'pending_approval';",
                sys_scope: "global",
            },
            tick(),
        );
        capture(
            db,
            second,
            "sys_ui_policy",
            {
                short_description: "Vendor mandatory on purchase orders",
                table: "proc_po",
                conditions: "total_cost>0",
                sys_scope: "global",
            },
            tick(),
        );
    }
    let scoped = named("Fleet Tracker 0.4");
    if (!scoped) {
        scoped = db.insert("sys_update_set", {
            name: "Fleet Tracker 0.4",
            application: app.sys_id,
            description: "Vehicle inspections",
        });
        db.insert("sys_update_xml", {
            name: updateName("sys_app", app.sys_id!),
            update_set: scoped.sys_id,
            type: TYPE_LABEL.sys_app,
            target_name: app.name,
            application: app.sys_id,
            payload: toPayload({ table: "sys_app", action: "INSERT_OR_UPDATE", fields: { ...app } }),
            sys_recorded_at: glideDateTime(tick()),
        });
        capture(
            db,
            scoped,
            "sys_script_include",
            {
                name: "FleetUtils",
                api_name: "x_acme_fleet.FleetUtils",
                script: "var FleetUtils = Class.create();",
                sys_scope: app.sys_id!,
            },
            tick(),
        );
    }
    const emptySet =
        named("ACME-103 Spike (empty)") ??
        db.insert("sys_update_set", { name: "ACME-103 Spike (empty)", description: "Started, never used" });
    return { globalSets: [first, second], scopedSet: scoped, emptySet, app, plugin: WORK_PLUGIN };
}
