/**
 * Pure decisions of a clone: which tables are copied, kept or emptied, and which profile items apply.
 *
 * Kept apart from the engine so the rules read in one place and test without timers.
 */

/** A row as the emulator stores it. */
export type CloneRow = Readonly<Record<string, string>>;

/** What happens to one table's rows on the target. */
export type TableFate =
    /** The source's rows replace the target's. */
    | "copy"
    /** The target keeps its own rows (MID Server tables, the clone machinery). */
    | "keep"
    /** The table ends empty but usable (exclusions, audit and log data, attachments). */
    | "empty";

/**
 * Tables each side keeps for itself: the clone machinery (its requests, logs and registered instances) and the MID
 * Server tables ("During an instance clone, the MID Server [ecc_agent] table is not copied").
 */
export function isKeptTable(table: string): boolean {
    if (table.startsWith("ecc_agent")) return true;
    return (
        table === "instance" ||
        table === "clone_instance" ||
        table === "sn_instance_clone_request" ||
        table.startsWith("sn_instance_clone_log")
    );
}

/** Audit and log tables: left out when the request's exclude_audit_log_data is true (the default). */
export function isAuditOrLogTable(table: string): boolean {
    return (
        table.startsWith("syslog") ||
        table.startsWith("sys_audit") ||
        table.startsWith("sys_log") ||
        table.startsWith("sys_history_") ||
        table === "sys_email_log"
    );
}

/**
 * Attachments the platform copies even when attachment data is excluded: those of `ZZ_*` tables and of a few
 * tables whose records are useless without them.
 */
export function isAlwaysCopiedAttachment(row: CloneRow): boolean {
    const owner = row.table_name ?? "";
    return (
        owner.startsWith("ZZ_") ||
        [
            "sys_certificate",
            "sc_cat_item",
            "sys_upgrade_manifest",
            "ecc_agent_jar",
            "ecc_agent_mib",
            "sys_store_app",
        ].includes(owner)
    );
}

/**
 * Expands exclusion names to table names: `name` is that table only, `name.*` is the table and every table that
 * extends it ("has to include the dot").
 *
 * `sys_db_object` can't be excluded, with or without the wildcard.
 */
export function expandExclusions(names: Iterable<string>, familyOf: (table: string) => readonly string[]): Set<string> {
    const out = new Set<string>();
    for (const raw of names) {
        const name = raw.trim();
        if (name === "") continue;
        const tables = name.endsWith(".*") ? familyOf(name.slice(0, -2)) : [name];
        for (const t of tables) if (t !== "sys_db_object") out.add(t);
    }
    return out;
}

/** Options of one clone request, with the platform's defaults applied. */
export interface CloneOptions {
    excludeAuditLogData: boolean;
    excludeAttachments: boolean;
    preserveTheme: boolean;
    preserveInProgressUpdateSetsDays: number;
}

/** Reads a request's options; a blank boolean takes the platform default (true). */
export function cloneOptions(request: CloneRow): CloneOptions {
    const flag = (v: string | undefined): boolean => (v ?? "") === "" || v === "true";
    const days = Number.parseInt(request.preserve_in_progress_update_sets_days ?? "0", 10);
    return {
        excludeAuditLogData: flag(request.exclude_audit_log_data),
        excludeAttachments: flag(request.exclude_attachments),
        preserveTheme: flag(request.preserve_theme),
        preserveInProgressUpdateSetsDays: Number.isFinite(days) && days > 0 ? days : 0,
    };
}

/** The fate of one table (by class name) under a request's options and exclusions. */
export function tableFate(table: string, options: CloneOptions, excluded: ReadonlySet<string>): TableFate {
    if (isKeptTable(table)) return "keep";
    if (excluded.has(table)) return "empty";
    if (options.excludeAuditLogData && isAuditOrLogTable(table)) return "empty";
    return "copy";
}

/** A cleanup script as it will run: the profile's order wins over the script's own. */
export interface PlannedScript {
    sysId: string;
    name: string;
    order: number;
    script: string;
}

/** Orders cleanup scripts by `order`, ties by name, as "Execute Cleanup Scripts Sequentially" runs them. */
export function orderScripts(scripts: PlannedScript[]): PlannedScript[] {
    return [...scripts].sort(
        (a, b) => a.order - b.order || a.name.localeCompare(b.name) || a.sysId.localeCompare(b.sysId),
    );
}

/** A preserver as it will run: target rows of `table` matching `condition` survive the clone. */
export interface PlannedPreserver {
    name: string;
    table: string;
    condition: string;
    theme: boolean;
}
