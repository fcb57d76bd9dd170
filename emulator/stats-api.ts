/**
 * The Aggregate API: `GET /api/now/stats/{table}` with counts, min/max/avg/sum and group_by.
 */
import type { ApiRequest, InstanceContext } from "./api-types";
import { allowed } from "./auth";
import { type ApiResponse, errors, json } from "./envelope";
import { compileGetter } from "./query";
import type { Row } from "./values";

type Aggregates = Record<string, Record<string, string> | string>;

/** Answers one stats request. Counts and aggregates are strings, as the platform returns them. */
export function statsApi(ctx: InstanceContext, req: ApiRequest, table: string): ApiResponse {
    const info = ctx.db.schema.find(table);
    if (!info) return errors.invalidTable(table);
    if (req.method !== "GET" && req.method !== "HEAD") return errors.methodNotSupported(req.method);
    if (!allowed(req.user, info.acl.read)) return errors.aclQuery();
    const p = req.params;
    let query = p.get("sysparm_query");
    if (query === null) {
        const pairs: string[] = [];
        for (const [k, v] of p) if (!k.startsWith("sysparm_")) pairs.push(`${k}=${v}`);
        query = pairs.join("^");
    }
    const rows = ctx.db.page(info.name, query).rows;
    const list = (name: string) =>
        (p.get(name) ?? "")
            .split(",")
            .map((s) => s.trim())
            .filter(Boolean);
    const getter = (f: string) => compileGetter(ctx.db.schema, info, f, ctx.db.lookup)?.get;
    const aggregate = (subset: Row[]): Aggregates => {
        const stats: Aggregates = {};
        if (p.get("sysparm_count") === "true") stats.count = String(subset.length);
        for (const [kind, param] of [
            ["min", "sysparm_min_fields"],
            ["max", "sysparm_max_fields"],
            ["avg", "sysparm_avg_fields"],
            ["sum", "sysparm_sum_fields"],
        ] as const) {
            const fields = list(param);
            if (fields.length === 0) continue;
            const out: Record<string, string> = {};
            for (const f of fields) {
                const g = getter(f);
                if (!g) continue;
                out[f] = aggregateOf(kind, subset.map(g));
            }
            stats[kind] = out;
        }
        return stats;
    };
    const groupBy = list("sysparm_group_by").filter((f) => getter(f));
    if (groupBy.length === 0) return json(200, { result: { stats: aggregate(rows) } });
    const getters = groupBy.map((f) => getter(f)!);
    const groups = new Map<string, Row[]>();
    for (const r of rows) {
        const key = JSON.stringify(getters.map((g) => g(r)));
        const bucket = groups.get(key);
        if (bucket) bucket.push(r);
        else groups.set(key, [r]);
    }
    const result = [...groups].map(([key, subset]) => {
        const values = JSON.parse(key) as string[];
        return {
            stats: aggregate(subset),
            groupby_fields: groupBy.map((field, i) => ({ field, value: values[i] })),
        };
    });
    return json(200, { result });
}

function aggregateOf(kind: "min" | "max" | "avg" | "sum", values: string[]): string {
    const present = values.filter((v) => v !== "");
    if (present.length === 0) return "";
    const numeric = present.every((v) => !Number.isNaN(Number(v)));
    if (kind === "min" || kind === "max") {
        const sorted = numeric ? [...present].sort((a, b) => Number(a) - Number(b)) : [...present].sort();
        return kind === "min" ? sorted[0]! : sorted[sorted.length - 1]!;
    }
    const sum = present.reduce((s, v) => s + Number(v), 0);
    return kind === "sum" ? String(sum) : String(sum / present.length);
}
