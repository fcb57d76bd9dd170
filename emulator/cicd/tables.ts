/**
 * The tables behind the CI/CD API: execution trackers, update sets (local, retrieved, their updates and preview
 * problems, update sources), applications, plugins, and the few metadata tables an update can write.
 *
 * Spread into `platformTables()` by one line; column names follow the platform's dictionary where it is public
 * (docs/in-flight-work.md lists the ones that are inferred).
 */
import { type FieldDef, fields, type TableDef } from "../schema";

/** Adds a choice list (stored value to label) to one column of a field list. */
function withChoices(list: FieldDef[], name: string, choices: Record<string, string>): FieldDef[] {
    return list.map((f) => (f.name === name ? { ...f, choices } : f));
}

/** The role the platform requires for the CI/CD API (admin passes too). */
export const CICD_ROLE = "sn_cicd.sys_ci_automation";

/** Trackers are written by the instance; a caller may cancel a pending one (state 4), as the queue UI allows. */
const trackerAcl = { read: [CICD_ROLE], write: [CICD_ROLE] };
/** Plugins change only through activation, never by writing the catalogue (`maint` is the platform's own role). */
const pluginAcl = { read: [], write: ["maint"] };

/** Metadata columns every application file carries. */
const appFile = ["sys_scope:ref:sys_app", "sys_package", "sys_update_name", "sys_policy"];

/** `sys_execution_tracker.state`: the numbers the progress API returns as `status`. */
export const TRACKER_STATES = { "0": "Pending", "1": "Running", "2": "Successful", "3": "Failed", "4": "Canceled" };

/** Table definitions of the CI/CD area. */
export function cicdTables(): TableDef[] {
    return [
        {
            name: "sys_execution_tracker",
            label: "Execution Tracker",
            acl: trackerAcl,
            fields: withChoices(
                fields(
                    "name",
                    "state=0",
                    "percent_complete:integer=0",
                    "message",
                    "detail",
                    "result",
                    "source_table",
                    "source",
                    "results_table",
                    "results",
                    "results_url",
                    "queued:boolean=false",
                    "start_time:glide_date_time",
                    "completion_time:glide_date_time",
                    "user",
                ),
                "state",
                TRACKER_STATES,
            ),
        },
        {
            name: "sys_app",
            label: "Custom Application",
            display: "name",
            fields: fields(
                "name",
                "scope",
                "version=1.0.0",
                "active:boolean=true",
                "vendor",
                "short_description",
                "source=local",
                "installed_on:glide_date_time",
            ),
        },
        {
            name: "sys_app_version",
            label: "Application Version",
            fields: fields(
                "name",
                "scope",
                "version",
                "source_app",
                "dev_notes",
                "published_on:glide_date_time",
                "payload",
            ),
        },
        {
            name: "sys_update_set",
            label: "Update Set",
            fields: withChoices(
                fields(
                    "name",
                    "state=in progress",
                    "application=global",
                    "description",
                    "is_default:boolean=false",
                    "completed_on:glide_date_time",
                    "parent:ref:sys_update_set",
                    "base_update_set:ref:sys_update_set",
                    "remote_sys_id",
                    "origin_sys_id",
                    "release_date:glide_date_time",
                    "installed_from",
                ),
                "state",
                { "in progress": "In progress", complete: "Complete", ignore: "Ignore" },
            ),
        },
        {
            name: "sys_update_xml",
            label: "Customer Update",
            acl: { write: ["admin"] },
            fields: fields(
                "name",
                "update_set:ref:sys_update_set",
                "remote_update_set:ref:sys_remote_update_set",
                "type",
                "target_name",
                "action=INSERT_OR_UPDATE",
                "payload",
                "application=global",
                "category=customer",
                "sys_recorded_at",
                "replace_on_upgrade:boolean=false",
            ),
        },
        {
            name: "sys_update_set_source",
            label: "Update Source",
            display: "name",
            fields: fields(
                "name",
                "url",
                "username",
                "password:password",
                "type=Development",
                "active:boolean=true",
                "short_description",
                "instance_id",
            ),
        },
        {
            name: "sys_remote_update_set",
            label: "Retrieved Update Set",
            fields: withChoices(
                fields(
                    "name",
                    "state=loaded",
                    "description",
                    "application=global",
                    "application_name",
                    "application_scope",
                    "application_version",
                    "remote_sys_id",
                    "origin_sys_id",
                    "update_source:ref:sys_update_set_source",
                    "remote_parent_id",
                    "parent:ref:sys_remote_update_set",
                    "update_set:ref:sys_update_set",
                    "commit_date:glide_date_time",
                    "collisions",
                    "inserted",
                    "updated",
                    "deleted",
                    "release_date:glide_date_time",
                ),
                "state",
                {
                    loaded: "Loaded",
                    previewing: "Previewing",
                    previewed: "Previewed",
                    committing: "Committing",
                    committed: "Committed",
                    partial: "Partial",
                    "backed out": "Backed out",
                },
            ),
        },
        {
            name: "sys_update_preview_problem",
            label: "Update Preview Problem",
            display: "description",
            fields: withChoices(
                fields(
                    "remote_update_set:ref:sys_remote_update_set",
                    "remote_update:ref:sys_update_xml",
                    "type=error",
                    "status",
                    "description",
                    "missing_item",
                    "missing_item_table",
                    "missing_item_update",
                ),
                "status",
                { "": "Unresolved", ignored: "Accept remote update", skipped: "Skip remote update" },
            ),
        },
        {
            name: "sys_update_version",
            label: "Version",
            fields: fields(
                "name",
                "type",
                "action",
                "payload",
                "state=current",
                "source_table",
                "source",
                "record_name",
            ),
        },
        {
            name: "sys_plugins",
            label: "Plugin",
            display: "name",
            acl: pluginAcl,
            fields: fields(
                "source",
                "name",
                "version",
                "active=inactive",
                "state",
                "parent",
                "description",
                "requires",
                "install_date:glide_date_time",
            ),
        },
        {
            name: "v_plugin",
            label: "Plugins",
            display: "name",
            acl: pluginAcl,
            fields: fields("id", "name", "version", "active=inactive", "description", "requires"),
        },
        {
            name: "sys_rollback_context",
            label: "Rollback Context",
            fields: fields("plugin", "type", "created:glide_date_time", "state=active"),
        },
        {
            name: "sys_script",
            label: "Business Rule",
            fields: fields(
                "name",
                "collection",
                "when=before",
                "order:integer=100",
                "active:boolean=true",
                "script:script",
                ...appFile,
            ),
        },
        {
            name: "sys_script_include",
            label: "Script Include",
            fields: fields(
                "name",
                "api_name",
                "active:boolean=true",
                "client_callable:boolean=false",
                "script:script",
                ...appFile,
            ),
        },
        {
            name: "sys_ui_policy",
            label: "UI Policy",
            display: "short_description",
            fields: fields("short_description", "table", "active:boolean=true", "conditions", ...appFile),
        },
        {
            name: "proc_po",
            label: "Purchase Order",
            display: "number",
            numberPrefix: "PO",
            fields: fields("number", "short_description", "vendor", "total_cost:decimal", "state=requested"),
        },
    ];
}
