import { randomBytes } from "node:crypto";
import { applyCicdCloneRules } from "../cicd/clone-rules";
import type { InstanceDb } from "../db";
import { afterCloneIntegrations } from "../integrations/clone";
import { compileQuery, parseEncodedQuery } from "../query";
import { markTextIndexesStale } from "../text-index";
import {
    type CloneOptions,
    type CloneRow,
    cloneOptions,
    expandExclusions,
    isAlwaysCopiedAttachment,
    isKeptTable,
    orderScripts,
    type PlannedPreserver,
    type PlannedScript,
    tableFate,
} from "./plan";
import { cloneMilestone, DEFAULT_MIN_GAP_DAYS, gapRefusal, startNotBefore } from "./schedule";
import { runServerScript, type SandboxDb } from "./script-sandbox";

export type { CloneRow } from "./plan";

/**
 * The part of InstanceDb the clone engine uses: queries, single-row writes, whole-table export and replace, and the
 * table registry (for hierarchies and the preservers' query compilation).
 */
export type CloneDb = Pick<
    InstanceDb,
    "schema" | "query" | "get" | "insert" | "update" | "delete" | "exportRows" | "replaceRows" | "lookup"
>;

/** One instance as the engine sees it. */
export interface CloneInstance {
    readonly name: string;
    readonly url: string;
    readonly db: CloneDb;
}

/** Options for {@link attachCloneEngine}. */
export interface CloneEngineOptions {
    /**
     * Total wall time of one clone, spread over its states and phases so callers can watch it progress.
     *
     * @default 3000
     */
    cloneDurationMs?: number;
    /**
     * How long after completion the latest clone into a target can be rolled back.
     *
     * @default 604800000 (7 days, the platform's window)
     */
    rollbackWindowMs?: number;
    /**
     * Time limit of one cleanup script.
     *
     * @default 5000
     */
    scriptTimeoutMs?: number;
    /**
     * Minimum days between clones into one target; a request closer to another is put on Hold. 0 turns it off.
     *
     * @default 5 (the platform's documented minimum)
     */
    minGapDays?: number;
    /**
     * Clock for every timestamp and the rollback window; tests move it instead of waiting.
     *
     * @default Date.now
     */
    now?: () => number;
}

/** Values of sn_instance_clone_request.state (each value equals its label, as on the platform). */
export const CloneState = {
    Requested: "Requested",
    Scheduled: "Scheduled",
    Active: "Active",
    Completed: "Completed",
    Error: "Error",
    Canceled: "Canceled",
    RollbackRequested: "Rollback requested",
    RollingBack: "Rolling back",
    RolledBack: "Rolled back",
    RollbackFailure: "Rollback failure",
} as const;

/** Values of sn_instance_clone_request.phase while a clone is Active, in order. */
export const ClonePhase = {
    Preflight: "Preflight checks",
    Backup: "Backup",
    Copy: "Copy data",
    Exclusions: "Exclusions",
    Preservers: "Preservers",
    NodeRepoint: "Node repoint",
    CleanupScripts: "Cleanup scripts",
} as const;

const REQUEST_TABLE = "sn_instance_clone_request";
const LOG_TABLE = "sn_instance_clone_log";
const DAY_MS = 24 * 60 * 60 * 1000;

/** Share of the clone's duration spent in each step; the steps run in this order. */
const STEPS = [
    { state: CloneState.Scheduled, phase: "", weight: 5 },
    { state: CloneState.Active, phase: ClonePhase.Preflight, weight: 10 },
    { state: CloneState.Active, phase: ClonePhase.Backup, weight: 10 },
    { state: CloneState.Active, phase: ClonePhase.Copy, weight: 20 },
    { state: CloneState.Active, phase: ClonePhase.Exclusions, weight: 10 },
    { state: CloneState.Active, phase: ClonePhase.Preservers, weight: 10 },
    { state: CloneState.Active, phase: ClonePhase.NodeRepoint, weight: 15 },
    { state: CloneState.Active, phase: ClonePhase.CleanupScripts, weight: 15 },
] as const;
const TOTAL_WEIGHT = 5 + STEPS.reduce((sum, s) => sum + s.weight, 0);
/** From this step on the target has been rewritten: the platform allows cancel "only … up to Node Repoint stage". */
const NODE_REPOINT_STEP = STEPS.findIndex((s) => s.phase === ClonePhase.NodeRepoint);

/** The copy decides by table kind alone; the profile's exclusions apply in their own phase. */
const NO_EXCLUSIONS: ReadonlySet<string> = new Set();

/** Raised by a step to end the clone in Error with the platform-like message. */
class CloneFailure extends Error {}

/** Rows per hierarchy root. */
type Tables = Map<string, CloneRow[]>;

interface ResolvedProfile {
    excluded: Set<string>;
    preservers: PlannedPreserver[];
    scripts: PlannedScript[];
}

interface Run {
    readonly source: CloneInstance;
    readonly id: string;
    /** Index into STEPS of the step that runs next (0 while the request is still Requested). */
    next: number;
    dueAt: number;
    /** The state the engine last wrote; anything else in the row was written by someone else. */
    written: string;
    /** The phase the engine last wrote, for the log. */
    phase: string;
    target?: CloneInstance;
    options?: CloneOptions;
    profile?: ResolvedProfile;
    backup?: Tables;
    staging?: Tables;
}

/** A completed clone that can still be rolled back. */
interface Restorable {
    readonly source: CloneInstance;
    readonly id: string;
    readonly target: CloneInstance;
    readonly backup: Tables;
    readonly deadline: number;
}

interface Rollback {
    readonly source: CloneInstance;
    readonly id: string;
    readonly dueAt: number;
    readonly restorable: Restorable;
}

/**
 * Runs clones between the instances of one emulator, as the platform does, driven through the Table API.
 *
 * Every instance's sn_instance_clone_request table is polled; a row inserted with state Requested moves through
 * Scheduled and Active (phases Preflight checks → Backup → Copy data → Exclusions → Preservers → Node repoint →
 * Cleanup scripts) to Completed, Error or Canceled. Cancel is honoured until Node repoint; a completed clone can be
 * rolled back within the window by setting its state to "Rollback requested". emulator/clone/README.md has the model.
 */
export function attachCloneEngine(
    emulator: { instances: ReadonlyMap<string, CloneInstance> },
    opts: CloneEngineOptions = {},
): { stop(): void } {
    const duration = Math.max(0, opts.cloneDurationMs ?? 3000);
    const rollbackWindow = opts.rollbackWindowMs ?? 7 * DAY_MS;
    const now = opts.now ?? Date.now;
    const stepDelay = (weight: number): number => (duration * weight) / TOTAL_WEIGHT;
    const runs = new Map<string, Run>();
    const rollbacks = new Map<string, Rollback>();
    /** Latest completed clone per target instance (by the target's db): only that one can be rolled back. */
    const latest = new Map<CloneDb, Restorable>();
    let recovered = false;

    const keyOf = (source: CloneInstance, id: string): string => `${source.name}\u0000${id}`;

    const log = (run: { source: CloneInstance; id: string; phase?: string }, level: string, message: string): void => {
        try {
            run.source.db.insert(LOG_TABLE, { sys_id: logId(), clone: run.id, level, phase: run.phase ?? "", message });
        } catch {
            // An instance without the log table still clones; the log is a courtesy, the request row is the record.
        }
    };

    const write = (run: Run, fields: Record<string, string>): CloneRow | undefined => {
        const before = run.written;
        if (fields.state) run.written = fields.state;
        if (fields.phase !== undefined) run.phase = fields.phase;
        const row = run.source.db.update(REQUEST_TABLE, run.id, fields);
        return row && fields.state && fields.state !== before ? cloneMilestone(run.source.db, row, now()) : row;
    };

    const finish = (run: Run, state: string, fields: Record<string, string> = {}): void => {
        runs.delete(keyOf(run.source, run.id));
        write(run, { state, completed: glideDateTime(now()), ...fields });
    };

    const fail = (run: Run, message: string): void => {
        log(run, "error", message);
        finish(run, CloneState.Error, { error_message: message });
    };

    /** Runs `fn`, swallowing errors: a timer callback that throws would take the whole emulator process down. */
    const guarded = (fn: () => void): void => {
        try {
            fn();
        } catch {
            // An instance without the clone tables, or one closing while the emulator stops: skip it this tick.
        }
    };

    const tick = (): void => {
        if (!recovered) {
            recovered = true;
            guarded(recoverInterrupted);
        }
        for (const source of emulator.instances.values()) guarded(() => discover(source));
        for (const run of [...runs.values()]) {
            guarded(() => {
                try {
                    advance(run);
                } catch (error) {
                    fail(run, `Clone failed: ${(error as Error).message}`);
                }
            });
        }
        for (const rb of [...rollbacks.values()]) {
            guarded(() => {
                try {
                    advanceRollback(rb);
                } catch (error) {
                    rollbacks.delete(keyOf(rb.source, rb.id));
                    rb.source.db.update(REQUEST_TABLE, rb.id, {
                        state: CloneState.RollbackFailure,
                        error_message: `Rollback failed: ${(error as Error).message}`,
                    });
                }
            });
        }
    };

    /** Clones left Scheduled/Active by an emulator that stopped cannot resume: their working copies were in memory. */
    const recoverInterrupted = (): void => {
        for (const source of emulator.instances.values()) {
            for (const row of source.db.query(REQUEST_TABLE, "stateINScheduled,Active,Rolling back")) {
                // A clone still waiting for its scheduled start held nothing in memory: it is simply picked up again.
                if (row.state === CloneState.Scheduled && !row.started) {
                    source.db.update(REQUEST_TABLE, row.sys_id, { state: CloneState.Requested });
                    continue;
                }
                const rollingBack = row.state === CloneState.RollingBack;
                const message = rollingBack
                    ? "Rollback interrupted: the emulator stopped while rolling back; the target is as the clone left it"
                    : "Clone interrupted: the emulator stopped while the clone was running";
                source.db.update(REQUEST_TABLE, row.sys_id, {
                    state: rollingBack ? CloneState.RollbackFailure : CloneState.Error,
                    error_message: message,
                    completed: row.completed || glideDateTime(now()),
                });
            }
        }
    };

    const discover = (source: CloneInstance): void => {
        for (const row of source.db.query(REQUEST_TABLE, `state=${CloneState.Requested}`)) {
            const key = keyOf(source, row.sys_id);
            if (runs.has(key)) continue;
            const refused = gapRefusal(source.db, row, now(), opts.minGapDays ?? DEFAULT_MIN_GAP_DAYS);
            if (refused) {
                const held = source.db.update(REQUEST_TABLE, row.sys_id, { state: "Hold", error_message: refused });
                if (held) cloneMilestone(source.db, held, now());
                continue;
            }
            runs.set(key, {
                source,
                id: row.sys_id,
                next: 0,
                dueAt: now() + stepDelay(5),
                written: CloneState.Requested,
                phase: "",
            });
        }
        // A request canceled before the engine picked it up never started: it ends there, the target untouched.
        for (const row of source.db.query(REQUEST_TABLE, `state=${CloneState.Canceled}^completedISEMPTY`)) {
            if (runs.has(keyOf(source, row.sys_id))) continue;
            log({ source, id: row.sys_id }, "info", "Clone canceled; the target instance was not changed");
            const ended = source.db.update(REQUEST_TABLE, row.sys_id, { completed: glideDateTime(now()) });
            if (ended) cloneMilestone(source.db, ended, now());
        }
        for (const row of source.db.query(REQUEST_TABLE, `state=${CloneState.RollbackRequested}`)) {
            const key = keyOf(source, row.sys_id);
            if (rollbacks.has(key)) continue;
            startRollback(source, row);
        }
    };

    const advance = (run: Run): void => {
        const row = run.source.db.get(REQUEST_TABLE, run.id);
        if (!row) {
            runs.delete(keyOf(run.source, run.id));
            return;
        }
        if (row.state !== run.written) {
            if (row.state === CloneState.Canceled && run.next <= NODE_REPOINT_STEP) {
                // Nothing has touched the target yet: the copy lives in a staging area until Node repoint.
                runs.delete(keyOf(run.source, run.id));
                log(run, "info", "Clone canceled; the target instance was not changed");
                const ended = run.source.db.update(REQUEST_TABLE, run.id, { completed: glideDateTime(now()) });
                if (ended) cloneMilestone(run.source.db, ended, now());
                return;
            }
            if (row.state === CloneState.Canceled) {
                log(run, "warn", "Clone can no longer be canceled after Node Repoint");
            } else {
                log(run, "warn", `State change to "${row.state}" ignored while the clone is running`);
            }
            write(run, { state: run.written });
        }
        if (now() < run.dueAt) return;
        const step = STEPS[run.next];
        if (!step) {
            complete(run);
            return;
        }
        const done = STEPS.slice(0, run.next).reduce((sum, s) => sum + s.weight, 0) + 5;
        const fields: Record<string, string> = {
            state: step.state,
            phase: step.phase,
            percent_complete: String(Math.floor((100 * done) / TOTAL_WEIGHT)),
        };
        if (step.state === CloneState.Scheduled) fields.scheduled = row.scheduled || glideDateTime(now());
        if (step.phase === ClonePhase.Preflight) fields.started = glideDateTime(now());
        write(run, fields);
        try {
            runPhase(run, row, step.phase);
        } catch (error) {
            if (error instanceof CloneFailure) {
                fail(run, error.message);
                return;
            }
            throw error;
        }
        run.next++;
        // A scheduled clone stays Scheduled until its start time.
        run.dueAt = Math.max(now() + stepDelay(step.weight), run.next === 1 ? startNotBefore(row) : 0);
    };

    const runPhase = (run: Run, request: CloneRow, phase: string): void => {
        switch (phase) {
            case ClonePhase.Preflight:
                preflight(run, request);
                return;
            case ClonePhase.Backup:
                run.backup = exportAll(run.target!.db);
                return;
            case ClonePhase.Copy:
                run.staging = copyFromSource(run);
                return;
            case ClonePhase.Exclusions:
                applyExclusions(run);
                return;
            case ClonePhase.Preservers:
                applyPreservers(run);
                return;
            case ClonePhase.NodeRepoint:
                for (const [root, rows] of run.staging!) run.target!.db.replaceRows(root, rows);
                run.staging = undefined;
                markTextIndexesStale(run.target!.db);
                return;
            case ClonePhase.CleanupScripts:
                runCleanupScripts(run);
                for (const l of afterCloneIntegrations(run.source.db, run.target!.db, now()))
                    log(run, l.level, l.message);
                return;
            default:
                return;
        }
    };

    const preflight = (run: Run, request: CloneRow): void => {
        const sourceDb = run.source.db;
        const targetRef = request.target_instance ?? "";
        if (targetRef === "")
            throw new CloneFailure("Target instance is required: set target_instance on the clone request");
        const registered = sourceDb.get("instance", targetRef);
        if (!registered) {
            throw new CloneFailure(
                `Target instance ${targetRef} is not registered on ${run.source.name}: add it to the instance table first`,
            );
        }
        const targetName = registered.instance_name || registered.instance_url || targetRef;
        const target = findInstance(registered);
        if (!target) {
            throw new CloneFailure(
                `Target instance ${targetName} is not reachable at ${registered.instance_url || "(no URL)"}: it is not running`,
            );
        }
        if (target.db === sourceDb) {
            throw new CloneFailure(`Source and target are the same instance (${targetName}): choose another target`);
        }
        const adminUser = registered.admin_user ?? "";
        if (adminUser !== "") {
            // "clone_admin and soap" on the target, for the user the source signs in with [DOC t_StartAClone].
            const problem = targetUserProblem(target.db, adminUser);
            if (problem) throw new CloneFailure(`Target instance ${targetName} rejected the clone: ${problem}`);
        }
        const allow = propertyValue(target.db, "glide.db.clone.allow_clone_target");
        if (allow === "false") {
            throw new CloneFailure(
                `Target instance ${targetName} does not allow cloning: glide.db.clone.allow_clone_target is false`,
            );
        }
        for (const other of runs.values()) {
            if (other !== run && other.target?.db === target.db) {
                throw new CloneFailure(`Target instance ${targetName} already has an active clone (${other.id})`);
            }
        }
        for (const rb of rollbacks.values()) {
            if (rb.restorable.target.db === target.db) {
                throw new CloneFailure(`Target instance ${targetName} is being rolled back (${rb.id})`);
            }
        }
        run.target = target;
        run.options = cloneOptions(request);
        run.profile = resolveProfile(run, request.profile ?? "");
        if ((request.source_instance ?? "") === "") {
            // The CAC fills in the source itself; its own row in its instance table is the natural reference.
            const self = sourceDb.query("instance", `instance_name=${run.source.name}`)[0];
            if (self) sourceDb.update(REQUEST_TABLE, run.id, { source_instance: self.sys_id });
        }
    };

    const findInstance = (registered: CloneRow): CloneInstance | undefined => {
        const name = registered.instance_name ?? "";
        const url = normalizeUrl(registered.instance_url ?? "");
        for (const [key, inst] of emulator.instances) {
            if (name !== "" && (key === name || inst.name === name)) return inst;
            if (url !== "" && normalizeUrl(inst.url) === url) return inst;
        }
        // Seeds name instances the way a customer would (acme-dev), which need not be the emulator's own name.
        for (const inst of emulator.instances.values()) {
            if (name !== "" && propertyValue(inst.db, "instance_name") === name) return inst;
        }
        return undefined;
    };

    const resolveProfile = (run: Run, profileId: string): ResolvedProfile => {
        const db = run.source.db;
        let profile: CloneRow | undefined;
        if (profileId !== "") {
            profile = db.get("clone_profile", profileId);
            if (!profile) throw new CloneFailure(`Clone profile ${profileId} does not exist on ${run.source.name}`);
        } else {
            profile = db.query("clone_profile", "default_profile=true^ORDERBYsys_created_on")[0];
        }
        const active = (r: CloneRow | undefined): r is CloneRow => r !== undefined && r.active !== "false";
        let exclusionRows: CloneRow[];
        let preserverRows: CloneRow[];
        let scripts: PlannedScript[];
        const asScript = (r: CloneRow, order: string | undefined): PlannedScript => ({
            sysId: r.sys_id,
            name: r.name ?? "",
            order: Number.parseInt(order || r.order || "0", 10) || 0,
            script: r.script ?? "",
        });
        if (profile) {
            const p = profile.sys_id;
            exclusionRows = db
                .query("clone_profile_exclusions", `profile=${p}`)
                .map((l) => db.get("clone_data_exclude", l.exclusion ?? ""))
                .filter(active);
            preserverRows = db
                .query("clone_profile_preservers", `profile=${p}`)
                .map((l) => db.get("clone_data_preserver", l.preserver ?? ""))
                .filter(active);
            scripts = db
                .query("clone_profile_cleanup_scripts", `profile=${p}`)
                .filter((l) => l.active !== "false")
                .flatMap((l) => {
                    const s = db.get("clone_cleanup_script", l.cleanup_script ?? "");
                    return active(s) ? [asScript(s, l.order)] : [];
                });
        } else {
            exclusionRows = db.query("clone_data_exclude").filter(active);
            preserverRows = db.query("clone_data_preserver").filter(active);
            scripts = db
                .query("clone_cleanup_script")
                .filter(active)
                .map((s) => asScript(s, undefined));
        }
        const familyOf = (t: string): string[] => [...(run.target!.db.schema.find(t)?.family ?? [t])];
        return {
            excluded: expandExclusions(
                exclusionRows.map((r) => r.name ?? ""),
                familyOf,
            ),
            preservers: preserverRows.map((r) => ({
                name: r.name ?? "",
                table: r.table ?? "",
                condition: r.condition ?? "",
                theme: r.theme === "true",
            })),
            scripts: orderScripts(scripts),
        };
    };

    /** The source's data with each class's fate applied: kept classes carry the target's rows. */
    const copyFromSource = (run: Run): Tables => {
        const sourceDb = run.source.db;
        const targetDb = run.target!.db;
        const options = run.options!;
        const staging: Tables = new Map();
        for (const root of targetDb.schema.roots()) {
            if (isKeptTable(root)) continue;
            const fromSource = sourceDb.schema.find(root) ? sourceDb.exportRows(root) : [];
            const rows: CloneRow[] = [];
            for (const row of fromSource) {
                const cls = row.sys_class_name || root;
                if (tableFate(cls, options, NO_EXCLUSIONS) !== "copy") continue;
                if (cls === "sys_attachment" && options.excludeAttachments && !isAlwaysCopiedAttachment(row)) continue;
                rows.push(row);
            }
            for (const row of run.backup!.get(root) ?? []) {
                if (tableFate(row.sys_class_name || root, options, NO_EXCLUSIONS) === "keep") rows.push(row);
            }
            staging.set(root, rows);
        }
        return staging;
    };

    /** Excluded tables are truncated, "child tables included" only through the `.*` wildcard. */
    const applyExclusions = (run: Run): void => {
        const excluded = run.profile!.excluded;
        for (const [root, rows] of run.staging!) {
            run.staging!.set(
                root,
                rows.filter(
                    (r) =>
                        !excluded.has(r.sys_class_name || root) ||
                        tableFate(r.sys_class_name || root, run.options!, NO_EXCLUSIONS) === "keep",
                ),
            );
        }
    };

    /**
     * Each preserver's condition selects rows on both sides: the copied (source) rows it matches are dropped and the
     * target's matching rows put back, so the target ends with exactly the rows it had there, whatever their sys_ids.
     */
    const applyPreservers = (run: Run): void => {
        const targetDb = run.target!.db;
        const staging = run.staging!;
        const putBack = (root: string, kept: readonly CloneRow[]): void => {
            const rows = staging.get(root) ?? [];
            const at = new Map(rows.map((r, i) => [r.sys_id, i]));
            for (const row of kept) {
                const i = at.get(row.sys_id);
                if (i === undefined) {
                    at.set(row.sys_id, rows.length);
                    rows.push(row);
                } else rows[i] = row;
            }
            staging.set(root, rows);
        };
        for (const p of run.profile!.preservers) {
            if (p.theme && !run.options!.preserveTheme) continue;
            const info = targetDb.schema.find(p.table);
            if (!info || isKeptTable(info.root)) {
                if (!info)
                    log(run, "warn", `Preserver "${p.name}" skipped: table ${p.table} does not exist on the target`);
                continue;
            }
            const kept = targetDb.query(p.table, p.condition);
            const compiled = compileQuery(targetDb.schema, info, parseEncodedQuery(p.condition), run.source.db.lookup);
            const family = info.family;
            const staged = staging.get(info.root) ?? [];
            staging.set(
                info.root,
                staged.filter((r) => {
                    if (info.extensible && !family.has(r.sys_class_name ?? "")) return true;
                    return compiled.predicate ? !compiled.predicate(r) : false;
                }),
            );
            putBack(info.root, kept);
        }
        const days = run.options!.preserveInProgressUpdateSetsDays;
        const setsInfo = targetDb.schema.find("sys_update_set");
        if (days > 0 && setsInfo) {
            const since = now() - days * DAY_MS;
            const sets = targetDb
                .query("sys_update_set", "state=in progress^application=global")
                .filter((r) => Date.parse(`${(r.sys_updated_on ?? "").replace(" ", "T")}Z`) >= since);
            putBack(setsInfo.root, sets);
            const xmlInfo = targetDb.schema.find("sys_update_xml");
            if (sets.length > 0 && xmlInfo) {
                putBack(
                    xmlInfo.root,
                    targetDb.query("sys_update_xml", `update_setIN${sets.map((x) => x.sys_id).join(",")}`),
                );
            }
        }
        for (const scope of applyCicdCloneRules(staging, run.source.db, targetDb))
            log(run, "info", `Application ${scope} is not on the source: removed from the target`);
    };

    const runCleanupScripts = (run: Run): void => {
        const sandboxDb = sandboxOf(run.target!.db);
        const scripts = run.profile!.scripts;
        for (let i = 0; i < scripts.length; i++) {
            const s = scripts[i]!;
            const result = runServerScript(s.script, sandboxDb, {
                name: s.name,
                timeoutMs: opts.scriptTimeoutMs,
                now: () => new Date(now()),
            });
            for (const line of result.logs) log(run, line.level, `[${s.name}] ${line.message}`);
            if (!result.ok) {
                log(run, "error", `Cleanup script "${s.name}" failed: ${result.error}`);
                const skipped = scripts.slice(i + 1).map((x) => `"${x.name}"`);
                if (skipped.length > 0) {
                    // "failing customized scripts can help prevent subsequent scripts from executing"
                    log(run, "warn", `Cleanup scripts not run because "${s.name}" failed: ${skipped.join(", ")}`);
                }
                return;
            }
        }
    };

    const complete = (run: Run): void => {
        const completedAt = now();
        const row = write(run, {
            state: CloneState.Completed,
            percent_complete: "100",
            completed: glideDateTime(completedAt),
            rollback_deadline: glideDateTime(completedAt + rollbackWindow),
        });
        runs.delete(keyOf(run.source, run.id));
        const target = run.target!;
        latest.set(target.db, {
            source: run.source,
            id: run.id,
            target,
            backup: run.backup!,
            deadline: completedAt + rollbackWindow,
        });
        if (row) {
            // The target records that it was cloned (inferred: the platform keeps history on both sides).
            const copy: Record<string, string> = {};
            for (const [k, v] of Object.entries(row)) if (!k.startsWith("sys_") || k === "sys_id") copy[k] = v;
            // References point at the target's own instance rows (its instance table lists the same instances), and
            // the profile lives on the source, so it is not referenced from the target.
            const own = (name: string): string =>
                target.db.query("instance", `instance_name=${name}`, { limit: 1 })[0]?.sys_id ?? "";
            copy.source_instance = own(run.source.name);
            copy.target_instance = own(target.name);
            copy.profile = "";
            try {
                target.db.insert(REQUEST_TABLE, copy);
            } catch {
                // The record on the source is authoritative; a target copy that cannot be written is no failure.
            }
        }
        log(run, "info", `Clone completed into ${target.name}`);
    };

    const startRollback = (source: CloneInstance, row: CloneRow): void => {
        const key = keyOf(source, row.sys_id);
        const refuse = (message: string): void => {
            source.db.update(REQUEST_TABLE, row.sys_id, { state: CloneState.RollbackFailure, error_message: message });
            log({ source, id: row.sys_id, phase: "Rollback" }, "error", message);
        };
        let restorable: Restorable | undefined;
        for (const r of latest.values()) if (r.source === source && r.id === row.sys_id) restorable = r;
        if (!restorable) {
            refuse(
                "Rollback is possible only for the latest completed clone into a target, while its backup is kept; this clone is not",
            );
            return;
        }
        if (now() > restorable.deadline) {
            refuse(
                `Rollback window closed at ${glideDateTime(restorable.deadline)}: a clone can be rolled back within ${formatWindow(rollbackWindow)} of completing`,
            );
            return;
        }
        for (const run of runs.values()) {
            if (run.target?.db === restorable.target.db) {
                refuse(`Target instance ${restorable.target.name} has an active clone (${run.id}); rollback refused`);
                return;
            }
        }
        source.db.update(REQUEST_TABLE, row.sys_id, { state: CloneState.RollingBack, error_message: "" });
        rollbacks.set(key, { source, id: row.sys_id, dueAt: now() + stepDelay(30), restorable });
    };

    const advanceRollback = (rb: Rollback): void => {
        if (now() < rb.dueAt) return;
        rollbacks.delete(keyOf(rb.source, rb.id));
        const { target, backup } = rb.restorable;
        for (const [root, rows] of backup) target.db.replaceRows(root, rows);
        latest.delete(target.db);
        // The target's copy of the request is in a kept table, so it survived the restore: mark it too.
        if (target.db.get(REQUEST_TABLE, rb.id))
            target.db.update(REQUEST_TABLE, rb.id, { state: CloneState.RolledBack });
        rb.source.db.update(REQUEST_TABLE, rb.id, { state: CloneState.RolledBack });
        log(
            { ...rb, phase: "Rollback" },
            "info",
            `Target instance ${target.name} restored to its state before the clone`,
        );
    };

    const interval = Math.max(10, Math.min(150, duration / 20));
    const timer = setInterval(tick, interval);
    timer.unref();
    return {
        stop() {
            clearInterval(timer);
        },
    };
}

/** Backup of every table a clone may rewrite: kept tables are never written, so a rollback must not rewind them. */
function exportAll(db: CloneDb): Tables {
    const out: Tables = new Map();
    for (const root of db.schema.roots()) if (!isKeptTable(root)) out.set(root, db.exportRows(root));
    return out;
}

/** Why the target's clone user cannot accept a clone, or undefined when it can. */
function targetUserProblem(db: CloneDb, userName: string): string | undefined {
    const user = db.query("sys_user", `user_name=${userName}`, { limit: 1 })[0];
    if (user?.active !== "true" || user.locked_out === "true") {
        return `user "${userName}" does not exist there or cannot log in; fix admin_user in the instance table`;
    }
    const roleName = (id: string | undefined) => (id ? db.lookup("sys_user_role", id)?.name : undefined);
    const roles = new Set<string>();
    for (const r of db.query("sys_user_has_role", `user=${user.sys_id}`)) roles.add(roleName(r.role) ?? "");
    const groups = db.query("sys_user_grmember", `user=${user.sys_id}`).map((m) => m.group);
    if (groups.length > 0) {
        for (const g of db.query("sys_group_has_role", `groupIN${groups.join(",")}`)) roles.add(roleName(g.role) ?? "");
    }
    if (roles.has("admin") || (roles.has("clone_admin") && roles.has("soap"))) return undefined;
    return `user "${userName}" needs the clone_admin and soap roles there`;
}

function propertyValue(db: CloneDb, name: string): string | undefined {
    return db.query("sys_properties", `name=${name}`)[0]?.value;
}

let logSequence = 0;

/**
 * A sys_id that sorts after every earlier one, so a log read in the Table API's default (sys_id) order reads in the
 * order it was written, even within one second of sys_created_on.
 */
function logId(): string {
    logSequence = (logSequence + 1) % 0x100000000;
    const time = Date.now().toString(16).padStart(12, "0");
    const seq = logSequence.toString(16).padStart(8, "0");
    return `${time}${seq}${randomBytes(6).toString("hex")}`;
}

/** UTC `YYYY-MM-DD HH:MM:SS`, as the platform stores date-times. */
function glideDateTime(at: number): string {
    return new Date(at).toISOString().slice(0, 19).replace("T", " ");
}

function normalizeUrl(url: string): string {
    return url.trim().replace(/\/+$/, "").toLowerCase();
}

function formatWindow(ms: number): string {
    if (ms % DAY_MS === 0) return `${ms / DAY_MS} days`;
    return `${ms} ms`;
}

/** A table's columns, each with the table it references ("" for plain columns). */
export function fieldMap(db: Pick<CloneDb, "schema">, table: string): Record<string, string> | undefined {
    const info = db.schema.find(table);
    if (!info) return undefined;
    const out: Record<string, string> = {};
    for (const [name, f] of info.fields) out[name] = f.type === "reference" ? (f.reference ?? "") : "";
    return out;
}

/** The instance as a server-side script (cleanup script, ATF step) sees it. */
export function sandboxOf(db: CloneDb): SandboxDb {
    return {
        query: (table, q) => db.query(table, q),
        insert: (table, fields) => db.insert(table, fields),
        update: (table, sysId, fields) => db.update(table, sysId, fields),
        delete: (table, sysId) => db.delete(table, sysId),
        hasTable: (table) => db.schema.find(table) !== undefined,
        fields: (table) => fieldMap(db, table),
    };
}
