/**
 * The company application repository through the CI/CD API: `app_repo/publish` stores an application and its files
 * as a version; `app_repo/install` installs a published version on the calling instance (the repository is shared by
 * every instance of the emulator, as one company's instances share theirs). The headless way to bring a scoped app
 * back after a clone deleted it from the target.
 */
import type { InstanceDb } from "../db";
import { eq } from "../query";
import type { Row } from "../values";
import { takeCicdFault } from "./faults";
import { peersOf } from "./registry";
import { type CicdCall, type CicdRoute, notFound } from "./responses";
import { OperationFailed } from "./tracker";

const VERSION_TABLE = "sys_app_version";

/** Tables whose records carry `sys_scope` and so belong to an application. */
export function appFileTables(db: InstanceDb): string[] {
    return db.schema.names().filter((t) => {
        const info = db.schema.table(t);
        return info.fields.has("sys_scope") && info.name === info.root;
    });
}

/** An application's files, as published: `{table: rows}`. */
function filesOf(db: InstanceDb, appId: string): Record<string, Row[]> {
    const out: Record<string, Row[]> = {};
    for (const t of appFileTables(db)) {
        const rows = db.query(t, eq("sys_scope", appId));
        if (rows.length > 0) out[t] = rows;
    }
    return out;
}

function findApp(db: InstanceDb, call: CicdCall): Row | undefined {
    const id = call.req.params.get("sys_id") ?? "";
    const scope = call.req.params.get("scope") ?? "";
    if (id) return db.get("sys_app", id);
    return scope ? db.query("sys_app", eq("scope", scope), { limit: 1 })[0] : undefined;
}

/** Published versions visible from an instance: its own and its peers'. */
function repository(db: InstanceDb, scopeOrId: string, version: string): Row | undefined {
    const matches: Row[] = [];
    for (const source of [db, ...peersOf(db).map((p) => p.db)]) {
        if (!source.schema.has(VERSION_TABLE)) continue;
        for (const r of source.query(VERSION_TABLE, `scope=${scopeOrId}^ORsource_app=${scopeOrId}`)) {
            if (!version || r.version === version) matches.push(r);
        }
    }
    return matches.sort((a, b) => compareVersions(b.version ?? "", a.version ?? ""))[0];
}

function compareVersions(a: string, b: string): number {
    const pa = a.split(".").map(Number);
    const pb = b.split(".").map(Number);
    for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
        const d = (pa[i] ?? 0) - (pb[i] ?? 0);
        if (d !== 0) return d;
    }
    return 0;
}

/** The application repository routes. */
export const appRepoRoutes: CicdRoute[] = [
    {
        method: "POST",
        path: /^\/app_repo\/publish$/,
        handle(call) {
            const { ctx, req, start, now } = call;
            const app = findApp(ctx.db, call);
            if (!app)
                return notFound(`application ${req.params.get("sys_id") || req.params.get("scope") || "(none given)"}`);
            const version = req.params.get("version") || app.version || "1.0.0";
            return start({
                name: `Publish application ${app.scope} ${version}`,
                source: { table: "sys_app", id: app.sys_id! },
                async run(op) {
                    await op.step(30, `Packaging ${app.name}`);
                    const files = filesOf(ctx.db, app.sys_id!);
                    await op.step(70, `Publishing ${app.name} ${version} to the application repository`);
                    const existing = ctx.db.query(VERSION_TABLE, `source_app=${app.sys_id}^version=${version}`)[0];
                    const fields = {
                        name: app.name,
                        scope: app.scope,
                        version,
                        source_app: app.sys_id,
                        dev_notes: req.params.get("dev_notes") ?? "",
                        published_on: now(),
                        payload: JSON.stringify({ app: { ...app, version }, files }),
                    };
                    const row = existing
                        ? ctx.db.update(VERSION_TABLE, existing.sys_id!, fields)!
                        : ctx.db.insert(VERSION_TABLE, fields);
                    ctx.db.update("sys_app", app.sys_id!, { version });
                    op.setResults({ table: VERSION_TABLE, id: row.sys_id! });
                    return { message: "This operation succeeded", detail: `Published ${app.scope} ${version}` };
                },
            });
        },
    },
    {
        method: "POST",
        path: /^\/app_repo\/install$/,
        handle({ ctx, req, start, now }) {
            const key = req.params.get("sys_id") || req.params.get("scope") || "";
            if (!key) {
                return notFound("application: give scope or sys_id");
            }
            const version = req.params.get("version") ?? "";
            const published = repository(ctx.db, key, version);
            if (!published) {
                return notFound(
                    `application ${key}${version ? ` version ${version}` : ""} in the application repository`,
                );
            }
            const pkg = JSON.parse(published.payload ?? "{}") as { app: Row; files: Record<string, Row[]> };
            return start({
                name: `Install application ${published.scope} ${published.version}`,
                async run(op) {
                    await op.step(20, `Installing ${published.name} ${published.version}`);
                    const fault = takeCicdFault(ctx.db, "install", published.scope ?? "");
                    if (fault) throw new OperationFailed(fault.message);
                    const app = pkg.app;
                    const current = ctx.db.get("sys_app", app.sys_id!);
                    if (current) ctx.db.update("sys_app", app.sys_id!, { ...app, installed_on: now() });
                    else ctx.db.insert("sys_app", { ...app, installed_on: now() });
                    let n = 0;
                    for (const [table, rows] of Object.entries(pkg.files)) {
                        if (!ctx.db.schema.has(table)) continue;
                        for (const r of rows) {
                            if (ctx.db.get(table, r.sys_id!)) ctx.db.update(table, r.sys_id!, r);
                            else ctx.db.insert(table, r);
                            n++;
                        }
                    }
                    await op.step(90, `Installed ${n} application files`);
                    op.setResults({ table: "sys_app", id: app.sys_id! });
                    return {
                        message: "This operation succeeded",
                        detail: `Installed ${published.scope} ${published.version} (${n} files)`,
                    };
                },
            });
        },
    },
];
