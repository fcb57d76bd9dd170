/**
 * Clone engine for the ServiceNow emulator (stub: the real engine lands in the next commits).
 */

/** A row as the emulator stores it: field name to string value. */
export type CloneRow = Record<string, string>;

/** The subset of InstanceDb the clone engine uses; structural so the engine compiles before the core lands. */
export interface CloneDb {
    query(table: string, encodedQuery?: string): CloneRow[];
    get(table: string, sysId: string): CloneRow | undefined;
    insert(table: string, fields: Record<string, unknown>): CloneRow;
    update(table: string, sysId: string, fields: Record<string, unknown>): CloneRow | undefined;
    delete(table: string, sysId: string): boolean;
}

/** One instance as the engine sees it. */
export interface CloneInstance {
    name: string;
    url: string;
    db: CloneDb;
}

/** Options for {@link attachCloneEngine}. */
export interface CloneEngineOptions {
    /**
     * Total wall time of one clone, spread over its phases.
     *
     * @default 3000
     */
    cloneDurationMs?: number;
}

/**
 * Drives clone requests on every instance of an emulator.
 *
 * Polls each instance's sn_instance_clone_request table and advances requested clones through their lifecycle.
 */
export function attachCloneEngine(
    emulator: { instances: ReadonlyMap<string, CloneInstance> },
    opts: CloneEngineOptions = {},
): { stop(): void } {
    void emulator;
    void opts;
    return { stop() {} };
}
