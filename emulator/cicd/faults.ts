/**
 * Injected failures of CI/CD operations: an activation or a commit that ends Failed with a given status message,
 * optionally after part of the work is done, so clients can be tested against the platform's partial failures.
 */
import type { InstanceDb } from "../db";

/** Which operation a fault hits. */
export type CicdFaultKind = "activate" | "rollback" | "retrieve" | "preview" | "commit" | "back_out" | "install";

/** One injected failure. */
export interface CicdFault {
    kind: CicdFaultKind;
    /**
     * Plugin id, update set name, or app scope the fault applies to; any when empty.
     *
     * @default ""
     */
    match?: string;
    /** The tracker's status message when the fault fires. */
    message: string;
    /**
     * For commits: updates applied before the failure (a fault mid-commit).
     *
     * @default 0
     */
    afterUpdates?: number;
    /**
     * How many operations it fails before it is spent.
     *
     * @default 1
     */
    times?: number;
}

const faults = new WeakMap<InstanceDb, CicdFault[]>();

/** Makes the next matching CI/CD operation on `db` fail (see {@link CicdFault}). */
export function injectCicdFault(db: InstanceDb, fault: CicdFault): void {
    faults.set(db, [...(faults.get(db) ?? []), { times: 1, match: "", afterUpdates: 0, ...fault }]);
}

/** Removes every injected CI/CD fault of `db`. */
export function clearCicdFaults(db: InstanceDb): void {
    faults.delete(db);
}

/** Takes (and spends one use of) the fault matching an operation, if any. */
export function takeCicdFault(db: InstanceDb, kind: CicdFaultKind, subject: string): CicdFault | undefined {
    const list = faults.get(db) ?? [];
    const fault = list.find((f) => f.kind === kind && (!f.match || f.match === subject));
    if (!fault) return undefined;
    fault.times = (fault.times ?? 1) - 1;
    if (fault.times <= 0) list.splice(list.indexOf(fault), 1);
    return fault;
}
