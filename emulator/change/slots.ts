/**
 * Where a change on a configuration item may run: occurrences of schedule entries (`cmn_schedule_span`), the CI's
 * maintenance and blackout schedules, other changes on the CI, and the first slot that avoids them all. Pure
 * functions over rows; schedule.ts serves them as the Change Management API's first-available-slot route.
 */
import type { InstanceDb } from "../db";
import type { Row } from "../values";

/** A half-open time interval, epoch milliseconds. */
export interface Interval {
    start: number;
    end: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** `days_of_week` digits: 1 Monday … 7 Sunday, as the schedule entry form stores them. */
const WEEKDAYS = "12345";
const WEEKEND = "67";
/** Repeat types the emulator expands; any other one fails the worker rather than being read as "no repeat". */
const REPEATS = new Set(["", "daily", "weekdays", "weekends", "weekly"]);
/** Time zones the emulator evaluates (it reads every schedule in UTC). */
const UTC_ZONES = new Set(["", "UTC", "GMT", "Etc/UTC", "Etc/GMT"]);

/** Raised when a schedule uses something the emulator does not evaluate; the worker ends in Error with the text. */
export class UnsupportedScheduleError extends Error {}

/**
 * Epoch milliseconds of a schedule date-time: the platform's `20261205T020000` (glide_schedule_date_time) or
 * `2026-12-05 02:00:00`; NaN otherwise.
 */
export function parseScheduleTime(value: string | undefined): number {
    if (!value) return Number.NaN;
    const compact = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})$/.exec(value);
    if (compact) {
        const [, y, mo, d, h, mi, s] = compact;
        return Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
    }
    return /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(value) ? Date.parse(`${value.replace(" ", "T")}Z`) : Number.NaN;
}

/** `days_of_week` digit of a UTC day (1 Monday … 7 Sunday). */
function weekdayDigit(at: number): string {
    return String(((new Date(at).getUTCDay() + 6) % 7) + 1);
}

/** The occurrences of one schedule entry that overlap [from, to). */
export function spanOccurrences(span: Row, from: number, to: number): Interval[] {
    const start = parseScheduleTime(span.start_date_time);
    const end = parseScheduleTime(span.end_date_time);
    const repeat = span.repeat_type ?? "";
    if (!Number.isFinite(start) || !Number.isFinite(end) || end <= start) return [];
    if (!REPEATS.has(repeat)) {
        throw new UnsupportedScheduleError(
            `schedule entry "${span.name ?? span.sys_id}" repeats "${repeat}"; the emulator expands only daily, weekdays, weekends and weekly entries`,
        );
    }
    const length = end - start;
    if (repeat === "") return start < to && end > from ? [{ start, end }] : [];
    const until = parseScheduleTime(span.repeat_until ? `${span.repeat_until.replace(/-/g, "")}T235959` : undefined);
    const last = Math.min(to, Number.isFinite(until) ? until : to);
    const days =
        repeat === "daily"
            ? "1234567"
            : repeat === "weekdays"
              ? WEEKDAYS
              : repeat === "weekends"
                ? WEEKEND
                : span.days_of_week || weekdayDigit(start);
    const out: Interval[] = [];
    // The first occurrence that can still overlap `from` starts at most one entry length earlier.
    const firstDay = Math.max(start, start + Math.floor((from - length - start) / DAY_MS) * DAY_MS);
    for (let at = firstDay; at < last; at += DAY_MS) {
        if (!days.includes(weekdayDigit(at))) continue;
        if (at + length > from) out.push({ start: at, end: at + length });
    }
    return out;
}

/** Every occurrence of a schedule's entries overlapping [from, to), in order; UTC schedules only. */
export function scheduleOccurrences(db: InstanceDb, schedule: Row, from: number, to: number): Interval[] {
    const zone = schedule.time_zone ?? "";
    if (!UTC_ZONES.has(zone)) {
        throw new UnsupportedScheduleError(
            `schedule "${schedule.name}" is in time zone ${zone}; the emulator evaluates schedules in UTC only`,
        );
    }
    return db
        .query("cmn_schedule_span", `schedule=${schedule.sys_id}`)
        .flatMap((span) => spanOccurrences(span, from, to))
        .sort((a, b) => a.start - b.start);
}

/**
 * True when a blackout or maintenance schedule applies to the change: its `applies_to` is `change_request` and its
 * `condition` matches the change, or it is a CI table (blank means `cmdb_ci`) and the condition matches the CI.
 */
function applies(db: InstanceDb, schedule: Row, change: Row, ci: Row): boolean {
    const table = schedule.applies_to || "cmdb_ci";
    const condition = schedule.condition ?? "";
    if (table === "change_request") {
        return db.query("change_request", [`sys_id=${change.sys_id}`, condition].filter(Boolean).join("^")).length > 0;
    }
    if (!db.schema.has(table)) return false;
    return db.query(table, [`sys_id=${ci.sys_id}`, condition].filter(Boolean).join("^")).length > 0;
}

/** What constrains a change on a CI within [from, to). */
export interface SlotConstraints {
    /** Maintenance windows the change must fit in, or undefined when no maintenance schedule applies. */
    maintenance?: Interval[];
    /** Blackouts and other changes on the CI the change must not overlap. */
    blocked: Interval[];
}

/**
 * The constraints on `change` (whose CI is `ci`): the CI's maintenance schedule and every maintenance schedule that
 * applies, the blackout schedules that apply, and the planned times of the other active changes on the CI.
 */
export function slotConstraints(db: InstanceDb, change: Row, ci: Row, from: number, to: number): SlotConstraints {
    const maintenanceRows: Row[] = [];
    const own = ci.maintenance_schedule ? db.get("cmn_schedule", ci.maintenance_schedule) : undefined;
    if (own) maintenanceRows.push(own);
    for (const s of db.query("cmn_schedule_maintenance", "")) {
        if (s.sys_id !== own?.sys_id && applies(db, s, change, ci)) maintenanceRows.push(s);
    }
    const blocked: Interval[] = [];
    for (const s of db.query("cmn_schedule_blackout", "")) {
        if (applies(db, s, change, ci)) blocked.push(...scheduleOccurrences(db, s, from, to));
    }
    const others = db.query("change_request", `cmdb_ci=${ci.sys_id}^active=true^sys_id!=${change.sys_id}`);
    for (const other of others) {
        const start = parseScheduleTime(other.start_date);
        const end = parseScheduleTime(other.end_date);
        if (Number.isFinite(start) && Number.isFinite(end) && end > start) blocked.push({ start, end });
    }
    const maintenance =
        maintenanceRows.length > 0
            ? maintenanceRows.flatMap((s) => scheduleOccurrences(db, s, from, to)).sort((a, b) => a.start - b.start)
            : undefined;
    return { maintenance, blocked };
}

/**
 * The first start at or after `from`, no later than `latest`, where `durationMs` fits inside one maintenance
 * window (when there are any) and overlaps nothing blocked; undefined when there is none.
 */
export function firstSlot(from: number, durationMs: number, latest: number, c: SlotConstraints): number | undefined {
    let at = from;
    for (let step = 0; step < 100_000 && at <= latest; step++) {
        if (c.maintenance) {
            const fits = c.maintenance.find((w) => w.start <= at && at + durationMs <= w.end);
            if (!fits) {
                const next = c.maintenance.find((w) => w.start > at && w.end - w.start >= durationMs);
                if (!next) return undefined;
                at = next.start;
                continue;
            }
        }
        const overlapping = c.blocked.filter((b) => b.start < at + durationMs && b.end > at);
        if (overlapping.length === 0) return at;
        at = Math.max(...overlapping.map((b) => b.end));
    }
    return undefined;
}
