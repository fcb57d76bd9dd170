/**
 * Tables of the integrations a clone brings over from production that the first checklist did not see: IntegrationHub
 * connections and their aliases and credentials, the Next Experience banner announcement, and the platform's Data
 * Privacy clone jobs.
 *
 * Facts: reference/servicenow-api.md §4.1 (banner) and §4.8 (aliases, credentials, `oauth_entity`),
 * reference/platform-apis.md §2.5 (Data Privacy). Columns the reference does not name are marked [INF] below and
 * listed in emulator/README.md.
 */
import { type FieldDef, fields, type TableDef } from "../schema";

/** Adds a choice list (stored value to label) to one column. */
function withChoices(list: FieldDef[], name: string, choices: Record<string, string>): FieldDef[] {
    return list.map((f) => (f.name === name ? { ...f, choices } : f));
}

const adminOnly = { read: ["admin"], write: ["admin"] };

/** States of a Data Privacy job and of its federated parent [INF: labels as stored values]. */
export const DpJobState = {
    Queued: "Queued",
    InProgress: "In progress",
    Completed: "Completed",
    Failed: "Failed",
    RolledBack: "Rolled back",
} as const;

/** Data Privacy technique types (`config-dp-technique.md`); "Replace" is deprecated and not offered. */
export const DP_TECHNIQUE_TYPES = {
    no_action: "No Action",
    random_replace: "Random Replace",
    selective_replace: "Selective Replace",
    static_replace: "Static Replace",
    remove: "Remove",
} as const;

const dpJobStates = Object.fromEntries(Object.values(DpJobState).map((s) => [s, s]));

/** The tables of this area; `platformTables()` spreads them. */
export function integrationTables(): TableDef[] {
    return [
        {
            // "The alias contains these fields" (connection-alias.md); `id` is the scoped name scripts resolve.
            name: "sys_alias",
            label: "Connection & Credential Alias",
            fields: withChoices(
                fields(
                    "name",
                    "id",
                    "type=connection",
                    "connection_type=http_connection",
                    "multiple_connections:boolean=false",
                    "description",
                ),
                "type",
                { connection: "Connection and Credential", credential: "Credential" },
            ),
        },
        {
            // [INF] the credential base table; secrets are password fields, never returned by the Table API.
            name: "discovery_credentials",
            label: "Credential",
            acl: adminOnly,
            fields: fields(
                "name",
                "type=basic_auth",
                "user_name",
                "password:password",
                "active:boolean=true",
                "credential_alias:ref:sys_alias",
                "order:integer=100",
            ),
        },
        {
            // "The Connection table (sys_connection) is the base table for all connection tables."
            name: "sys_connection",
            label: "Connection",
            fields: fields(
                "name",
                "credential:ref:discovery_credentials",
                "connection_alias:ref:sys_alias",
                "active:boolean=true",
            ),
        },
        {
            name: "http_connection",
            label: "HTTP(s) Connection",
            parent: "sys_connection",
            fields: fields(
                "connection_url",
                "url_builder:boolean=false",
                "host",
                "protocol=https",
                "port",
                "base_path",
                "use_mid:boolean=false",
                "mid_server:ref:ecc_agent",
            ),
        },
        {
            // "JDBC server was renamed to host, Database port to port" (connection-information.md).
            name: "jdbc_connection",
            label: "JDBC Connection",
            parent: "sys_connection",
            fields: fields(
                "host",
                "port",
                "database_name",
                "format=mysql",
                "connection_url",
                "mid_server:ref:ecc_agent",
            ),
        },
        {
            // Next Experience banner announcement (modify-announcements-section.md); columns [INF].
            name: "sys_ux_banner_announcement",
            label: "Banner Announcement",
            display: "name",
            fields: withChoices(
                fields(
                    "name",
                    "heading",
                    "summary",
                    "active:boolean=true",
                    "start:glide_date_time",
                    "end:glide_date_time",
                    "color=info",
                    "link_label",
                    "link_url",
                    "dismissible:boolean=true",
                    "experiences",
                ),
                "color",
                { info: "Info", warning: "Warning", critical: "Critical", positive: "Positive" },
            ),
        },
        {
            name: "dp_technique",
            label: "Data Privacy Technique",
            acl: adminOnly,
            fields: withChoices(
                fields(
                    "name",
                    "type=static_replace",
                    "string_value=TEXT123",
                    "number_value=1234567",
                    "date_value=1988-11-11",
                    "preserve_data_length:boolean=true",
                    "use_random_generated_value:boolean=false",
                    "start_index:integer=0",
                    "end_index:integer=0",
                    "exclude_char",
                    "char_to_replace=*",
                ),
                "type",
                DP_TECHNIQUE_TYPES,
            ),
        },
        {
            name: "dp_configuration",
            label: "Data Privacy Configuration",
            acl: adminOnly,
            fields: fields(
                "name",
                "table",
                "condition",
                "active:boolean=true",
                "apply_when_cloning:boolean=false",
                "order:integer=100",
            ),
        },
        {
            name: "dp_field_technique",
            label: "Data Privacy Field Technique",
            display: "field",
            acl: adminOnly,
            fields: fields("configuration:ref:dp_configuration", "field", "technique:ref:dp_technique"),
        },
        {
            name: "dp_federated_job",
            label: "Data Privacy Federated Job",
            display: "sys_id",
            acl: adminOnly,
            fields: withChoices(
                fields(
                    "state=Queued",
                    "source=clone",
                    "clone_request",
                    "started:glide_date_time",
                    "completed:glide_date_time",
                    "error_message",
                ),
                "state",
                dpJobStates,
            ),
        },
        {
            name: "dp_job",
            label: "Data Privacy Job",
            display: "sys_id",
            acl: adminOnly,
            fields: withChoices(
                fields(
                    "federated_job:ref:dp_federated_job",
                    "configuration:ref:dp_configuration",
                    "table",
                    "order:integer=100",
                    "state=Queued",
                    "records_processed:integer=0",
                    "started:glide_date_time",
                    "completed:glide_date_time",
                    "error_message",
                ),
                "state",
                dpJobStates,
            ),
        },
        {
            name: "dp_job_summary",
            label: "Data Privacy Job Summary",
            display: "field",
            acl: adminOnly,
            fields: fields("job:ref:dp_job", "field", "technique:ref:dp_technique", "records:integer=0"),
        },
    ];
}

/** Names of this area's tables (their sys_db_object rows are seeded after the base seed, keeping its sys_ids). */
export function integrationTableNames(): Set<string> {
    return new Set(integrationTables().map((t) => t.name));
}
