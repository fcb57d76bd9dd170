/**
 * The undo journal of one apply: what the apply is about to change, noted before each write, so the skeleton can put
 * everything back when a create fails part-way (a failed create leaves nothing behind).
 */
import { type PropertyMemory, restoreProperties } from "./properties";
import { type RecordMemory, restoreRecordChanges } from "./records";
import type { RecordClient } from "./row";

/**
 * Collects the memories an apply builds. Restoring a remembered value that was never overwritten writes nothing, so
 * the journal may safely cover more than what was actually written.
 */
export class UndoJournal {
    private readonly records = new Map<string, RecordMemory>();
    private properties: PropertyMemory = {};

    /** Notes record memories (a later note of the same record replaces the earlier: memories only grow). */
    noteRecords(memories: readonly RecordMemory[]): void {
        for (const m of memories) this.records.set(`${m.table}:${m.sysId}`, m);
    }

    /** Notes property memories; the first value noted for a property wins (it is the value before any write). */
    noteProperties(memory: Readonly<PropertyMemory>): void {
        this.properties = { ...memory, ...this.properties };
    }

    /** True when nothing was noted. */
    get empty(): boolean {
        return this.records.size === 0 && Object.keys(this.properties).length === 0;
    }

    /**
     * Puts back everything noted: records first (latest first), then properties.
     *
     * Best effort: a restore that fails is ignored, because the apply's own error is the one the user must see.
     */
    async undo(client: RecordClient): Promise<void> {
        await restoreRecordChanges(client, [...this.records.values()]).catch(() => undefined);
        await restoreProperties(client, this.properties).catch(() => undefined);
    }
}
