/**
 * CloneRun governance: the change request that records a refresh, its approval, the window the clone is scheduled
 * in, the platform's minimum gap between clones into one target, and the change's closure with evidence.
 *
 * Everything here speaks the Change Management API (`/api/sn_chg_rest/change…`) through the small {@link ChangeApi}
 * interface, so the rules test without a server and the fence sees only that API on the change instance.
 * docs/change-control.md describes the behaviour; the platform facts are in the emulator's change README.
 */
import { z } from "zod";

/** The standard change template the emulator seeds, and the default a governed clone uses. */
export const DEFAULT_TEMPLATE = "Refresh a non-production instance by clone";
/** The platform's minimum days between clones into one target ("at least five days apart"). */
export const DEFAULT_MIN_GAP_DAYS = 5;
/** Fields the governance sets itself; a user's `fields` may not set them. */
const MANAGED_FIELDS = ["state", "type", "approval", "close_code", "close_notes", "start_date", "end_date"];
const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;
const DAY_MS = 24 * 60 * 60 * 1000;
const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** A change window: every listed day (UTC) from `start` to `end`; an end at or before the start ends the next day. */
export const ChangeWindow = z.object({
    start: z.string().regex(HHMM, { error: 'window.start must be a UTC time "HH:MM", e.g. "02:00"' }),
    end: z.string().regex(HHMM, { error: 'window.end must be a UTC time "HH:MM", e.g. "06:00"' }),
    days: z
        .array(z.enum(DAYS, { error: `window.days must list days as ${DAYS.join(", ")}` }))
        .min(1, { error: "window.days must list at least one day; omit it for every day" })
        .default([...DAYS]),
});
/** A change window, as declared. */
export type ChangeWindow = z.infer<typeof ChangeWindow>;

/** The `governance` option of CloneRun (and the `environment:change` config). */
export const GovernanceInputs = z
    .object({
        change: z
            .object({
                type: z
                    .enum(["standard", "normal"], {
                        error: 'change.type must be "standard" (from a template, pre-approved) or "normal" (approved by the CAB)',
                    })
                    .default("standard"),
                template: z
                    .string()
                    .trim()
                    .min(1, { error: "change.template must be a standard change template's name or sys_id" })
                    .optional(),
                fields: z.record(z.string(), z.string()).default({}),
            })
            .default({ type: "standard", fields: {} }),
        approval: z
            .object({
                timeoutMinutes: z
                    .number({ error: "approval.timeoutMinutes must be a number of minutes" })
                    .positive({ error: "approval.timeoutMinutes must be more than 0" })
                    .default(60),
                pollSeconds: z
                    .number({ error: "approval.pollSeconds must be a number of seconds" })
                    .positive({ error: "approval.pollSeconds must be more than 0" })
                    .default(30),
                onTimeout: z
                    .enum(["cancel", "leave-open"], {
                        error: 'approval.onTimeout must be "cancel" (cancel the change) or "leave-open"',
                    })
                    .default("cancel"),
            })
            .default({ timeoutMinutes: 60, pollSeconds: 30, onTimeout: "cancel" }),
        window: ChangeWindow.optional(),
        scheduledStart: z
            .string()
            .refine((v) => !Number.isNaN(Date.parse(v)) && /T|\s/.test(v), {
                error: 'scheduledStart must be an ISO 8601 date-time, e.g. "2026-12-05T02:00:00Z"',
            })
            .optional(),
        durationMinutes: z
            .number({ error: "durationMinutes must be a number of minutes" })
            .positive({ error: "durationMinutes must be more than 0" })
            .default(240),
        changeConnection: z
            .enum(["source", "target"], {
                error: 'changeConnection must be "source" (production, the usual change instance) or "target"',
            })
            .default("source"),
        closeAfter: z
            .enum(["clone", "environment"], {
                error: 'closeAfter must be "clone" (close when the clone completes) or "environment" (a ChangeClosure closes it after the environment converged)',
            })
            .default("clone"),
        minGapDays: z
            .number()
            .int({ error: "minGapDays must be a whole number of days" })
            .min(0, { error: "minGapDays must be 0 or more" })
            .default(DEFAULT_MIN_GAP_DAYS),
        notify: z
            .object({
                requester: z.boolean({ error: "notify.requester must be true or false" }).default(false),
                emails: z.array(z.string().email({ error: "notify.emails must be email addresses" })).default([]),
            })
            .default({ requester: false, emails: [] }),
    })
    .superRefine((v, ctx) => {
        for (const f of Object.keys(v.change.fields)) {
            if (MANAGED_FIELDS.includes(f)) {
                ctx.addIssue({
                    code: "custom",
                    path: ["change", "fields", f],
                    message: `change.fields.${f} is set by the governance itself (it walks the change's states and closes it with evidence); remove it`,
                });
            }
        }
        if (v.change.type === "normal" && v.change.template !== undefined) {
            ctx.addIssue({
                code: "custom",
                path: ["change", "template"],
                message: 'change.template applies to standard changes; remove it or set change.type to "standard"',
            });
        }
        if (v.scheduledStart && v.window && !insideWindow(v.window, Date.parse(v.scheduledStart))) {
            ctx.addIssue({
                code: "custom",
                path: ["scheduledStart"],
                message: `scheduledStart ${v.scheduledStart} is outside the window (${describeWindow(v.window)}); choose a start inside it, or omit scheduledStart for the first available slot`,
            });
        }
    });
/** Governance options after defaults. */
export type GovernanceInputs = z.infer<typeof GovernanceInputs>;
/** Governance options as written (defaults not yet applied). */
export type GovernanceOptions = z.input<typeof GovernanceInputs>;

function minutesOf(hhmm: string): number {
    const m = HHMM.exec(hhmm)!;
    return Number(m[1]) * 60 + Number(m[2]);
}

/** "02:00–06:00 UTC on sat, sun". */
export function describeWindow(w: ChangeWindow): string {
    const days = w.days.length === 7 ? "every day" : `on ${w.days.join(", ")}`;
    return `${w.start}–${w.end} UTC ${days}`;
}

/** The window's openings as [open, close) epoch-millisecond pairs, for openings that close after `from`. */
function* openings(w: ChangeWindow, from: number, horizonDays = 90): Generator<[number, number]> {
    const startMin = minutesOf(w.start);
    let endMin = minutesOf(w.end);
    if (endMin <= startMin) endMin += 24 * 60;
    const firstDay = Math.floor(from / DAY_MS) * DAY_MS - DAY_MS;
    for (let d = 0; d <= horizonDays + 1; d++) {
        const day = firstDay + d * DAY_MS;
        if (!w.days.includes(DAYS[new Date(day).getUTCDay()]!)) continue;
        const open = day + startMin * 60_000;
        const close = day + endMin * 60_000;
        if (close > from) yield [open, close];
    }
}

/** True when `at` falls inside an opening of the window. */
export function insideWindow(w: ChangeWindow, at: number): boolean {
    for (const [open, close] of openings(w, at - DAY_MS, 2)) if (at >= open && at < close) return true;
    return false;
}

/** Another clone into the target that has not started yet (the requests the platform's gap applies to). */
export interface PendingClone {
    sysId: string;
    state: string;
    /** Its scheduled start (or request time when it has none), epoch milliseconds. */
    at: number;
}

/** Where the clone starts: a time, or the other clone that forbids it. */
export type StartPlan =
    | { kind: "start"; at: number; reason: string }
    | { kind: "refused"; message: string; conflict?: PendingClone };

/**
 * Chooses the clone's scheduled start. A declared `scheduledStart` is used as is (the schema checked it is inside
 * the window); else the first moment of the window at or after `now` that keeps the gap to every pending clone;
 * else (no window) now. A start within `minGapDays` of a pending clone into the same target is refused, naming it.
 */
export function planStart(g: GovernanceInputs, now: number, pending: readonly PendingClone[]): StartPlan {
    const gap = g.minGapDays * DAY_MS;
    const conflictAt = (at: number) =>
        gap > 0
            ? pending
                  .filter((p) => Math.abs(p.at - at) < gap)
                  .sort((a, b) => Math.abs(a.at - at) - Math.abs(b.at - at))[0]
            : undefined;
    const refuse = (at: number, c: PendingClone): StartPlan => ({
        kind: "refused",
        conflict: c,
        message:
            `the clone would start at ${iso(at)}, within the platform's minimum of ${g.minGapDays} days between clones into one target: ` +
            `clone ${c.sysId} (${c.state}) starts at ${iso(c.at)}; ` +
            `schedule this one for ${iso(Math.max(...pending.map((p) => p.at)) + gap)} or later, or cancel that clone`,
    });
    if (g.scheduledStart) {
        const at = Date.parse(g.scheduledStart);
        const c = conflictAt(at);
        return c ? refuse(at, c) : { kind: "start", at, reason: "the declared scheduledStart" };
    }
    if (!g.window) {
        const c = conflictAt(now);
        return c ? refuse(now, c) : { kind: "start", at: now, reason: "now (no window declared)" };
    }
    for (const [open, close] of openings(g.window, now)) {
        let at = Math.max(open, now);
        // Within one opening, the first moment past every conflicting clone's gap.
        for (let c = conflictAt(at); c && at < close; c = conflictAt(at)) at = c.at + gap;
        if (at < close)
            return {
                kind: "start",
                at,
                reason: `the first available slot of the window (${describeWindow(g.window)})`,
            };
    }
    const last = pending.length > 0 ? pending.reduce((a, b) => (a.at > b.at ? a : b)) : undefined;
    return {
        kind: "refused",
        conflict: last,
        message: `no slot of the window (${describeWindow(g.window)}) in the next 90 days keeps ${g.minGapDays} days from the pending clones into the target${last ? ` (latest: ${last.sysId} at ${iso(last.at)})` : ""}`,
    };
}

/** ISO 8601 without milliseconds. */
export function iso(at: number): string {
    return new Date(at).toISOString().replace(".000Z", "Z");
}

/** UTC `YYYY-MM-DD HH:MM:SS`, as the platform stores date-times. */
export function glideTime(at: number): string {
    return new Date(at).toISOString().slice(0, 19).replace("T", " ");
}

/** Epoch milliseconds of a stored date-time; NaN when blank. */
export function parseGlideTime(value: string | undefined): number {
    return value ? Date.parse(`${value.replace(" ", "T")}Z`) : Number.NaN;
}

/** What a closed change records. */
export interface CloseEvidence {
    cloneId: string;
    target: string;
    /** Seconds the clone ran. */
    durationSeconds: number;
    /** What converging the environment after the clone changed (drift the clone introduced), one line per item; undefined when not measured. */
    drift?: readonly string[];
    /** Verification summary, or undefined when no verification is configured. */
    verification?: string;
}

/** The close notes of a successful refresh: clone id, duration, drift and verification, one fact a line. */
export function closeNotes(e: CloseEvidence): string {
    const lines = [
        `Clone ${e.cloneId} into ${e.target} completed in ${formatSeconds(e.durationSeconds)}.`,
        e.drift === undefined
            ? "Drift after the clone: not measured (the change was closed when the clone completed)."
            : e.drift.length === 0
              ? "Drift after the clone: none; the environment matched its declared policy."
              : `Drift after the clone, converged: ${e.drift.join("; ")}.`,
        `Verification: ${e.verification ?? "none configured"}.`,
    ];
    return lines.join("\n");
}

/** "42 s", "3 min 5 s", "2 h 10 min". */
export function formatSeconds(s: number): string {
    if (s < 60) return `${s} s`;
    if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ""}`;
    const m = Math.round(s / 60);
    return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** A field of a Change Management API record: `{value, display_value}`. */
export type ChangeField = { value: unknown; display_value?: string };
/** A Change Management API record. */
export type ChangeRecord = Record<string, ChangeField | undefined>;

/** The calls the governance makes on the change instance, all under `/api/sn_chg_rest/change`. */
export interface ChangeApi {
    /** Calls `/api/sn_chg_rest/change{path}` and returns the envelope's `result`. */
    call(method: "GET" | "POST" | "PATCH", path: string, body?: Record<string, string>): Promise<unknown>;
}

/** A change as the governance tracks it. */
export interface ChangeRef {
    sysId: string;
    number: string;
}

/** The stored value of a field as a string. */
export function fieldValue(rec: ChangeRecord, name: string): string {
    const v = rec[name]?.value;
    return v === undefined || v === null ? "" : String(v);
}

/** Change states by label, as the API accepts them. */
export const State = {
    New: "-5",
    Assess: "-4",
    Authorize: "-3",
    Scheduled: "-2",
    Implement: "-1",
    Review: "0",
    Closed: "3",
    Canceled: "4",
} as const;

/**
 * Creates the change: standard from the template (looked up by name or sys_id), or normal with the declared fields;
 * planned start and end are the clone's slot.
 */
export async function createChange(
    api: ChangeApi,
    g: GovernanceInputs,
    plan: { start: number; target: string; source: string },
): Promise<ChangeRef> {
    const fields: Record<string, string> = {
        short_description: `Refresh ${plan.target} from ${plan.source} by clone`,
        ...g.change.fields,
        start_date: glideTime(plan.start),
        end_date: glideTime(plan.start + g.durationMinutes * 60_000),
    };
    let rec: ChangeRecord;
    if (g.change.type === "standard") {
        const template = await findTemplate(api, g.change.template ?? DEFAULT_TEMPLATE);
        rec = (await api.call("POST", `/standard/${template}`, fields)) as ChangeRecord;
    } else {
        rec = (await api.call("POST", "/normal", fields)) as ChangeRecord;
    }
    return { sysId: fieldValue(rec, "sys_id"), number: fieldValue(rec, "number") };
}

async function findTemplate(api: ChangeApi, nameOrId: string): Promise<string> {
    const rows = (await api.call("GET", "/standard/template")) as ChangeRecord[];
    const match = rows.find((r) => fieldValue(r, "sys_id") === nameOrId || fieldValue(r, "name") === nameOrId);
    if (!match) {
        const names = rows.map((r) => `"${fieldValue(r, "name")}"`).join(", ") || "none";
        throw new Error(
            `standard change template "${nameOrId}" does not exist on the change instance (active templates: ${names}); ` +
                "fix governance.change.template or publish the template",
        );
    }
    return fieldValue(match, "sys_id");
}

/** Reads a change. */
export async function getChange(api: ChangeApi, ref: ChangeRef): Promise<ChangeRecord> {
    return (await api.call("GET", `/${ref.sysId}`)) as ChangeRecord;
}

/** Moves a change to a state (one step of the State Model), with any fields that go with it. */
export async function moveChange(
    api: ChangeApi,
    ref: ChangeRef,
    state: string,
    fields: Record<string, string> = {},
): Promise<ChangeRecord> {
    return (await api.call("PATCH", `/${ref.sysId}`, { ...fields, state })) as ChangeRecord;
}

/** How waiting for approval ended. */
export type ApprovalOutcome = "approved" | "rejected" | "timeout";

/**
 * Asks for approval (a normal change moves to Assess; a standard one is pre-approved and is scheduled at once) and
 * polls until the change is approved, rejected or the timeout passes.
 */
export async function awaitApproval(
    api: ChangeApi,
    ref: ChangeRef,
    g: GovernanceInputs,
    opts: { sleep: (ms: number) => Promise<void>; now: () => number; progress: (line: string) => void },
): Promise<ApprovalOutcome> {
    let rec = await getChange(api, ref);
    if (fieldValue(rec, "type") === "standard") {
        if (fieldValue(rec, "state") === State.New) await moveChange(api, ref, State.Scheduled);
        return "approved";
    }
    if (fieldValue(rec, "state") === State.New && fieldValue(rec, "approval") !== "rejected") {
        rec = await moveChange(api, ref, State.Assess);
    }
    const deadline = opts.now() + g.approval.timeoutMinutes * 60_000;
    opts.progress(`change ${ref.number}: waiting for approval (up to ${g.approval.timeoutMinutes} min)`);
    for (;;) {
        const approval = fieldValue(rec, "approval");
        if (approval === "approved") return "approved";
        if (approval === "rejected") return "rejected";
        if (opts.now() >= deadline) return "timeout";
        await opts.sleep(Math.min(g.approval.pollSeconds * 1000, Math.max(0, deadline - opts.now())));
        rec = await getChange(api, ref);
    }
}

/**
 * Ends a change that will not complete: Canceled when the work never started (before Implement), else walked
 * Implement → Review → Closed with close code unsuccessful. The notes say why (the platform's error, the timeout).
 */
export async function abandonChange(api: ChangeApi, ref: ChangeRef, notes: string): Promise<string> {
    const state = fieldValue(await getChange(api, ref), "state");
    if (state === State.Closed || state === State.Canceled) return state;
    if (state !== State.Implement && state !== State.Review) {
        await moveChange(api, ref, State.Canceled, { close_notes: notes, work_notes: notes });
        return State.Canceled;
    }
    if (state === State.Implement) await moveChange(api, ref, State.Review);
    await moveChange(api, ref, State.Closed, { close_code: "unsuccessful", close_notes: notes });
    return State.Closed;
}

/** Closes a change whose clone completed and whose environment converged: Review, then Closed successful. */
export async function closeChange(api: ChangeApi, ref: ChangeRef, notes: string): Promise<void> {
    const state = fieldValue(await getChange(api, ref), "state");
    if (state === State.Closed) return;
    if (state === State.Scheduled) await moveChange(api, ref, State.Implement);
    if (state !== State.Review) await moveChange(api, ref, State.Review);
    await moveChange(api, ref, State.Closed, { close_code: "successful", close_notes: notes });
}

/** The clone-request side of a governed clone: what CloneRun already does, handed in so there is one engine. */
export interface GovernedCloneSteps {
    /** The Change Management API on the change instance (normally production). */
    changeApi: ChangeApi;
    /** Clone requests into the target that have not started yet (Requested or Scheduled). */
    pendingClones(): Promise<PendingClone[]>;
    /** Inserts the clone request with these extra fields; returns its sys_id. */
    requestClone(extra: Record<string, string>): Promise<string>;
    /** The request's current state. */
    cloneState(id: string): Promise<string>;
    /** Waits for the clone to end (cancelling it on a timeout); throws on Error, Canceled or Hold. */
    waitForClone(
        id: string,
    ): Promise<{ state?: string; started?: string; completed?: string; sys_created_on?: string }>;
    /**
     * The first available slot as the change instance sees it, at or after `from` (inside the window, keeping the
     * gap to `pending`), or undefined when it cannot say (the change has no configuration item). Called only when no
     * scheduledStart is declared. @default the window alone decides
     */
    firstSlot?(change: ChangeRef, from: number, pending: readonly PendingClone[]): Promise<number | undefined>;
    report(line: string): void;
    now(): number;
    sleep(ms: number): Promise<void>;
}

/** What a governed clone produced. */
export interface GovernedClone {
    cloneId: string;
    change: ChangeRef;
    /** The clone's scheduled start, epoch milliseconds. */
    start: number;
}

/** Raised when a governed clone stops before anything was cloned (approval rejected or timed out, gap, window). */
export class GovernanceAbortError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "GovernanceAbortError";
    }
}

/**
 * A clone under change control: plan the start (window, gap), create the change, wait for approval (cancelling the
 * change on a timeout or rejection unless told to leave it open), request the clone for that start, move the change to
 * Implement when the clone starts, and on failure close it unsuccessful (or cancel it) with the platform's error.
 * The change is left in Implement on success; {@link closeChange} closes it once the environment has converged.
 */
export async function governedClone(
    g: GovernanceInputs,
    names: { target: string; source: string },
    steps: GovernedCloneSteps,
): Promise<GovernedClone> {
    const pending = await steps.pendingClones();
    const plan = planStart(g, steps.now(), pending);
    if (plan.kind === "refused") throw new GovernanceAbortError(`not cloning into ${names.target}: ${plan.message}`);
    const change = await createChange(steps.changeApi, g, {
        start: plan.at,
        target: names.target,
        source: names.source,
    });
    steps.report(
        `change ${change.number} created for the clone into ${names.target}, starting ${iso(plan.at)} (${plan.reason})`,
    );
    let planned = plan.at;
    if (!g.scheduledStart && steps.firstSlot) {
        try {
            const slot = await steps.firstSlot(change, plan.at, pending);
            if (slot !== undefined) {
                planned = slot;
                steps.report(
                    `change ${change.number}: the change instance's first available slot for its CI is ${iso(slot)}`,
                );
            }
        } catch (error) {
            await abandonChange(steps.changeApi, change, `Not cloned: ${(error as Error).message}.`);
            throw error;
        }
    }
    const outcome = await awaitApproval(steps.changeApi, change, g, { ...steps, progress: steps.report });
    if (outcome !== "approved") {
        const why =
            outcome === "rejected"
                ? `change ${change.number} was rejected`
                : `change ${change.number} was not approved within ${g.approval.timeoutMinutes} min`;
        if (outcome === "rejected" || g.approval.onTimeout === "cancel") {
            await abandonChange(steps.changeApi, change, `${why}; nothing was cloned.`);
            throw new GovernanceAbortError(`${why}; it was canceled and nothing was cloned into ${names.target}`);
        }
        throw new GovernanceAbortError(
            `${why}; it is left open (approval.onTimeout "leave-open") and nothing was cloned`,
        );
    }
    steps.report(`change ${change.number} approved`);
    // Another clone may have been requested while the change waited for approval.
    const again = planStart({ ...g, scheduledStart: iso(planned) }, steps.now(), await steps.pendingClones());
    if (again.kind === "refused") {
        await abandonChange(steps.changeApi, change, `Not cloned: ${again.message}.`);
        throw new GovernanceAbortError(`not cloning into ${names.target}: ${again.message}`);
    }
    const start = Math.max(planned, steps.now());
    const cloneId = await steps.requestClone({
        scheduled: glideTime(start),
        email_updates: String(g.notify.requester),
        external_email: g.notify.emails.join(","),
    });
    await steps.changeApi.call("PATCH", `/${change.sysId}`, {
        work_notes: `Clone ${cloneId} into ${names.target} requested, scheduled for ${glideTime(start)} UTC`,
    });
    let done: Awaited<ReturnType<GovernedCloneSteps["waitForClone"]>>;
    try {
        for (;;) {
            const state = await steps.cloneState(cloneId);
            if (state !== "Requested" && state !== "Scheduled") break;
            await steps.sleep(Math.max(200, Math.min(g.approval.pollSeconds * 1000, start - steps.now())));
        }
        if ((await steps.cloneState(cloneId)) !== "Hold") {
            await moveChange(steps.changeApi, change, State.Implement);
            steps.report(`change ${change.number} in Implement: clone ${cloneId} started`);
        }
        done = await steps.waitForClone(cloneId);
    } catch (error) {
        const notes = `Clone ${cloneId} into ${names.target} failed: ${(error as Error).message}`;
        const ended = await abandonChange(steps.changeApi, change, notes);
        steps.report(`change ${change.number} ${ended === State.Canceled ? "canceled" : "closed unsuccessful"}`);
        throw error;
    }
    // The clone completed: a failure to close from here on is not the clone's, so the change is not marked unsuccessful.
    if (g.closeAfter === "clone") {
        const from = parseGlideTime(done.started || done.sys_created_on);
        const to = parseGlideTime(done.completed);
        const seconds = Number.isFinite(from) && Number.isFinite(to) ? Math.round((to - from) / 1000) : 0;
        await closeChange(
            steps.changeApi,
            change,
            closeNotes({ cloneId, target: names.target, durationSeconds: Math.max(0, seconds) }),
        );
        steps.report(`change ${change.number} closed successful`);
    }
    return { cloneId, change, start };
}
