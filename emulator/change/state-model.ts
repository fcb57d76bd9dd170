/**
 * The change request State Model: state values and labels, and which moves each change type allows.
 *
 * Taken from the platform's own script includes (ChangeRequestStateHandlerSNC, ChangeRequestStateModel_normal,
 * ChangeRequestStateModel_standard): a change moves one step at a time, may go back to New from Assess or
 * Authorize (normal), may be canceled from any open state, and Closed and Canceled are final. The approval gates and
 * the fields required to close are the emulator's reading of the models' canMove checks (see README.md).
 */

/** `change_request.state` values and their labels. */
export const ChangeState = {
    New: "-5",
    Assess: "-4",
    Authorize: "-3",
    Scheduled: "-2",
    Implement: "-1",
    Review: "0",
    Closed: "3",
    Canceled: "4",
} as const;

/** The stored value of one change state. */
export type ChangeStateValue = (typeof ChangeState)[keyof typeof ChangeState];

/** Value to label, as the choice list shows it. */
export const CHANGE_STATE_LABELS: Readonly<Record<string, string>> = {
    "-5": "New",
    "-4": "Assess",
    "-3": "Authorize",
    "-2": "Scheduled",
    "-1": "Implement",
    "0": "Review",
    "3": "Closed",
    "4": "Canceled",
};

/** The state handler's internal names ("New" is "draft" because `new` is a JavaScript keyword). */
const STATE_NAMES: Readonly<Record<string, string>> = {
    "-5": "draft",
    "-4": "assess",
    "-3": "authorize",
    "-2": "scheduled",
    "-1": "implement",
    "0": "review",
    "3": "closed",
    "4": "canceled",
};

/** Change types the API creates. */
export type ChangeType = "normal" | "standard" | "emergency";

const { New, Assess, Authorize, Scheduled, Implement, Review, Closed, Canceled } = ChangeState;

/** Allowed moves per type: from state to the states it may move to (Canceled from every open state). */
const MODELS: Readonly<Record<ChangeType, Readonly<Record<string, readonly string[]>>>> = {
    normal: {
        [New]: [Assess, Canceled],
        [Assess]: [New, Authorize, Scheduled, Canceled],
        [Authorize]: [New, Scheduled, Canceled],
        [Scheduled]: [Implement, Canceled],
        [Implement]: [Review, Canceled],
        [Review]: [Closed, Canceled],
        [Closed]: [],
        [Canceled]: [],
    },
    emergency: {
        [New]: [Authorize, Canceled],
        [Authorize]: [New, Scheduled, Canceled],
        [Scheduled]: [Implement, Canceled],
        [Implement]: [Review, Canceled],
        [Review]: [Closed, Canceled],
        [Closed]: [],
        [Canceled]: [],
    },
    standard: {
        [New]: [Scheduled, Canceled],
        [Scheduled]: [Implement, Canceled],
        [Implement]: [Review, Canceled],
        [Review]: [Closed, Canceled],
        [Closed]: [],
        [Canceled]: [],
    },
};

/**
 * Resolves what a caller wrote into `state` to a stored value, as the API's resolveChoice does: the value itself
 * ("-1"), its label ("Implement", any case) or the state handler's name ("implement"). Undefined when nothing matches.
 */
export function resolveState(input: unknown): string | undefined {
    const text = String(input ?? "").trim();
    if (text in CHANGE_STATE_LABELS) return text;
    const lower = text.toLowerCase();
    for (const [value, label] of Object.entries(CHANGE_STATE_LABELS)) {
        if (label.toLowerCase() === lower || STATE_NAMES[value] === lower) return value;
    }
    return undefined;
}

/** The states a change of this type may move to from `state`, in the model's order. */
export function nextStates(type: string, state: string): readonly string[] {
    return MODELS[asType(type)][state] ?? [];
}

/** The label of a state value ("Implement"), or the value itself when unknown. */
export function stateLabel(value: string): string {
    return CHANGE_STATE_LABELS[value] ?? value;
}

/** What a change must have before it may enter a state. */
export interface MoveContext {
    type: string;
    from: string;
    to: string;
    /** `approval` after the write (approved, requested, rejected, not requested). */
    approval: string;
    /** close_code and close_notes after the write. */
    closeCode: string;
    closeNotes: string;
}

/**
 * Why the move is refused, or undefined when the State Model allows it. Staying in the same state is no move and is
 * allowed (the record is simply saved).
 */
export function refusal(m: MoveContext): string | undefined {
    if (m.from === m.to) return undefined;
    const allowed = nextStates(m.type, m.from);
    if (!allowed.includes(m.to)) {
        const options = allowed.map(stateLabel).join(", ") || "nothing (the change is finished)";
        return `a ${asType(m.type)} change cannot move from ${stateLabel(m.from)} to ${stateLabel(m.to)}; from ${stateLabel(m.from)} it can move to ${options}`;
    }
    // The approval workflow moves a normal change on from Assess; nothing is implemented before approval.
    const needsApproval = m.to === Implement || m.to === Scheduled || (m.to === Authorize && m.from === Assess);
    if (needsApproval && m.approval !== "approved") {
        return `the change is not approved (approval is "${m.approval || "not requested"}"); it can move to ${stateLabel(m.to)} once approved`;
    }
    if (m.to === Closed && (m.closeCode === "" || m.closeNotes === "")) {
        const missing = [m.closeCode === "" ? "close_code" : "", m.closeNotes === "" ? "close_notes" : ""].filter(
            Boolean,
        );
        return `closing needs ${missing.join(" and ")}: set ${missing.join(" and ")} in the same request`;
    }
    return undefined;
}

/** True for Closed and Canceled. */
export function isFinal(state: string): boolean {
    return state === Closed || state === Canceled;
}

function asType(type: string): ChangeType {
    return type === "standard" || type === "emergency" ? type : "normal";
}
