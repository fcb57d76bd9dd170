/**
 * The Change Management API's scheduling routes: `PATCH /change/{sys_id}/schedule/first_available` starts a worker
 * that moves the change's planned start and end to the first slot its CI's schedules allow, and
 * `GET /change/worker/{sys_id}` reports that worker. The tables they read (schedules, entries, CIs, workers) are
 * here too. README.md beside this file has the documented shapes and what is inferred.
 */
import type { ApiRequest, InstanceContext } from "../api-types";
import { allowed } from "../auth";
import { type ApiResponse, errors, failure, json } from "../envelope";
import { fields, type TableDef } from "../schema";
import { glideDateTime, type Row, toStoredString } from "../values";
import { firstSlot, parseScheduleTime, slotConstraints, UnsupportedScheduleError } from "./slots";

const CHANGE = "change_request";
const WORKER = "chg_mgt_worker";
/** The property that bounds the search, in days, and its documented default. */
export const SCHEDULE_WINDOW_PROPERTY = "change.conflict.next_available.schedule_window";
const DEFAULT_SCHEDULE_WINDOW_DAYS = 90;
/** The route's documented role, besides the API's write roles. */
const SCHEDULE_ROLES = ["sn_change_writer", "change_manager", "itil"];
/** Who may read a worker: the API's read roles. */
const READ_ROLES = ["change_manager", "itil", "sn_change_read", "sn_change_writer"];
/** Worker states: 1 Waiting, 2 In-Progress, 3 Complete, 4 Error (labels documented; 2 and 4 inferred from order). */
const WORKER_STATE: Record<string, string> = { "1": "Waiting", "2": "In-Progress", "3": "Complete", "4": "Error" };
const DAY_MS = 24 * 60 * 60 * 1000;

/** The scheduling tables: schedules and their entries, blackout and maintenance schedules, CIs, and workers. */
export function scheduleTables(): TableDef[] {
    return [
        {
            name: "cmn_schedule",
            label: "Schedule",
            fields: fields("name", "type", "time_zone", "description"),
        },
        {
            name: "cmn_schedule_condition",
            label: "Condition Schedule",
            parent: "cmn_schedule",
            fields: fields("applies_to", "condition"),
        },
        {
            name: "cmn_schedule_maintenance",
            label: "Maintenance Schedule",
            parent: "cmn_schedule_condition",
            fields: [],
        },
        { name: "cmn_schedule_blackout", label: "Blackout Schedule", parent: "cmn_schedule_condition", fields: [] },
        {
            name: "cmn_schedule_span",
            label: "Schedule Entry",
            fields: fields(
                "schedule:ref:cmn_schedule",
                "name",
                "start_date_time",
                "end_date_time",
                "repeat_type",
                "days_of_week",
                "repeat_until",
                "all_day:boolean=false",
                "show_as=busy",
            ),
        },
        {
            name: "cmdb_ci",
            label: "Configuration Item",
            fields: fields("name", "operational_status:integer=1", "maintenance_schedule:ref:cmn_schedule"),
        },
        {
            name: WORKER,
            label: "Change Management Worker",
            acl: { write: ["admin"] },
            fields: fields("type", "state:integer=1", "request", "change_request:ref:change_request", "messages"),
        },
    ];
}

/** Answers `…/change/{id}/schedule/first_available` and `…/change/worker/{id}`; undefined for other paths. */
export function scheduleRoute(
    ctx: InstanceContext,
    req: ApiRequest,
    method: string,
    parts: readonly (string | undefined)[],
): ApiResponse | undefined {
    const [first, second, third, fourth] = parts;
    if (first === "worker" && second !== undefined && third === undefined) {
        if (method !== "GET") return errors.methodNotSupported(method);
        if (!allowed(req.user, READ_ROLES)) {
            return failure(
                403,
                "Forbidden",
                `User ${req.user.userName} needs one of the roles ${READ_ROLES.join(", ")}`,
            );
        }
        return readWorker(ctx, second);
    }
    if (second === "schedule" && third === "first_available" && fourth === undefined && first !== undefined) {
        return method === "PATCH" ? firstAvailable(ctx, req, first) : errors.methodNotSupported(method);
    }
    return undefined;
}

function firstAvailable(ctx: InstanceContext, req: ApiRequest, changeId: string): ApiResponse {
    if (!allowed(req.user, SCHEDULE_ROLES)) {
        return failure(
            403,
            "Forbidden",
            `User ${req.user.userName} cannot write the planned start and end dates: needs sn_change_writer`,
        );
    }
    const change = ctx.db.get(CHANGE, changeId);
    if (!change) return errors.notFound();
    let input: Record<string, unknown>;
    try {
        input = req.body.trim() === "" ? {} : (JSON.parse(req.body) as Record<string, unknown>);
    } catch {
        return errors.badJson();
    }
    const rawDuration = toStoredString(input.duration_in_seconds);
    const duration = Number(rawDuration);
    if (!/^\d+$/.test(rawDuration) || duration <= 0) {
        return failure(
            400,
            "Invalid duration_in_seconds",
            rawDuration === ""
                ? "duration_in_seconds is required: the change's duration in seconds"
                : `duration_in_seconds "${rawDuration}" is not a positive whole number of seconds`,
        );
    }
    const plannedStart = toStoredString(input.planned_start_time);
    if (plannedStart !== "" && !/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(plannedStart)) {
        return failure(
            400,
            "Invalid planned_start_time",
            `planned_start_time "${plannedStart}" is not a UTC date-time in the format yyyy-mm-dd hh:mm:ss`,
        );
    }
    if (!change.cmdb_ci) {
        return failure(
            400,
            "Invalid change request",
            `${change.number} has no configuration item (cmdb_ci); first_available needs one to read its schedules`,
        );
    }
    const request = JSON.stringify({
        change_sys_id: change.sys_id,
        duration_in_seconds: duration,
        ...(plannedStart ? { planned_start_time: plannedStart } : {}),
        timezone: "UTC",
    });
    const worker = ctx.db.insert(
        WORKER,
        { type: "schedule", state: "1", request, change_request: change.sys_id, messages: emptyMessages() },
        req.user.userName,
    );
    // The platform runs the worker in the background; here it runs right after this response (or when first read).
    setImmediate(() => {
        if (runWorker(ctx, worker.sys_id)) ctx.db.commit();
    });
    return json(202, { result: workerBody(ctx, worker) });
}

function emptyMessages(): string {
    return JSON.stringify({ errorMessages: [], warningMessages: [], infoMessages: [] });
}

/** Runs a waiting worker once; true when it wrote. */
function runWorker(ctx: InstanceContext, workerId: string): boolean {
    const worker = ctx.db.get(WORKER, workerId);
    if (worker?.state !== "1") return false;
    const finish = (state: string, messages: { errorMessages?: string[]; infoMessages?: string[] }) =>
        ctx.db.update(WORKER, worker.sys_id, {
            state,
            messages: JSON.stringify({ errorMessages: [], warningMessages: [], infoMessages: [], ...messages }),
        });
    const request = JSON.parse(worker.request ?? "{}") as { duration_in_seconds: number; planned_start_time?: string };
    const change = ctx.db.get(CHANGE, worker.change_request ?? "");
    const ci = change?.cmdb_ci ? ctx.db.get("cmdb_ci", change.cmdb_ci) : undefined;
    if (!change || !ci) {
        finish("4", { errorMessages: ["Invalid CMDB_CI sys_id provided"] });
        return true;
    }
    const days = Number(ctx.db.getProperty(SCHEDULE_WINDOW_PROPERTY) || DEFAULT_SCHEDULE_WINDOW_DAYS);
    const windowDays = Number.isFinite(days) && days > 0 ? days : DEFAULT_SCHEDULE_WINDOW_DAYS;
    const now = Date.now();
    const planned = parseScheduleTime(request.planned_start_time);
    const from = Number.isFinite(planned) ? planned : Math.floor(now / 1000) * 1000;
    const durationMs = request.duration_in_seconds * 1000;
    const latest = now + windowDays * DAY_MS;
    try {
        const constraints = slotConstraints(ctx.db, change, ci, from, latest + durationMs);
        const at = firstSlot(from, durationMs, latest, constraints);
        if (at === undefined) {
            finish("3", { infoMessages: [`No slots found for ${windowDays} days from now`] });
            return true;
        }
        ctx.db.update(CHANGE, change.sys_id, {
            start_date: glideDateTime(at),
            end_date: glideDateTime(at + durationMs),
        });
        finish("3", { infoMessages: ["Change has been updated"] });
    } catch (error) {
        if (!(error instanceof UnsupportedScheduleError)) throw error;
        finish("4", { errorMessages: [error.message] });
    }
    return true;
}

function readWorker(ctx: InstanceContext, workerId: string): ApiResponse {
    const worker = ctx.db.get(WORKER, workerId);
    if (!worker) return errors.notFound();
    runWorker(ctx, worker.sys_id);
    return json(200, { result: workerBody(ctx, ctx.db.get(WORKER, worker.sys_id) ?? worker) });
}

/** The worker as the API renders it: link, original request, state, type and messages. */
function workerBody(ctx: InstanceContext, worker: Row): Record<string, unknown> {
    const state = worker.state ?? "1";
    return {
        worker: { sysId: worker.sys_id, link: `${ctx.baseUrl}/api/sn_chg_rest/change/worker/${worker.sys_id}` },
        request: worker.request ?? "",
        state: { value: Number(state), display_value: WORKER_STATE[state] ?? state },
        type: worker.type ?? "",
        messages: JSON.parse(worker.messages || emptyMessages()) as unknown,
    };
}
