/**
 * What a clone does to this area's tables, once the copy and the cleanup scripts are done.
 *
 * - Credentials: "Credential aliases are cloned but their credentials aren't cloned" and field-encryption keys are
 *   regenerated on the target (reference/servicenow-api.md §4.8, §6.6). Credential records copied from the source keep
 *   their names and the connections that point at them, but their secrets are gone; a credential the target
 *   preserved keeps its own secret.
 * - Connections, data sources, OAuth providers and banner announcements are ordinary copied tables: they arrive
 *   pointing at production, and the target's own banner is lost unless preserved (§4.1, §6.8).
 * - Data Privacy: the PostClone script creates a `dp_federated_job` with one `dp_job` per active configuration
 *   flagged "apply when cloning", in order (reference/platform-apis.md §2.5). The emulator runs each job at once with
 *   the configuration's field techniques; a job whose table or field does not exist fails with a message.
 */
import { maskValue, selectiveMask } from "../../provider/masking/techniques";
import type { CloneDb } from "../clone/engine";
import { Prng } from "../prng";
import { DpJobState } from "./tables";

/** A line for the clone log. */
export interface CloneLogLine {
    level: "info" | "warn" | "error";
    message: string;
}

/** Applies this area's clone effects to the target; returns lines for the clone log. */
export function afterCloneIntegrations(
    source: Pick<CloneDb, "schema" | "get">,
    target: CloneDb,
    now: number,
): CloneLogLine[] {
    const lines: CloneLogLine[] = [];
    if (target.schema.has("discovery_credentials")) dropCopiedSecrets(source, target, lines);
    if (target.schema.has("dp_configuration")) runDataPrivacyJobs(target, now, lines);
    return lines;
}

function dropCopiedSecrets(source: Pick<CloneDb, "schema" | "get">, target: CloneDb, lines: CloneLogLine[]): void {
    let dropped = 0;
    for (const row of target.query("discovery_credentials", "passwordISNOTEMPTY")) {
        const original = source.schema.has("discovery_credentials")
            ? source.get("discovery_credentials", row.sys_id)
            : undefined;
        // Same sys_id and same stored secret: the row came from the source. A preserved row has the target's own.
        if (original && original.password === row.password) {
            target.update("discovery_credentials", row.sys_id, { password: "" });
            dropped++;
        }
    }
    if (dropped > 0) {
        lines.push({
            level: "info",
            message: `${dropped} credential(s) copied without their secrets: field-encryption keys differ on the target`,
        });
    }
}

function runDataPrivacyJobs(db: CloneDb, now: number, lines: CloneLogLine[]): void {
    const configs = db.query("dp_configuration", "active=true^apply_when_cloning=true^ORDERBYorder");
    if (configs.length === 0) return;
    const at = stamp(now);
    const federated = db.insert("dp_federated_job", { state: DpJobState.InProgress, source: "clone", started: at });
    let failed = 0;
    for (const config of configs) {
        const job = db.insert("dp_job", {
            federated_job: federated.sys_id,
            configuration: config.sys_id,
            table: config.table ?? "",
            order: config.order ?? "100",
            state: DpJobState.InProgress,
            started: at,
        });
        const error = runJob(db, config, job.sys_id);
        if (error) failed++;
        db.update("dp_job", job.sys_id, {
            state: error ? DpJobState.Failed : DpJobState.Completed,
            completed: at,
            error_message: error ?? "",
        });
    }
    db.update("dp_federated_job", federated.sys_id, {
        state: failed > 0 ? DpJobState.Failed : DpJobState.Completed,
        completed: at,
        error_message: failed > 0 ? `${failed} of ${configs.length} data privacy job(s) failed` : "",
    });
    lines.push({
        level: failed > 0 ? "error" : "info",
        message: `Data Privacy: ${configs.length} job(s) run after the clone, ${failed} failed`,
    });
}

/** Runs one job; returns its error message, or undefined when it completed. */
function runJob(db: CloneDb, config: Readonly<Record<string, string>>, jobId: string): string | undefined {
    const table = config.table ?? "";
    const info = db.schema.find(table);
    if (!info) return `Table ${table} does not exist`;
    const techniques = db.query("dp_field_technique", `configuration=${config.sys_id}`).map((ft) => ({
        field: ft.field ?? "",
        technique: db.get("dp_technique", ft.technique ?? ""),
    }));
    for (const t of techniques) {
        if (!info.fields.has(t.field)) return `Field ${t.field} does not exist on ${table}`;
        if (!t.technique) return `Field ${t.field} of ${table} has no technique`;
    }
    const rows = db.query(table, config.condition ?? "");
    // Random Replace is random on the platform; a per-job sequence keeps the emulator repeatable.
    const prng = new Prng(rows.length * 7919 + techniques.length);
    const counts = new Map<string, number>();
    for (const row of rows) {
        const values: Record<string, string> = {};
        for (const { field, technique } of techniques) {
            const next = applyPlatformTechnique(technique!, row[field] ?? "", prng);
            if (next !== (row[field] ?? "")) {
                values[field] = next;
                counts.set(field, (counts.get(field) ?? 0) + 1);
            }
        }
        if (Object.keys(values).length > 0) db.update(row.sys_class_name || table, row.sys_id, values);
    }
    for (const { field, technique } of techniques) {
        db.insert("dp_job_summary", {
            job: jobId,
            field,
            technique: technique!.sys_id,
            records: String(counts.get(field) ?? 0),
        });
    }
    db.update("dp_job", jobId, { records_processed: String(rows.length) });
    return undefined;
}

/** One of the platform's techniques applied to a value (config-dp-technique.md). */
function applyPlatformTechnique(t: Readonly<Record<string, string>>, value: string, prng: Prng): string {
    switch (t.type) {
        case "remove":
            return "";
        case "static_replace":
            return maskValue(
                {
                    technique: "static",
                    value: t.string_value || "TEXT123",
                    preserveLength: t.preserve_data_length !== "false",
                },
                value,
                { salt: "", table: "", field: "", sysId: "", emailDomain: "" },
            );
        case "selective_replace": {
            const end = Number(t.end_index ?? "0");
            return selectiveMask(value, {
                start: Number(t.start_index ?? "0"),
                end: end > 0 ? end : undefined,
                exclude: t.exclude_char ?? "",
                char: t.char_to_replace || "*",
            });
        }
        case "random_replace": {
            const chars = "abcdefghijklmnopqrstuvwxyz0123456789";
            let out = "";
            for (let i = 0; i < value.length; i++) out += chars[prng.int(0, chars.length - 1)];
            return out;
        }
        default:
            return value;
    }
}

function stamp(at: number): string {
    return new Date(at).toISOString().slice(0, 19).replace("T", " ");
}
