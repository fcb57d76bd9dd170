/**
 * The Table API: `/api/now[/v1|/v2]/table/{table}[/{sys_id}]`.
 */
import type { ApiRequest, InstanceContext } from "./api-types";
import { allowed } from "./auth";
import { type ApiResponse, errors, JSON_TYPE, json } from "./envelope";
import { columnsFor, listBody, type RenderOptions, renderRow, rowSerializer } from "./render";
import type { TableInfo } from "./schema";

/** Default page size when `sysparm_limit` is absent, as documented. */
export const DEFAULT_LIMIT = 10000;

const truthy = (v: string | null) => v === "true";

function renderOptions(ctx: InstanceContext, params: URLSearchParams): RenderOptions {
    const dv = params.get("sysparm_display_value");
    const fieldList = params.get("sysparm_fields");
    return {
        displayValue: dv === "true" || dv === "all" ? dv : "false",
        excludeLink: truthy(params.get("sysparm_exclude_reference_link")),
        baseUrl: ctx.baseUrl,
        fields: fieldList
            ? fieldList
                  .split(",")
                  .map((f) => f.trim())
                  .filter(Boolean)
            : undefined,
    };
}

/** Builds the encoded query from `sysparm_query`, or from name-value pairs when it is absent. */
function queryOf(params: URLSearchParams): string {
    const q = params.get("sysparm_query");
    if (q !== null) return q;
    const pairs: string[] = [];
    for (const [k, v] of params) if (!k.startsWith("sysparm_")) pairs.push(`${k}=${v}`);
    return pairs.join("^");
}

function intParam(params: URLSearchParams, name: string, fallback: number): number {
    const raw = params.get(name);
    if (raw === null || raw === "") return fallback;
    const n = Number.parseInt(raw, 10);
    return Number.isNaN(n) || n < 0 ? fallback : n;
}

/** Handles one Table API request whose path matched; `version` is "v1", "v2" or undefined (latest). */
export function tableApi(
    ctx: InstanceContext,
    req: ApiRequest,
    table: string,
    sysId: string | undefined,
    version: string | undefined,
): ApiResponse {
    const info = ctx.db.schema.find(table);
    if (!info) return errors.invalidTable(table);
    const method = req.method === "HEAD" ? "GET" : req.method;
    switch (method) {
        case "GET":
            return sysId ? getOne(ctx, req, info, sysId) : getList(ctx, req, info, version);
        case "POST":
            return sysId ? errors.methodNotSupported("POST") : insert(ctx, req, info);
        case "PUT":
        case "PATCH":
            return sysId ? update(ctx, req, info, sysId) : errors.methodNotSupported(method);
        case "DELETE":
            return sysId ? remove(ctx, req, info, sysId) : errors.methodNotSupported("DELETE");
        default:
            return errors.methodNotSupported(method);
    }
}

function getList(ctx: InstanceContext, req: ApiRequest, info: TableInfo, version: string | undefined): ApiResponse {
    if (!allowed(req.user, info.acl.read)) return errors.aclQuery();
    const p = req.params;
    const limit = intParam(p, "sysparm_limit", DEFAULT_LIMIT);
    const offset = intParam(p, "sysparm_offset", 0);
    const noCount = truthy(p.get("sysparm_no_count"));
    const page = ctx.db.page(info.name, queryOf(p), { limit, offset, count: !noCount });
    // Version 1 answers an empty result with 404; version 2 (and the unversioned latest) with 200 and [].
    if (version === "v1" && page.rows.length === 0) return errors.notFound();
    const opts = renderOptions(ctx, p);
    const headers: Record<string, string> = {};
    if (page.total !== undefined) headers["X-Total-Count"] = String(page.total);
    if (!truthy(p.get("sysparm_suppress_pagination_header"))) {
        const link = linkHeader(ctx, req, limit, offset, page.total, page.rows.length);
        if (link) headers.Link = link;
    }
    const fast = rowSerializer(ctx.db, info, opts);
    if (fast) {
        const body = listBody(page.rows, fast);
        return { status: 200, headers: { "Content-Type": JSON_TYPE, ...headers }, body, records: page.rows.length };
    }
    const cols = columnsFor(ctx.db, info, opts.fields);
    const result = page.rows.map((r) => renderRow(ctx.db, r, cols, opts));
    return { ...json(200, { result }, headers), records: page.rows.length };
}

/**
 * The `Link` header: absolute URLs repeating every original parameter with new offsets, `;rel="…"` joined by
 * commas without spaces, omitted entirely when everything fits on one page. Without a count (`sysparm_no_count`)
 * there is no `last`, and `next` appears only after a full page.
 */
function linkHeader(
    ctx: InstanceContext,
    req: ApiRequest,
    limit: number,
    offset: number,
    total: number | undefined,
    returned: number,
): string | undefined {
    if (limit <= 0) return undefined;
    const hasNext = total === undefined ? returned >= limit : offset + limit < total;
    if (offset === 0 && !hasNext) return undefined;
    const url = (o: number) => {
        const params = new URLSearchParams(req.search);
        params.delete("sysparm_offset");
        params.delete("sysparm_limit");
        params.append("sysparm_offset", String(o));
        params.append("sysparm_limit", String(limit));
        return `<${ctx.baseUrl}${req.pathname}?${params.toString()}>`;
    };
    const parts = [`${url(0)};rel="first"`];
    if (offset > 0) parts.push(`${url(Math.max(0, offset - limit))};rel="prev"`);
    if (hasNext) parts.push(`${url(offset + limit)};rel="next"`);
    if (total !== undefined) parts.push(`${url(total === 0 ? 0 : Math.floor((total - 1) / limit) * limit)};rel="last"`);
    return parts.join(",");
}

function getOne(ctx: InstanceContext, req: ApiRequest, info: TableInfo, sysId: string): ApiResponse {
    // A record the caller may not read looks exactly like a missing one.
    const row = allowed(req.user, info.acl.read) ? ctx.db.get(info.name, sysId) : undefined;
    if (!row) return errors.notFound();
    const opts = renderOptions(ctx, req.params);
    return {
        ...json(200, { result: renderRow(ctx.db, row, columnsFor(ctx.db, info, opts.fields), opts) }),
        records: 1,
    };
}

/** Parses a write body; multiple records are not supported, so only the first of an array counts. */
function parseBody(body: string): Record<string, unknown> | undefined {
    if (body.trim() === "") return {};
    try {
        const v = JSON.parse(body) as unknown;
        const first = Array.isArray(v) ? v[0] : v;
        return first && typeof first === "object" ? (first as Record<string, unknown>) : {};
    } catch {
        return undefined;
    }
}

function respondWithRecord(
    ctx: InstanceContext,
    req: ApiRequest,
    info: TableInfo,
    status: number,
    row: Record<string, string>,
    headers: Record<string, string> = {},
): ApiResponse {
    if (truthy(req.headers["x-no-response-body"] ?? null)) return { status, headers };
    const opts = renderOptions(ctx, req.params);
    return json(status, { result: renderRow(ctx.db, row, columnsFor(ctx.db, info, opts.fields), opts) }, headers);
}

/**
 * With `sysparm_input_display_value=true`, a reference given by its display value is stored as the sys_id of the
 * record it names (when exactly such a record exists); other values pass through.
 */
function resolveDisplayInput(ctx: InstanceContext, req: ApiRequest, info: TableInfo, values: Record<string, unknown>) {
    if (req.params.get("sysparm_input_display_value") !== "true") return values;
    const out = { ...values };
    for (const [name, value] of Object.entries(values)) {
        const f = info.fields.get(name);
        if (f?.type !== "reference" || !f.reference || typeof value !== "string" || value === "") continue;
        if (ctx.db.get(f.reference, value)) continue;
        const target = ctx.db.schema.table(f.reference);
        const match = ctx.db.query(f.reference, `${target.display}=${value}`, { limit: 1 })[0];
        if (match) out[name] = match.sys_id;
    }
    return out;
}

function insert(ctx: InstanceContext, req: ApiRequest, info: TableInfo): ApiResponse {
    if (!allowed(req.user, info.acl.write)) return errors.aclWrite("Insert");
    const parsed = parseBody(req.body);
    if (!parsed) return errors.badJson();
    const values = resolveDisplayInput(ctx, req, info, parsed);
    const row = ctx.db.insert(info.name, values, req.user.userName);
    const location = `${ctx.baseUrl}/api/now/table/${info.name}/${row.sys_id}`;
    return { ...respondWithRecord(ctx, req, info, 201, row, { Location: location }), written: 1 };
}

function update(ctx: InstanceContext, req: ApiRequest, info: TableInfo, sysId: string): ApiResponse {
    const readable = allowed(req.user, info.acl.read);
    if (!readable || !ctx.db.get(info.name, sysId)) return errors.notFound();
    if (!allowed(req.user, info.acl.write)) return errors.aclWrite("Update");
    const parsed = parseBody(req.body);
    if (!parsed) return errors.badJson();
    const values = resolveDisplayInput(ctx, req, info, parsed);
    const row = ctx.db.update(info.name, sysId, values, req.user.userName)!;
    // Charged as a write even when nothing changed: the platform still loads the record and runs its rules.
    return { ...respondWithRecord(ctx, req, info, 200, row), written: 1 };
}

function remove(ctx: InstanceContext, req: ApiRequest, info: TableInfo, sysId: string): ApiResponse {
    const row = allowed(req.user, info.acl.read) ? ctx.db.get(info.name, sysId) : undefined;
    if (!row) return errors.notFound();
    if (!allowed(req.user, info.acl.write)) return errors.aclWrite("Delete");
    // Inherited role grants belong to their group; the platform refuses to delete them directly.
    if (info.name === "sys_user_has_role" && row.inherited === "true") return errors.aclWrite("Delete");
    ctx.db.delete(info.name, sysId);
    return { status: 204, headers: {}, written: 1 };
}
