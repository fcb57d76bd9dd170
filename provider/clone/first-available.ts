/**
 * The clone's first available slot as the change instance sees it: when the change names a configuration item, the
 * Change Management API's `PATCH /change/{sys_id}/schedule/first_available` moves its planned start and end to the
 * first slot the CI's maintenance and blackout schedules and its other changes allow; the declared window and the
 * platform's minimum gap between clones still bound that start, so the two are asked in turn until they agree.
 */
import {
    type ChangeApi,
    type ChangeRef,
    fieldValue,
    GovernanceAbortError,
    type GovernanceInputs,
    getChange,
    glideTime,
    type PendingClone,
    parseGlideTime,
    planStart,
} from "./governance";

/** Rounds of asking the change instance and the window before giving up (each round moves the start forward). */
const MAX_ROUNDS = 20;
/** How long one scheduling worker may take before the governance gives up on it. */
const WORKER_TIMEOUT_MS = 120_000;

/** What the change instance's worker reports. */
interface WorkerResult {
    worker?: { sysId?: string };
    state?: { value?: number; display_value?: string };
    messages?: { errorMessages?: string[]; infoMessages?: string[] };
}

/** Timing the search needs (CloneRun's own clock and sleep, so tests drive them). */
export interface SlotDeps {
    now(): number;
    sleep(ms: number): Promise<void>;
}

/**
 * The clone's start from the change instance's first available slot, at or after `from`, inside the window and
 * keeping the minimum gap to `pending`; undefined when the change has no configuration item (the route needs one).
 * The change's planned start and end are the slot's when this returns.
 *
 * @throws GovernanceAbortError when the change instance finds no slot, or none the window and the gap accept.
 */
export async function firstAvailableStart(
    api: ChangeApi,
    change: ChangeRef,
    g: GovernanceInputs,
    from: number,
    pending: readonly PendingClone[],
    deps: SlotDeps,
): Promise<number | undefined> {
    const ci = fieldValue(await getChange(api, change), "cmdb_ci");
    if (ci === "") return undefined;
    const local = { ...g, scheduledStart: undefined };
    let at = from;
    for (let round = 0; round < MAX_ROUNDS; round++) {
        const slot = await askFirstAvailable(api, change, at, g.durationMinutes * 60, deps);
        const bounded = planStart(local, slot, pending);
        if (bounded.kind === "refused") {
            throw new GovernanceAbortError(`change ${change.number}'s first available slot: ${bounded.message}`);
        }
        if (bounded.at === slot) return slot;
        at = bounded.at;
    }
    throw new GovernanceAbortError(
        `change ${change.number}: the change instance's first available slot and the window did not agree in ${MAX_ROUNDS} rounds (last tried ${glideTime(at)} UTC); declare scheduledStart`,
    );
}

/** One round: asks for the first slot at or after `from` and returns the planned start the worker set. */
async function askFirstAvailable(
    api: ChangeApi,
    change: ChangeRef,
    from: number,
    durationSeconds: number,
    deps: SlotDeps,
): Promise<number> {
    let result = (await api.call("PATCH", `/${change.sysId}/schedule/first_available`, {
        duration_in_seconds: String(durationSeconds),
        planned_start_time: glideTime(Math.max(from, deps.now())),
    })) as WorkerResult;
    const worker = result.worker?.sysId;
    if (!worker) throw new Error(`the first_available route answered without a worker for change ${change.number}`);
    for (const deadline = deps.now() + WORKER_TIMEOUT_MS; (result.state?.value ?? 1) < 3; ) {
        if (deps.now() > deadline) {
            throw new GovernanceAbortError(
                `change ${change.number}: the scheduling worker ${worker} did not finish in ${WORKER_TIMEOUT_MS / 1000} s`,
            );
        }
        await deps.sleep(250);
        result = (await api.call("GET", `/worker/${worker}`)) as WorkerResult;
    }
    const messages = [...(result.messages?.errorMessages ?? []), ...(result.messages?.infoMessages ?? [])];
    if (result.state?.value !== 3 || !messages.includes("Change has been updated")) {
        throw new GovernanceAbortError(
            `change ${change.number}: the change instance found no slot for ${durationSeconds / 60} min from ${glideTime(from)} UTC ` +
                `(worker ${worker} ${result.state?.display_value ?? "ended"}: ${messages.join("; ") || "no message"}); ` +
                "check the CI's maintenance and blackout schedules, or declare scheduledStart",
        );
    }
    const start = parseGlideTime(fieldValue(await getChange(api, change), "start_date"));
    if (!Number.isFinite(start)) throw new Error(`change ${change.number} has no planned start after scheduling`);
    return start;
}
