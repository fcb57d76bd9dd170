/**
 * The scheduling rules of clone requests: a scheduled start the clone waits for, the platform's minimum gap between
 * clones into one target, the notifications the Clone Admin Console offers, and the history fields (duration) a
 * finished request carries.
 *
 * The engine calls these with a line each; the rules read here in one place.
 */
import type { CloneDb } from "./engine";
import type { CloneRow } from "./plan";

const REQUEST_TABLE = "sn_instance_clone_request";
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The platform's minimum time between clones into one target: "at least five days apart" in the scheduling docs
 * (the Australia release notes say seven; configurable for that reason).
 */
export const DEFAULT_MIN_GAP_DAYS = 5;

/**
 * Requests the gap is kept against: those not started yet. The docs say two clone requests for one target within
 * five days return an error "to prevent overlap"; a running clone is refused by preflight instead, and a finished
 * one no longer overlaps anything (inferred reading, see README.md).
 */
const COUNTED_STATES = ["Requested", "Scheduled"];
/** States worth an email: the CAC mails on scheduling, start and every ending. */
const NOTIFIED_STATES = new Set(["Scheduled", "Active", "Completed", "Error", "Canceled", "Hold", "Rolled back"]);
const FINAL_STATES = new Set(["Completed", "Error", "Canceled", "Hold"]);

/** Epoch milliseconds of a stored `YYYY-MM-DD HH:MM:SS` UTC date-time; NaN when blank or malformed. */
function parseTime(value: string | undefined): number {
    return value ? Date.parse(`${value.replace(" ", "T")}Z`) : Number.NaN;
}

function formatTime(at: number): string {
    return new Date(at).toISOString().slice(0, 19).replace("T", " ");
}

/** When a request may start: its `scheduled` time, or 0 (as soon as possible) when blank. */
export function startNotBefore(request: CloneRow): number {
    const at = parseTime(request.scheduled);
    return Number.isFinite(at) ? at : 0;
}

/** True when `a` was requested before `b` (sys_created_on, then sys_id, so two requests in one second still order). */
function requestedBefore(a: CloneRow, b: CloneRow): boolean {
    const x = a.sys_created_on ?? "";
    const y = b.sys_created_on ?? "";
    return x < y || (x === y && a.sys_id < b.sys_id);
}

/** When a counted request will start: its scheduled time, else when it was requested (as soon as possible). */
function cloneTime(row: CloneRow): number {
    for (const v of [row.scheduled, row.sys_created_on]) {
        const at = parseTime(v);
        if (Number.isFinite(at)) return at;
    }
    return Number.NaN;
}

/**
 * Why a new request must be refused for starting too close to another clone into the same target (naming that
 * clone and the earliest start that would be accepted), or undefined when it keeps the gap.
 */
export function gapRefusal(db: CloneDb, request: CloneRow, now: number, minGapDays: number): string | undefined {
    if (minGapDays <= 0 || !request.target_instance) return undefined;
    const gap = minGapDays * DAY_MS;
    const start = startNotBefore(request) || now;
    const others = db
        .query(REQUEST_TABLE, `target_instance=${request.target_instance}^stateIN${COUNTED_STATES.join(",")}`)
        .filter((r) => r.sys_id !== request.sys_id && !(r.state === "Requested" && !requestedBefore(r, request)));
    let nearest: { row: CloneRow; at: number } | undefined;
    for (const row of others) {
        const at = cloneTime(row);
        if (!Number.isFinite(at) || Math.abs(at - start) >= gap) continue;
        if (!nearest || Math.abs(at - start) < Math.abs(nearest.at - start)) nearest = { row, at };
    }
    if (!nearest) return undefined;
    const target = db.get("instance", request.target_instance)?.instance_name || request.target_instance;
    const latest = Math.max(...others.map(cloneTime).filter(Number.isFinite));
    return (
        `Clones into ${target} must be at least ${minGapDays} days apart: clone ${nearest.row.sys_id} ` +
        `(${nearest.row.state}, ${formatTime(nearest.at)} UTC) is within ${minGapDays} days of the requested start ` +
        `${formatTime(start)} UTC; schedule this clone for ${formatTime(latest + gap)} UTC or later`
    );
}

/**
 * Records a state change of a request: on an ending, `duration` (seconds from started, or from requested when it
 * never started); on a milestone, the Clone Admin Console's notification to the requester ("Email updates about
 * this clone") and the external addresses, queued in sys_email. Returns the row as it now is.
 */
export function cloneMilestone(db: CloneDb, row: CloneRow, now: number): CloneRow {
    let current = row;
    if (FINAL_STATES.has(row.state ?? "")) {
        const from = parseTime(row.started || row.sys_created_on);
        const to = parseTime(row.completed) || now;
        if (Number.isFinite(from)) {
            current =
                db.update(REQUEST_TABLE, row.sys_id, {
                    duration: String(Math.max(0, Math.round((to - from) / 1000))),
                }) ?? current;
        }
    }
    if (!NOTIFIED_STATES.has(current.state ?? "")) return current;
    const recipients = notificationAddresses(db, current);
    if (recipients.length === 0) return current;
    const target = db.get("instance", current.target_instance ?? "")?.instance_name || "the target";
    const lines = [
        `Clone ${current.sys_id} into ${target}: ${current.state}`,
        current.scheduled ? `Scheduled start: ${current.scheduled} UTC` : "",
        current.started ? `Started: ${current.started} UTC` : "",
        current.completed ? `Completed: ${current.completed} UTC` : "",
        current.error_message ? `Error: ${current.error_message}` : "",
    ].filter(Boolean);
    try {
        db.insert("sys_email", {
            type: "send-ready",
            mailbox: "outbox",
            recipients: recipients.join(","),
            subject: `Clone ${current.state}: ${target}`,
            body: lines.join("\n"),
        });
    } catch {
        // An instance without sys_email still clones; the request row is the record.
    }
    return current;
}

/** The requester (when `email_updates` is on) and every `external_email` address, without duplicates. */
export function notificationAddresses(db: CloneDb, row: CloneRow): string[] {
    const out = new Set<string>();
    if (row.email_updates === "true") {
        const byId = row.requested_by ? db.get("sys_user", row.requested_by) : undefined;
        const user = byId ?? db.query("sys_user", `user_name=${row.sys_created_by ?? ""}`, { limit: 1 })[0];
        if (user?.email) out.add(user.email);
    }
    for (const a of (row.external_email ?? "").split(/[,;\s]+/)) if (a.includes("@")) out.add(a.trim());
    return [...out];
}
