/**
 * Update sets through the CI/CD API: create, retrieve from an update source, preview, commit (one or several in
 * order) and back out, each retrieve/preview/commit/back-out an operation on an execution tracker.
 *
 * Retrieved sets live in `sys_remote_update_set` (loaded → previewing → previewed → committed) with their updates in
 * `sys_update_xml.remote_update_set`. Preview records real problems in `sys_update_preview_problem`: an update whose
 * record's table, or a table or application it references, is not on the instance is an `error`. Commit applies each
 * payload, records what it replaced in `sys_update_version` (so a back-out can restore it) and creates the local
 * complete copy of the set. A commit that stops half-way can be re-run: payloads are applied by sys_id, so nothing
 * is duplicated, and the local copy is made once.
 */
import type { InstanceDb } from "../db";
import { type ApiResponse, json } from "../envelope";
import { eq } from "../query";
import { hashSecret, type Row } from "../values";
import { takeCicdFault } from "./faults";
import { owningPlugin, pluginActive, tableInstalled } from "./plugins";
import { peersOf } from "./registry";
import { badRequest, type CicdRoute, notFound } from "./responses";
import { type OperationContext, OperationFailed, type OperationSpec } from "./tracker";
import { parsePayload, toPayload, updateName } from "./update-xml";

const REMOTE = "sys_remote_update_set";
const XML = "sys_update_xml";
const PROBLEM = "sys_update_preview_problem";

/** A parameter error in the CI/CD result form (status 3), as the platform's update set endpoints answer them. */
function parameterError(message: string): ApiResponse {
    return json(400, {
        result: { status: "3", status_label: "Failed", status_message: message, status_detail: "", error: message },
    });
}

const flag = (v: string | null, fallback: boolean): boolean => (v === null || v === "" ? fallback : v === "true");

/** Updates of a retrieved set, in the order they were recorded. */
function remoteUpdates(db: InstanceDb, remoteId: string): Row[] {
    return db.query(XML, `remote_update_set=${remoteId}^ORDERBYsys_recorded_at^ORDERBYsys_created_on^ORDERBYname`);
}

/** What one update needs that the instance lacks, as preview problems. */
function problemsOf(db: InstanceDb, update: Row, batch: readonly Row[]): Array<Record<string, string>> {
    const parsed = parsePayload(update.payload ?? "");
    if (!parsed) {
        return [
            { type: "error", description: "The update's payload could not be parsed", missing_item: update.name ?? "" },
        ];
    }
    if (parsed.action === "DELETE") return [];
    const out: Array<Record<string, string>> = [];
    const missingTable = (table: string, column: string) => {
        const plugin = owningPlugin(table);
        const why =
            plugin && !pluginActive(db, plugin.id) ? ` (provided by plugin ${plugin.id}, which is not active)` : "";
        out.push({
            type: "error",
            description: `Could not find a record in sys_db_object for column ${column} referenced in this update${why}`,
            missing_item: table,
            missing_item_table: "sys_db_object",
        });
    };
    if (!tableInstalled(db, parsed.table)) missingTable(parsed.table, "table");
    for (const column of ["collection", "table"]) {
        const ref = parsed.fields[column];
        if (ref && !tableInstalled(db, ref)) missingTable(ref, column);
    }
    const scope = parsed.fields.sys_scope;
    if (scope && scope !== "global") {
        const inBatch = batch.some((u) => u.name === updateName("sys_app", scope));
        if (!inBatch && !db.get("sys_app", scope)) {
            out.push({
                type: "error",
                description: "Could not find a record in sys_app for column sys_scope referenced in this update",
                missing_item: scope,
                missing_item_table: "sys_app",
            });
        }
    }
    return out;
}

/** Runs a preview of one retrieved set: clears its old problems, records the new ones. */
async function previewSet(
    db: InstanceDb,
    ctx: OperationContext,
    remote: Row,
    from: number,
    to: number,
): Promise<number> {
    db.update(REMOTE, remote.sys_id!, { state: "previewing" });
    await ctx.step(from, `Previewing update set ${remote.name}`);
    for (const p of db.query(PROBLEM, eq("remote_update_set", remote.sys_id!))) db.delete(PROBLEM, p.sys_id!);
    const fault = takeCicdFault(db, "preview", remote.name ?? "");
    if (fault) {
        db.update(REMOTE, remote.sys_id!, { state: "loaded" });
        throw new OperationFailed(fault.message);
    }
    const updates = remoteUpdates(db, remote.sys_id!);
    let count = 0;
    for (const u of updates) {
        for (const p of problemsOf(db, u, updates)) {
            db.insert(PROBLEM, { ...p, remote_update_set: remote.sys_id, remote_update: u.sys_id, status: "" });
            count++;
        }
    }
    await ctx.step(to, `Previewed update set ${remote.name}: ${count} problems`);
    db.update(REMOTE, remote.sys_id!, { state: "previewed" });
    return count;
}

/** Unresolved error problems of a retrieved set. */
function blockingProblems(db: InstanceDb, remoteId: string): Row[] {
    return db.query(PROBLEM, `remote_update_set=${remoteId}^type=error^status=`);
}

/** Applies one update's payload to its table; returns what it replaced, for back-out. */
function applyUpdate(db: InstanceDb, update: Row): { table: string; id: string; before: Row | undefined } | undefined {
    const parsed = parsePayload(update.payload ?? "");
    if (!parsed || !db.schema.has(parsed.table)) return undefined;
    const id = parsed.fields.sys_id ?? "";
    const before = id ? db.get(parsed.table, id) : undefined;
    if (parsed.action === "DELETE") {
        if (before) db.delete(parsed.table, id);
    } else if (before) {
        db.update(parsed.table, id, parsed.fields);
    } else {
        db.insert(parsed.table, parsed.fields);
    }
    return { table: parsed.table, id, before };
}

/** Commits one retrieved set: applies its updates in order and makes (once) its local complete copy. */
async function commitSet(
    db: InstanceDb,
    ctx: OperationContext,
    remote: Row,
    opts: { force: boolean; from: number; to: number; now: () => string },
): Promise<Row> {
    if (remote.state === "committed") {
        return db.get("sys_update_set", remote.update_set ?? "") ?? remote;
    }
    if (remote.state !== "previewed") {
        throw new OperationFailed(
            `Update set ${remote.name} cannot be committed: it is ${remote.state}, preview it first`,
            "A retrieved update set is committed only after a preview",
        );
    }
    const blocking = blockingProblems(db, remote.sys_id!);
    if (blocking.length > 0 && !opts.force) {
        const first = blocking[0]!;
        throw new OperationFailed(
            `Update set ${remote.name} cannot be committed: ${blocking.length} preview problem(s) are unresolved, first: ${first.description} (${first.missing_item})`,
            "Resolve or skip the preview problems, or commit with force_commit",
        );
    }
    const skip = new Set(
        db
            .query(PROBLEM, `remote_update_set=${remote.sys_id}^status=skipped^ORtype=error`)
            .filter((p) => p.status === "skipped" || opts.force)
            .map((p) => p.remote_update),
    );
    db.update(REMOTE, remote.sys_id!, { state: "committing" });
    // The local copy exists from the first attempt on, so a re-run after a failure reuses it instead of adding one.
    const local =
        db.query("sys_update_set", `remote_sys_id=${remote.sys_id}`, { limit: 1 })[0] ??
        db.insert("sys_update_set", {
            name: remote.name,
            description: remote.description,
            application: remote.application || "global",
            state: "in progress",
            remote_sys_id: remote.sys_id,
            origin_sys_id: remote.origin_sys_id || remote.remote_sys_id,
            installed_from: remote.update_source,
        });
    const updates = remoteUpdates(db, remote.sys_id!).filter((u) => !skip.has(u.sys_id));
    const fault = takeCicdFault(db, "commit", remote.name ?? "");
    let inserted = 0;
    let updated = 0;
    let deleted = 0;
    for (const [i, u] of updates.entries()) {
        if (fault && i >= (fault.afterUpdates ?? 0)) {
            db.update(REMOTE, remote.sys_id!, { state: "previewed" });
            throw new OperationFailed(
                fault.message,
                `${i} of ${updates.length} updates of ${remote.name} were applied`,
            );
        }
        await ctx.step(opts.from + ((opts.to - opts.from) * i) / Math.max(1, updates.length), `Committing ${u.name}`);
        const versioned = db.count("sys_update_version", `source=${local.sys_id}^name=${u.name}`) > 0;
        const applied = applyUpdate(db, u);
        if (applied && !versioned) {
            // What the record was before this set touched it; recorded once, so a re-run cannot overwrite it.
            db.insert("sys_update_version", {
                name: u.name,
                type: u.type,
                action: applied.before ? "UPDATE" : "INSERT",
                payload: applied.before
                    ? toPayload({ table: applied.table, action: "INSERT_OR_UPDATE", fields: { ...applied.before } })
                    : "",
                source_table: "sys_update_set",
                source: local.sys_id,
                record_name: `${applied.table}:${applied.id}`,
            });
            if (parsePayload(u.payload ?? "")?.action === "DELETE") deleted++;
            else if (applied.before) updated++;
            else inserted++;
        }
        if (db.count(XML, `update_set=${local.sys_id}^name=${u.name}`) === 0) {
            const { sys_id: _id, remote_update_set: _r, ...copy } = u;
            db.insert(XML, { ...copy, update_set: local.sys_id });
        }
    }
    db.update("sys_update_set", local.sys_id!, { state: "complete", completed_on: opts.now() });
    db.update(REMOTE, remote.sys_id!, {
        state: "committed",
        commit_date: opts.now(),
        update_set: local.sys_id,
        inserted: String(inserted),
        updated: String(updated),
        deleted: String(deleted),
    });
    return db.get("sys_update_set", local.sys_id!)!;
}

/** Finds the peer instance an update source points at and checks its credentials, as the source would. */
function connectSource(db: InstanceDb, source: Row): InstanceDb {
    const url = (source.url ?? "").trim().replace(/\/+$/, "").toLowerCase();
    const peer = peersOf(db).find((p) => p.url.toLowerCase() === url);
    if (!peer) {
        throw new OperationFailed(
            `Could not connect to update source ${source.name} at ${source.url || "(no URL)"}: the instance is not reachable`,
        );
    }
    const user = peer.db.query("sys_user", eq("user_name", source.username ?? ""), { limit: 1 })[0];
    // Both sides keep the password one-way with the same function, so equal forms mean the same password.
    const passwordOk =
        user !== undefined && source.password !== "" && user.user_password === hashSecret(source.password ?? "");
    if (!user || !passwordOk || user.active !== "true" || user.locked_out === "true") {
        throw new OperationFailed(
            `Authentication failed for update source ${source.name}: check its user name and password`,
            `${source.url} refused user ${source.username || "(none)"}`,
        );
    }
    return peer.db;
}

/** Copies one completed set (and its children) from the source into retrieved sets; returns the top one. */
function copyFromSource(
    db: InstanceDb,
    sourceDb: InstanceDb,
    source: Row,
    set: Row,
    parent: string,
    cleanup: boolean,
): Row | undefined {
    const existing = db.query(REMOTE, `remote_sys_id=${set.sys_id}^update_source=${source.sys_id}`, { limit: 1 })[0];
    if (existing) {
        if (existing.state === "committed" || existing.state === "committing" || !cleanup) return existing;
        for (const u of db.query(XML, eq("remote_update_set", existing.sys_id!))) db.delete(XML, u.sys_id!);
        for (const p of db.query(PROBLEM, eq("remote_update_set", existing.sys_id!))) db.delete(PROBLEM, p.sys_id!);
        db.delete(REMOTE, existing.sys_id!);
    }
    const app = set.application && set.application !== "global" ? sourceDb.get("sys_app", set.application) : undefined;
    const remote = db.insert(REMOTE, {
        name: set.name,
        description: set.description,
        state: "loaded",
        application: set.application || "global",
        application_name: app?.name ?? "Global",
        application_scope: app?.scope ?? "global",
        application_version: app?.version ?? "",
        remote_sys_id: set.sys_id,
        origin_sys_id: set.origin_sys_id || set.sys_id,
        update_source: source.sys_id,
        remote_parent_id: set.parent,
        parent,
        release_date: set.completed_on,
    });
    for (const u of sourceDb.query(XML, `update_set=${set.sys_id}^ORDERBYsys_created_on`)) {
        const { sys_id: _id, update_set: _s, ...copy } = u;
        db.insert(XML, {
            ...copy,
            sys_recorded_at: u.sys_recorded_at || u.sys_created_on,
            remote_update_set: remote.sys_id,
        });
    }
    for (const child of sourceDb.query("sys_update_set", eq("parent", set.sys_id!))) {
        if (child.state === "complete") copyFromSource(db, sourceDb, source, child, remote.sys_id!, cleanup);
    }
    return remote;
}

function retrieveOperation(
    db: InstanceDb,
    source: Row,
    updateSetId: string,
    opts: { autoPreview: boolean; cleanup: boolean },
): OperationSpec {
    return {
        name: `Retrieve update set ${updateSetId} from ${source.name}`,
        source: { table: "sys_update_set_source", id: source.sys_id! },
        async run(ctx) {
            await ctx.step(10, `Connecting to update source ${source.name}`);
            const sourceDb = connectSource(db, source);
            const set = sourceDb.get("sys_update_set", updateSetId);
            if (!set) throw new OperationFailed(`Update set ${updateSetId} was not found on ${source.url}`);
            if (set.state !== "complete") {
                throw new OperationFailed(
                    `Update set ${set.name} on ${source.url} is ${set.state}: only complete update sets can be retrieved`,
                );
            }
            const fault = takeCicdFault(db, "retrieve", set.name ?? "");
            if (fault) throw new OperationFailed(fault.message);
            await ctx.step(40, `Retrieving update set ${set.name}`);
            const remote = copyFromSource(db, sourceDb, source, set, "", opts.cleanup)!;
            ctx.setResults({ table: REMOTE, id: remote.sys_id! });
            if (remote.state === "committed") {
                return { message: "This operation succeeded", detail: `Update set ${set.name} was already committed` };
            }
            if (!opts.autoPreview)
                return { message: "This operation succeeded", detail: `Retrieved update set ${set.name}` };
            const problems = await previewSet(db, ctx, db.get(REMOTE, remote.sys_id!)!, 60, 90);
            return {
                message: "This operation succeeded",
                detail: `Retrieved and previewed update set ${set.name}: ${problems} preview problems`,
            };
        },
    };
}

/** The update set routes. */
export const updateSetRoutes: CicdRoute[] = [
    {
        method: "POST",
        path: /^\/update_set\/create$/,
        handle({ ctx, req }) {
            const name = req.params.get("update_set_name") ?? "";
            if (!name) return parameterError("Missing parameter: update_set_name is required");
            const scope = req.params.get("scope") ?? "";
            const appId = req.params.get("sys_id") ?? "";
            if (!scope && !appId) return parameterError("Missing parameter: sys_id or scope required");
            const app =
                scope === "global" || appId === "global"
                    ? undefined
                    : appId
                      ? ctx.db.get("sys_app", appId)
                      : ctx.db.query("sys_app", eq("scope", scope), { limit: 1 })[0];
            if (!app && scope !== "global" && appId !== "global") {
                return notFound(`application ${appId || scope} does not exist on this instance`);
            }
            const parent = req.params.get("parent_id") ?? "";
            if (parent && !ctx.db.get("sys_update_set", parent)) return notFound(`parent update set ${parent}`);
            const row = ctx.db.insert(
                "sys_update_set",
                {
                    name,
                    description: req.params.get("description") ?? "",
                    application: app?.sys_id ?? "global",
                    parent,
                    state: "in progress",
                },
                req.user.userName,
            );
            return json(200, {
                result: {
                    name: row.name,
                    sys_id: row.sys_id,
                    state: row.state,
                    application: row.application,
                    parent: row.parent,
                },
            });
        },
    },
    {
        method: "POST",
        path: /^\/update_set\/retrieve$/,
        handle({ ctx, req, start }) {
            const setId = req.params.get("update_set_id") ?? "";
            if (!setId) return parameterError("Missing parameter: update_set_id is required");
            const sourceId = req.params.get("update_source_id") ?? "";
            const instanceId = req.params.get("update_source_instance_id") ?? "";
            if (!sourceId && !instanceId) {
                return parameterError("Missing parameter: update_source_id or update_source_instance_id is required");
            }
            const source = sourceId
                ? ctx.db.get("sys_update_set_source", sourceId)
                : ctx.db.query("sys_update_set_source", eq("instance_id", instanceId), { limit: 1 })[0];
            if (!source) return notFound(`update source ${sourceId || instanceId}`);
            if (source.active !== "true")
                return badRequest("Update source is inactive", `${source.name} is not active`);
            return start(
                retrieveOperation(ctx.db, source, setId, {
                    autoPreview: flag(req.params.get("auto_preview"), false),
                    cleanup: flag(req.params.get("cleanup_retrieved"), false),
                }),
            );
        },
    },
    {
        method: "POST",
        path: /^\/update_set\/preview\/([^/]+)$/,
        handle({ ctx, args, start }) {
            const remote = ctx.db.get(REMOTE, args[0]!);
            if (!remote) return notFound(`retrieved update set ${args[0]}`);
            return start({
                name: `Preview update set ${remote.name}`,
                source: { table: REMOTE, id: remote.sys_id! },
                async run(op) {
                    const current = ctx.db.get(REMOTE, remote.sys_id!)!;
                    if (current.state === "committed" || current.state === "committing") {
                        throw new OperationFailed(
                            `Update set ${remote.name} is ${current.state}; it cannot be previewed again`,
                        );
                    }
                    const problems = await previewSet(ctx.db, op, current, 20, 90);
                    return { message: "This operation succeeded", detail: `${problems} preview problems` };
                },
            });
        },
    },
    {
        method: "POST",
        path: /^\/update_set\/commit\/([^/]+)$/,
        handle({ ctx, req, args, start, now }) {
            const remote = ctx.db.get(REMOTE, args[0]!);
            if (!remote) return notFound(`retrieved update set ${args[0]}`);
            const force = flag(req.params.get("force_commit"), false);
            return start({
                name: `Commit update set ${remote.name}`,
                source: { table: REMOTE, id: remote.sys_id! },
                async run(op) {
                    const local = await commitSet(ctx.db, op, ctx.db.get(REMOTE, remote.sys_id!)!, {
                        force,
                        from: 10,
                        to: 95,
                        now,
                    });
                    op.setResults({ table: "sys_update_set", id: local.sys_id! });
                    return { message: "This operation succeeded", detail: `Committed update set ${remote.name}` };
                },
            });
        },
    },
    {
        method: "POST",
        path: /^\/update_set\/commitMultiple$/,
        handle({ ctx, req, start, now }) {
            const ids = (req.params.get("remote_update_set_ids") ?? "")
                .split(",")
                .map((s) => s.trim())
                .filter(Boolean);
            if (ids.length === 0) return parameterError("Missing parameter: remote_update_set_ids is required");
            if (new Set(ids).size !== ids.length) {
                return json(409, {
                    error: {
                        message: "Conflict",
                        detail: "The requested item isn't unique: remote_update_set_ids repeats an id",
                    },
                    status: "failure",
                });
            }
            const remotes = ids.map((id) => ctx.db.get(REMOTE, id));
            const missing = ids.filter((_, i) => !remotes[i]);
            if (missing.length > 0) return notFound(`retrieved update set(s) ${missing.join(", ")}`);
            let force = flag(req.params.get("force_commit"), false);
            try {
                force = force || JSON.parse(req.body || "{}").force_commit === "true";
            } catch {
                return badRequest("Exception while reading request", "The payload is not valid JSON.");
            }
            return start({
                name: `Commit ${ids.length} update sets`,
                async run(op) {
                    const share = 95 / ids.length;
                    for (const [i, id] of ids.entries()) {
                        await commitSet(ctx.db, op, ctx.db.get(REMOTE, id)!, {
                            force,
                            from: i * share,
                            to: (i + 1) * share,
                            now,
                        });
                    }
                    return {
                        message: "This operation succeeded",
                        detail: `Committed ${ids.length} update sets in the order given`,
                    };
                },
            });
        },
    },
    {
        method: "POST",
        path: /^\/update_set\/back_out$/,
        handle({ ctx, req, start }) {
            const id = req.params.get("update_set_id") ?? "";
            if (!id) return parameterError("Missing parameter: update_set_id is required");
            const set = ctx.db.get("sys_update_set", id);
            if (!set) return notFound(`update set ${id}`);
            return start({
                name: `Back out update set ${set.name}`,
                source: { table: "sys_update_set", id },
                async run(op) {
                    if (set.state !== "complete") {
                        throw new OperationFailed(
                            `Update set ${set.name} is ${set.state}: only a committed update set can be backed out`,
                        );
                    }
                    const fault = takeCicdFault(ctx.db, "back_out", set.name ?? "");
                    if (fault) throw new OperationFailed(fault.message);
                    const versions = ctx.db.query("sys_update_version", `source=${id}^ORDERBYDESCsys_created_on`);
                    for (const [i, v] of versions.entries()) {
                        await op.step((90 * i) / Math.max(1, versions.length), `Backing out ${v.name}`);
                        const [table, recordId] = (v.record_name ?? "").split(":");
                        if (!table || !recordId || !ctx.db.schema.has(table)) continue;
                        if (v.action === "INSERT") {
                            ctx.db.delete(table, recordId);
                        } else {
                            const before = parsePayload(v.payload ?? "");
                            if (!before) continue;
                            if (ctx.db.get(table, recordId)) ctx.db.update(table, recordId, before.fields);
                            else ctx.db.insert(table, before.fields);
                        }
                        ctx.db.update("sys_update_version", v.sys_id!, { state: "backed out" });
                    }
                    // The set itself is kept (the upgrade process relies on update-set history); it is marked ignored.
                    ctx.db.update("sys_update_set", id, { state: "ignore" });
                    for (const r of ctx.db.query(REMOTE, eq("update_set", id)))
                        ctx.db.update(REMOTE, r.sys_id!, { state: "backed out" });
                    return {
                        message: "This operation succeeded",
                        detail: `Backed out ${versions.length} updates of ${set.name}`,
                    };
                },
            });
        },
    },
];

/**
 * Puts retrieved sets a stopped emulator left mid-operation back where a new attempt can start: a set left
 * `committing` is `previewed` again (its applied updates are re-applied by sys_id, so nothing doubles), one left
 * `previewing` is `loaded`.
 */
export function recoverInterruptedUpdateSets(db: InstanceDb): void {
    for (const r of db.query(REMOTE, "stateINcommitting,previewing")) {
        db.update(REMOTE, r.sys_id!, { state: r.state === "committing" ? "previewed" : "loaded" });
    }
}
