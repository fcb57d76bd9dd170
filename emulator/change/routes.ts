/**
 * The Change Management REST API (`/api/sn_chg_rest[/v1]/change…`), its State Model on writes, the Table API rule
 * that a change's state moves only through this API, and the emulator's approval control endpoint.
 *
 * Records come back as the API's ChangeCommon.toJS renders them: every field `{display_value, value}`, date-times with
 * `display_value_internal`, integers as numbers and booleans as booleans. README.md beside this file has the model.
 */
import type { ApiRequest, InstanceContext } from "../api-types";
import { allowed } from "../auth";
import { type ApiResponse, errors, failure, json } from "../envelope";
import { columnsFor, renderRow } from "../render";
import type { TableInfo } from "../schema";
import { glideDateTime, type Row, toStoredString } from "../values";
import { scheduleRoute } from "./schedule";
import { ChangeState, type ChangeType, nextStates, refusal, resolveState, stateLabel } from "./state-model";

const CHANGE = "change_request";
const TASK = "change_task";
const TEMPLATE = "std_change_record_producer";
const APPROVAL = "sysapproval_approver";

/** Roles the API documents: GET change_manager, itil, sn_change_read or admin; PATCH/POST change_manager, itil or admin. */
const READ_ROLES = ["change_manager", "itil", "sn_change_read"];
const WRITE_ROLES = ["change_manager", "itil"];
const DELETE_ROLES = ["change_manager"];

const PREFIX = /^\/api\/sn_chg_rest(?:\/v\d+)?\/change(?:\/(.*?))?\/?$/;
const TYPES: readonly ChangeType[] = ["normal", "standard", "emergency"];
/** The API's default page size. */
const DEFAULT_LIMIT = 500;

/** True when a path belongs to the Change Management API. */
export function isChangeApiPath(pathname: string): boolean {
    return PREFIX.test(pathname);
}

/**
 * Answers one Change Management API request, or undefined when the path is not this API's; the caller dispatches
 * here before the Table API.
 *
 * Table API writes to `change_request` pass through {@link guardTableWrite} instead.
 */
export function changeApi(ctx: InstanceContext, req: ApiRequest): ApiResponse | undefined {
    const m = PREFIX.exec(req.pathname);
    if (!m) return guardTableWrite(ctx, req);
    if (!ctx.db.schema.has(CHANGE)) return errors.badUri();
    const parts = (m[1] ?? "").split("/").filter(Boolean).map(decodeURIComponent);
    const method = req.method === "HEAD" ? "GET" : req.method;
    // The scheduling routes document their own roles (sn_change_writer).
    const scheduling = scheduleRoute(ctx, req, method, parts);
    if (scheduling) return scheduling;
    const roles = method === "GET" ? READ_ROLES : method === "DELETE" ? DELETE_ROLES : WRITE_ROLES;
    if (!allowed(req.user, roles)) {
        return failure(
            403,
            "Forbidden",
            `User ${req.user.userName} needs one of the roles ${roles.join(", ")} or admin`,
        );
    }
    const [first, second, third, fourth] = parts;
    // change | change/{id} | change/{type} | change/{type}/{id} | change/standard/template[/{id}] | change/standard/{template}
    if (first === undefined) return method === "GET" ? list(ctx, req, undefined) : errors.methodNotSupported(method);
    if (first === "standard" && second === "template") {
        if (method !== "GET") return errors.methodNotSupported(method);
        return third ? one(ctx, TEMPLATE, third) : listTable(ctx, req, TEMPLATE, "active=true");
    }
    if ((TYPES as readonly string[]).includes(first)) {
        const type = first as ChangeType;
        if (second === undefined) {
            if (method === "GET") return list(ctx, req, type);
            if (method === "POST" && type !== "standard") return create(ctx, req, type, undefined);
            return errors.methodNotSupported(method);
        }
        if (type === "standard" && method === "POST" && third === undefined) return create(ctx, req, type, second);
        return byId(ctx, req, method, second, type, third, fourth);
    }
    return byId(ctx, req, method, first, undefined, second, third);
}

function byId(
    ctx: InstanceContext,
    req: ApiRequest,
    method: string,
    id: string,
    type: ChangeType | undefined,
    sub: string | undefined,
    subId: string | undefined,
): ApiResponse {
    const row = ctx.db.get(CHANGE, id);
    if (!row || (type && row.type !== type)) return errors.notFound();
    if (sub === undefined) {
        if (method === "GET") return record(ctx, CHANGE, row);
        if (method === "PATCH" || method === "PUT") return patch(ctx, req, row);
        if (method === "DELETE") {
            ctx.db.delete(CHANGE, row.sys_id);
            return record(ctx, CHANGE, row);
        }
        return errors.methodNotSupported(method);
    }
    if (sub === "task") return tasks(ctx, req, method, row, subId);
    if (sub === "approvals" && (method === "PATCH" || method === "POST")) return approveAsCaller(ctx, req, row);
    if (sub === "nextstates" && method === "GET") {
        return json(200, {
            result: {
                state_label: { [row.state ?? ""]: stateLabel(row.state ?? "") },
                available_states: [row.state ?? "", ...nextStates(row.type ?? "", row.state ?? "")],
            },
        });
    }
    return errors.badUri();
}

/** Parses the JSON body; name-value pairs in the URL count too, the body overriding them, as documented. */
function values(req: ApiRequest): Record<string, unknown> | undefined {
    const out: Record<string, unknown> = {};
    for (const [k, v] of req.params) if (!k.startsWith("sysparm_") && k !== "encrypted_fields") out[k] = v;
    if (req.body.trim() === "") return out;
    try {
        const parsed = JSON.parse(req.body) as unknown;
        if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) return undefined;
        return { ...out, ...(parsed as Record<string, unknown>) };
    } catch {
        return undefined;
    }
}

/** Drops fields the record does not have and resolves choice labels, as ChangeCommon.setValues does. */
function applicable(info: TableInfo, input: Record<string, unknown>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, raw] of Object.entries(input)) {
        const f = info.fields.get(name);
        if (!f || name.startsWith("sys_") || name === "number") continue;
        let v = toStoredString(raw);
        if (f.choices && !(v in f.choices)) {
            const byLabel = Object.entries(f.choices).find(([, label]) => label.toLowerCase() === v.toLowerCase());
            if (byLabel) v = byLabel[0];
        }
        out[name] = v;
    }
    return out;
}

function create(ctx: InstanceContext, req: ApiRequest, type: ChangeType, templateId: string | undefined): ApiResponse {
    const input = values(req);
    if (!input) return errors.badJson();
    const info = ctx.db.schema.table(CHANGE);
    const fields: Record<string, string> = {};
    if (templateId !== undefined) {
        const template = ctx.db.get(TEMPLATE, templateId);
        if (!template || template.active === "false") {
            return failure(
                404,
                "No Record found",
                `Standard change template ${templateId} does not exist or is not active (std_change_record_producer)`,
            );
        }
        Object.assign(fields, applicable(info, templateValues(template.template ?? "")));
        fields.std_change_producer_version = template.current_version ?? "";
        if (!fields.short_description) fields.short_description = template.short_description || template.name || "";
    }
    Object.assign(fields, applicable(info, input));
    const requested = fields.state;
    delete fields.state;
    fields.type = type;
    // Standard changes are pre-approved; the others ask for approval when they leave New.
    fields.approval = type === "standard" ? "approved" : "not requested";
    if (!fields.requested_by) fields.requested_by = req.user.sysId;
    if (!fields.opened_by) fields.opened_by = req.user.sysId;
    const row = ctx.db.insert(CHANGE, { ...fields, state: ChangeState.New }, req.user.userName);
    if (requested !== undefined && resolveState(requested) !== ChangeState.New) {
        // A state in the create body is a move from New like any other: refused moves undo the insert.
        const moved = move(ctx, req, row, { state: requested });
        if (moved.status !== 200) ctx.db.delete(CHANGE, row.sys_id);
        return moved;
    }
    return record(ctx, CHANGE, row);
}

/** `template` on a standard change template: an encoded list of `field=value` pairs. */
function templateValues(encoded: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const part of encoded.split("^")) {
        const at = part.indexOf("=");
        if (at > 0 && part !== "EQ") out[part.slice(0, at)] = part.slice(at + 1);
    }
    return out;
}

function patch(ctx: InstanceContext, req: ApiRequest, row: Row): ApiResponse {
    const input = values(req);
    if (!input) return errors.badJson();
    return move(ctx, req, row, input);
}

/**
 * Writes a change through the State Model: a state that is not one of the current state's next states (or whose
 * approval or close fields are missing) refuses the whole request, nothing written.
 */
function move(ctx: InstanceContext, req: ApiRequest, row: Row, input: Record<string, unknown>): ApiResponse {
    const info = ctx.db.schema.table(CHANGE);
    const fields = applicable(info, input);
    delete fields.type;
    delete fields.approval;
    const from = row.state ?? ChangeState.New;
    let to = from;
    if ("state" in fields) {
        const resolved = resolveState(fields.state);
        if (resolved === undefined) {
            return failure(
                400,
                "Invalid state",
                `"${fields.state}" is not a change request state; use one of ${Object.values(ChangeState)
                    .map((v) => `${v} (${stateLabel(v)})`)
                    .join(", ")}`,
            );
        }
        to = resolved;
        fields.state = resolved;
    }
    const refused = refusal({
        type: row.type ?? "normal",
        from,
        to,
        approval: row.approval ?? "",
        closeCode: fields.close_code ?? row.close_code ?? "",
        closeNotes: fields.close_notes ?? row.close_notes ?? "",
    });
    if (refused) {
        return failure(400, "State transition not allowed", `${row.number} cannot be updated: ${refused}`);
    }
    const now = glideDateTime();
    if (to !== from) Object.assign(fields, sideEffects(row, to, req.user.sysId, now));
    const updated = ctx.db.update(CHANGE, row.sys_id, fields, req.user.userName) ?? row;
    if (to === ChangeState.Assess || (row.type === "emergency" && to === ChangeState.Authorize)) {
        requestApproval(ctx, updated);
    }
    return record(ctx, CHANGE, updated);
}

/** What moving into a state sets on the record, as the platform's state handlers do. */
function sideEffects(row: Row, to: string, userSysId: string, now: string): Record<string, string> {
    switch (to) {
        case ChangeState.Assess:
            return { approval: "requested" };
        case ChangeState.Authorize:
            return row.type === "emergency" ? { approval: "requested" } : {};
        case ChangeState.Implement:
            return { work_start: now };
        case ChangeState.Review:
            return { work_end: now };
        case ChangeState.Closed:
            return { active: "false", closed_at: now, closed_by: userSysId };
        case ChangeState.Canceled:
            return { active: "false" };
        case ChangeState.New:
            return { approval: "not requested" };
        default:
            return {};
    }
}

/** One approval record for the change, approver the instance's admin (the emulator has no CAB groups). */
function requestApproval(ctx: InstanceContext, change: Row): void {
    if (ctx.db.query(APPROVAL, `document_id=${change.sys_id}^state=requested`, { limit: 1 }).length > 0) return;
    const admin = ctx.db.query("sys_user", "user_name=admin", { limit: 1 })[0];
    ctx.db.insert(APPROVAL, {
        sysapproval: change.sys_id,
        document_id: change.sys_id,
        source_table: CHANGE,
        approver: admin?.sys_id ?? "",
        state: "requested",
    });
}

/** The result of an approval decision. */
export interface ApprovalOutcome {
    status: number;
    change?: Row;
    error?: string;
}

/**
 * Decides a change's pending approval, as the approval workflow would: approved moves a normal change from Assess
 * (through Authorize) to Scheduled and an emergency one from Authorize to Scheduled; rejected sends it back to New.
 */
export function decideApproval(
    db: InstanceContext["db"],
    idOrNumber: string,
    decision: string,
    comments = "",
): ApprovalOutcome {
    if (!db.schema.has(CHANGE)) return { status: 404, error: "this instance has no change_request table" };
    const change = db.get(CHANGE, idOrNumber) ?? db.query(CHANGE, `number=${idOrNumber}`, { limit: 1 })[0] ?? undefined;
    if (!change) return { status: 404, error: `no change request ${idOrNumber}` };
    if (decision !== "approved" && decision !== "rejected") {
        return { status: 400, error: `state must be "approved" or "rejected", not "${decision}"` };
    }
    if (change.approval !== "requested") {
        return {
            status: 409,
            error: `${change.number} has no pending approval (approval is "${change.approval}", state ${stateLabel(change.state ?? "")})`,
        };
    }
    for (const a of db.query(APPROVAL, `document_id=${change.sys_id}^state=requested`)) {
        db.update(APPROVAL, a.sys_id, { state: decision, comments });
    }
    const now = glideDateTime();
    const fields: Record<string, string> =
        decision === "approved"
            ? { approval: "approved", approval_set: now, state: ChangeState.Scheduled }
            : { approval: "rejected", state: ChangeState.New };
    if (comments) fields.work_notes = comments;
    return { status: 200, change: db.update(CHANGE, change.sys_id, fields) };
}

/** `PATCH /change/{id}/approvals`: the caller decides the approvals assigned to them. */
function approveAsCaller(ctx: InstanceContext, req: ApiRequest, row: Row): ApiResponse {
    const input = values(req);
    if (!input) return errors.badJson();
    const decision = toStoredString(input.state);
    const comments = toStoredString(input.comments);
    if (decision === "rejected" && comments === "") {
        return failure(400, "Bad Request", "comments are required when rejecting a change");
    }
    const mine = ctx.db.query(APPROVAL, `document_id=${row.sys_id}^state=requested^approver=${req.user.sysId}`);
    if (mine.length === 0) {
        return failure(400, "Bad Request", `User ${req.user.userName} has no pending approval for ${row.number}`);
    }
    const outcome = decideApproval(ctx.db, row.sys_id, decision, comments);
    if (!outcome.change) return failure(outcome.status === 404 ? 404 : 400, "Bad Request", outcome.error ?? null);
    return json(200, { result: [toJs(ctx, ctx.db.schema.table(CHANGE), outcome.change)] });
}

function tasks(
    ctx: InstanceContext,
    req: ApiRequest,
    method: string,
    change: Row,
    taskId: string | undefined,
): ApiResponse {
    const info = ctx.db.schema.table(TASK);
    if (taskId === undefined) {
        if (method === "GET") return listTable(ctx, req, TASK, `change_request=${change.sys_id}`);
        if (method !== "POST") return errors.methodNotSupported(method);
        const input = values(req);
        if (!input) return errors.badJson();
        const row = ctx.db.insert(
            TASK,
            { ...applicable(info, input), change_request: change.sys_id, parent: change.sys_id },
            req.user.userName,
        );
        return record(ctx, TASK, row);
    }
    const row = ctx.db.get(TASK, taskId);
    if (!row || row.change_request !== change.sys_id) return errors.notFound();
    if (method === "GET") return record(ctx, TASK, row);
    if (method === "PATCH" || method === "PUT") {
        const input = values(req);
        if (!input) return errors.badJson();
        const fields = applicable(info, input);
        delete fields.change_request;
        return record(ctx, TASK, ctx.db.update(TASK, row.sys_id, fields, req.user.userName) ?? row);
    }
    if (method === "DELETE") {
        ctx.db.delete(TASK, row.sys_id);
        return record(ctx, TASK, row);
    }
    return errors.methodNotSupported(method);
}

function list(ctx: InstanceContext, req: ApiRequest, type: ChangeType | undefined): ApiResponse {
    return listTable(ctx, req, CHANGE, type ? `type=${type}` : "");
}

/** A filtered page: `sysparm_query` or name-value pairs, `order` (default number), limit 500, offset 0. */
function listTable(ctx: InstanceContext, req: ApiRequest, table: string, base: string): ApiResponse {
    const info = ctx.db.schema.table(table);
    const p = req.params;
    let query = p.get("sysparm_query") ?? "";
    if (query === "") {
        const pairs: string[] = [];
        for (const [k, v] of p) {
            if (k.startsWith("sysparm_") || k === "order" || !info.fields.has(k)) continue;
            const f = info.fields.get(k)!;
            const byLabel = f.choices && Object.entries(f.choices).find(([, l]) => l.toLowerCase() === v.toLowerCase());
            pairs.push(`${k}=${byLabel ? byLabel[0] : v}`);
        }
        query = pairs.join("^");
    }
    const order = p.get("order") || (info.fields.has("number") ? "number" : "sys_id");
    const full = [base, query, `ORDERBY${order}`].filter(Boolean).join("^");
    const limit = Number.parseInt(p.get("sysparm_limit") ?? "", 10) || DEFAULT_LIMIT;
    const offset = Math.max(0, Number.parseInt(p.get("sysparm_offset") ?? "", 10) || 0);
    const rows = ctx.db.query(table, full).slice(offset, offset + limit);
    return { ...json(200, { result: rows.map((r) => toJs(ctx, info, r)) }), records: rows.length };
}

function one(ctx: InstanceContext, table: string, id: string): ApiResponse {
    const row = ctx.db.get(table, id);
    return row ? record(ctx, table, row) : errors.notFound();
}

function record(ctx: InstanceContext, table: string, row: Row): ApiResponse {
    const info = ctx.db.schema.table(row.sys_class_name || table);
    return { ...json(200, { result: toJs(ctx, info, row) }), records: 1 };
}

/** ChangeCommon.toJS: `{display_value, value}` per field; numbers, booleans and date-times typed as the API does. */
function toJs(ctx: InstanceContext, info: TableInfo, row: Row): Record<string, unknown> {
    const opts = { displayValue: "all" as const, excludeLink: true, baseUrl: ctx.baseUrl };
    const rendered = renderRow(ctx.db, row, columnsFor(ctx.db, info, undefined), opts);
    const out: Record<string, unknown> = {};
    for (const [name, cell] of Object.entries(rendered)) {
        if (name === "sys_mod_count") continue;
        const f = info.fields.get(name);
        const { display_value, value } = cell as { display_value: string; value: string };
        if (f?.type === "integer" || f?.type === "decimal") {
            out[name] = { display_value, value: value === "" ? "" : Number(value) };
        } else if (f?.type === "boolean") {
            out[name] = { display_value, value: value === "true" };
        } else if (f?.type === "glide_date_time") {
            out[name] = { display_value, value, display_value_internal: value };
        } else {
            out[name] = { display_value, value };
        }
    }
    return out;
}

/**
 * The Table API side of "state moves through the Change Management API only": a Table API write to a change's
 * `state` is dropped and the rest of the write applies, the way the State Model's business rule leaves the state
 * unchanged (servicenow.itsm #257, #278). Returns undefined so the request continues to the Table API, rewritten.
 */
export function guardTableWrite(ctx: InstanceContext, req: ApiRequest): undefined {
    if (req.method !== "PATCH" && req.method !== "PUT" && req.method !== "POST") return undefined;
    const m = /^\/api\/now(?:\/v[12])?\/table\/(change_request|task)(?:\/([^/]+))?\/?$/.exec(req.pathname);
    if (!m || !ctx.db.schema.has(CHANGE)) return undefined;
    if (m[1] === "task" && (!m[2] || ctx.db.get(CHANGE, decodeURIComponent(m[2])) === undefined)) return undefined;
    let body: unknown;
    try {
        body = JSON.parse(req.body || "{}");
    } catch {
        return undefined;
    }
    const strip = (v: unknown) => {
        if (v && typeof v === "object" && "state" in (v as Record<string, unknown>)) {
            delete (v as Record<string, unknown>).state;
            return true;
        }
        return false;
    };
    const changed = Array.isArray(body) ? body.map(strip).some(Boolean) : strip(body);
    if (changed) req.body = JSON.stringify(body);
    return undefined;
}

/**
 * The emulator's approval control endpoint: `POST /emulator/change/{sys_id or number}/approval` with
 * `{"state":"approved"|"rejected","comments":"…"}` stands in for the CAB. Undefined for other paths.
 */
export function changeControl(
    ctx: InstanceContext,
    method: string,
    pathname: string,
    body: string,
): ApiResponse | undefined {
    const m = /^\/emulator\/change\/([^/]+)\/approval$/.exec(pathname);
    if (!m) return undefined;
    if (method !== "POST" && method !== "PUT" && method !== "PATCH") return errors.methodNotSupported(method);
    let input: Record<string, unknown>;
    try {
        input = JSON.parse(body || "{}") as Record<string, unknown>;
    } catch {
        return errors.badJson();
    }
    const outcome = decideApproval(
        ctx.db,
        decodeURIComponent(m[1]!),
        toStoredString(input.state),
        toStoredString(input.comments),
    );
    if (!outcome.change) return json(outcome.status, { error: outcome.error });
    ctx.db.commit();
    const c = outcome.change;
    return json(200, {
        instance: ctx.name,
        change: { sys_id: c.sys_id, number: c.number, state: stateLabel(c.state ?? ""), approval: c.approval },
    });
}
