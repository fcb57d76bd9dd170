/**
 * Clone history of one target, read from the source: every clone request into it (the Clone Admin Console's
 * `sn_instance_clone_request` and the legacy `clone_instance`), with its times, duration, profile, error and the
 * warnings of its log. Read-only.
 */

/** The reads this needs; any client with a Table API query does. */
export interface HistoryReader {
    readonly url: string;
    query(
        table: string,
        options: { query?: string; fields?: readonly string[]; limit?: number },
    ): Promise<Record<string, string>[]>;
}

/** One clone into the target. */
export interface CloneHistoryEntry {
    cloneId: string;
    /** Which table holds it: the Clone Admin Console's, or the legacy Clone History. */
    table: "sn_instance_clone_request" | "clone_instance";
    state: string;
    /** ISO 8601 times, "" when unknown. */
    requestedAt: string;
    scheduledAt: string;
    startedAt: string;
    completedAt: string;
    /** Seconds the clone ran (from started, or from the request when it never started), 0 while running. */
    durationSeconds: number;
    /** The clone profile's name ("" for the default). */
    profile: string;
    errorMessage: string;
    /** Warnings and errors of the clone's log: failed or skipped cleanup scripts, refused cancels, skipped preservers. */
    warnings: string[];
}

const TABLES = ["sn_instance_clone_request", "clone_instance"] as const;
const FIELDS = [
    "sys_id",
    "sys_created_on",
    "state",
    "scheduled",
    "started",
    "completed",
    "duration",
    "profile",
    "error_message",
];
const ENDED = new Set(["Completed", "Error", "Canceled", "Hold", "Rolled back", "Rollback failure", "Rolling back"]);

function isoOf(glide: string | undefined): string {
    if (!glide) return "";
    const at = Date.parse(`${glide.replace(" ", "T")}Z`);
    return Number.isNaN(at) ? "" : new Date(at).toISOString().replace(".000Z", "Z");
}

function duration(row: Record<string, string>): number {
    const stored = Number.parseInt(row.duration ?? "", 10);
    if (Number.isFinite(stored)) return stored;
    if (!ENDED.has(row.state ?? "")) return 0;
    const from = Date.parse(isoOf(row.started || row.sys_created_on));
    const to = Date.parse(isoOf(row.completed));
    return Number.isFinite(from) && Number.isFinite(to) ? Math.max(0, Math.round((to - from) / 1000)) : 0;
}

/**
 * The clones into `target` (its `instance_name` or URL as registered on the source), newest first.
 *
 * @throws Error saying how to register the target when the source does not know it.
 */
export async function readCloneHistory(
    source: HistoryReader,
    target: string,
    limit = 50,
): Promise<CloneHistoryEntry[]> {
    const byUrl = /^https?:\/\//i.test(target);
    const registered = await source.query("instance", {
        query: byUrl ? `instance_url=${target.replace(/\/+$/, "")}` : `instance_name=${target}`,
        fields: ["sys_id"],
        limit: 1,
    });
    const ref = registered[0]?.sys_id;
    if (!ref) {
        throw new Error(
            `target instance "${target}" is not registered in the instance table on ${source.url}, so it has no clone history there`,
        );
    }
    const entries: CloneHistoryEntry[] = [];
    for (const table of TABLES) {
        let rows: Record<string, string>[];
        try {
            rows = await source.query(table, {
                query: `target_instance=${ref}^ORDERBYDESCsys_created_on`,
                fields: FIELDS,
                limit,
            });
        } catch {
            // The legacy table is gone on newer instances; the Clone Admin Console's is the record.
            if (table === "clone_instance") continue;
            throw new Error(`cannot read ${table} on ${source.url}`);
        }
        for (const row of rows) {
            entries.push({
                cloneId: row.sys_id ?? "",
                table,
                state: row.state ?? "",
                requestedAt: isoOf(row.sys_created_on),
                scheduledAt: isoOf(row.scheduled),
                startedAt: isoOf(row.started),
                completedAt: isoOf(row.completed),
                durationSeconds: duration(row),
                profile: row.profile ?? "",
                errorMessage: row.error_message ?? "",
                warnings: [],
            });
        }
    }
    const profiles = [...new Set(entries.map((e) => e.profile).filter(Boolean))];
    if (profiles.length > 0) {
        const names = await source.query("clone_profile", {
            query: `sys_idIN${profiles.join(",")}`,
            fields: ["sys_id", "name"],
        });
        const byId = new Map(names.map((p) => [p.sys_id, p.name ?? ""]));
        for (const e of entries) if (e.profile) e.profile = byId.get(e.profile) || e.profile;
    }
    const ids = entries.filter((e) => e.table === "sn_instance_clone_request").map((e) => e.cloneId);
    if (ids.length > 0) {
        const logs = await source.query("sn_instance_clone_log", {
            query: `cloneIN${ids.join(",")}^levelINwarn,error^ORDERBYsys_id`,
            fields: ["clone", "level", "message"],
        });
        const byClone = new Map(entries.map((e) => [e.cloneId, e]));
        for (const l of logs) byClone.get(l.clone ?? "")?.warnings.push(`${l.level}: ${l.message}`);
    }
    // Requests made within one second tie on requestedAt; the one still running, or that ended later, is newer.
    const key = (e: CloneHistoryEntry) => `${e.requestedAt}|${e.completedAt || "~"}|${e.startedAt}`;
    return entries.sort((a, b) => key(b).localeCompare(key(a))).slice(0, limit);
}
