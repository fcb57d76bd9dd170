/**
 * The undo journal of one apply: what the apply is about to change, noted before each write, so the skeleton can put
 * everything back when a create fails part-way (a failed create leaves nothing behind).
 */
import { type PropertyMemory, restoreProperties } from "./properties";
import { type RecordMemory, restoreRecordChanges } from "./records";
import type { RecordClient } from "./row";

/** An undo journal as plain data (what the write-ahead journal saves on disk). */
export interface SavedUndo {
    records: RecordMemory[];
    properties: PropertyMemory;
}

/**
 * Collects the memories an apply builds. Restoring a remembered value that was never overwritten writes nothing, so
 * the journal may safely cover more than what was actually written.
 */
export class UndoJournal {
    private readonly records = new Map<string, RecordMemory>();
    private properties: PropertyMemory = {};

    /**
     * @param onNote called after every note, before the write it covers: the skeleton makes the journal durable there
     *   (see provider/crash/write-ahead.ts), so a kill right after the write still leaves the way back on disk.
     */
    constructor(private readonly onNote?: (saved: SavedUndo) => void) {}

    /** A journal that starts from what an earlier, interrupted run saved. */
    static from(saved: SavedUndo | undefined, onNote?: (saved: SavedUndo) => void): UndoJournal {
        const journal = new UndoJournal(onNote);
        for (const m of saved?.records ?? []) journal.records.set(`${m.table}:${m.sysId}`, m);
        journal.properties = { ...(saved?.properties ?? {}) };
        return journal;
    }

    /** Notes record memories (a later note of the same record replaces the earlier: memories only grow). */
    noteRecords(memories: readonly RecordMemory[]): void {
        for (const m of memories) this.records.set(`${m.table}:${m.sysId}`, m);
        this.onNote?.(this.saved());
    }

    /** Notes property memories; the first value noted for a property wins (it is the value before any write). */
    noteProperties(memory: Readonly<PropertyMemory>): void {
        this.properties = { ...memory, ...this.properties };
        this.onNote?.(this.saved());
    }

    /** What the journal holds, as plain data to save. */
    saved(): SavedUndo {
        return { records: [...this.records.values()], properties: { ...this.properties } };
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
        await this.undoStrictly(client).catch(() => undefined);
    }

    /** Puts back everything noted, records first (latest first), then properties; throws the first failure. */
    async undoStrictly(client: RecordClient): Promise<void> {
        await restoreRecordChanges(client, [...this.records.values()]);
        await restoreProperties(client, this.properties);
    }
}
