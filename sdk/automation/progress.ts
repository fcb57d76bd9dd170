/**
 * Progress of a long operation as plain events, translated from the engine's event stream (and from the clone
 * poller), so a CLI, a CI log or a web page can show it without knowing Pulumi's event format.
 */
import type { EngineEvent, OpMap } from "@pulumi/pulumi/automation";
import { isBookkeeping, shortType, urnName } from "./drift";

/** What is happening to one resource. */
export interface ResourceProgress {
    urn: string;
    /** Short type, e.g. `UserLockout`. */
    type: string;
    /** Logical name, e.g. `access`. */
    name: string;
    /** The engine's operation: `create`, `update`, `same`, `delete`, `refresh`... */
    op: string;
}

/** One progress event. */
export type ProgressEvent =
    | ({ kind: "resource-started" } & ResourceProgress)
    | ({ kind: "resource-done"; durationMs: number } & ResourceProgress)
    | ({ kind: "resource-failed"; durationMs: number } & ResourceProgress)
    | { kind: "log"; severity: "info" | "warning" | "error"; message: string; urn?: string }
    | { kind: "summary"; changes: OpMap; durationSeconds: number }
    | { kind: "clone"; state: string; phase: string; percent: number; message: string }
    | { kind: "stage"; message: string };

/** Receives progress events; must not throw (errors are ignored so a broken display cannot fail an apply). */
export type ProgressListener = (event: ProgressEvent) => void;

/**
 * Turns engine events into {@link ProgressEvent}s, timing each resource from its pre-event to its outputs.
 */
export class ProgressTranslator {
    private readonly started = new Map<string, number>();

    constructor(
        private readonly listener: ProgressListener | undefined,
        private readonly now: () => number = Date.now,
    ) {}

    /** Feeds one engine event. */
    handle(e: EngineEvent): void {
        for (const p of this.translate(e)) this.emit(p);
    }

    /** Emits an event of the library's own (clone, stage). */
    emit(p: ProgressEvent): void {
        if (!this.listener) return;
        try {
            this.listener(p);
        } catch {
            // A display error must not fail the operation it displays.
        }
    }

    /** The progress events one engine event stands for (none for most). */
    translate(e: EngineEvent): ProgressEvent[] {
        const pre = e.resourcePreEvent?.metadata;
        if (pre && !isBookkeeping(pre.type)) {
            this.started.set(pre.urn, this.now());
            return [{ kind: "resource-started", ...describe(pre) }];
        }
        const out = e.resOutputsEvent?.metadata;
        if (out && !isBookkeeping(out.type)) {
            return [{ kind: "resource-done", durationMs: this.elapsed(out.urn), ...describe(out) }];
        }
        const failed = e.resOpFailedEvent?.metadata;
        if (failed && !isBookkeeping(failed.type)) {
            return [{ kind: "resource-failed", durationMs: this.elapsed(failed.urn), ...describe(failed) }];
        }
        const diag = e.diagnosticEvent;
        // Debug-level engine chatter ("RegisterResource RPC prepared") is not progress.
        if (diag && !diag.ephemeral && (diag.severity as string) !== "debug") {
            const severity = diag.severity === "error" ? "error" : diag.severity === "warning" ? "warning" : "info";
            const message = stripAnsi(diag.message).trim();
            if (message) return [{ kind: "log", severity, message, ...(diag.urn ? { urn: diag.urn } : {}) }];
        }
        const summary = e.summaryEvent;
        if (summary) {
            return [{ kind: "summary", changes: summary.resourceChanges, durationSeconds: summary.durationSeconds }];
        }
        return [];
    }

    private elapsed(urn: string): number {
        const t = this.started.get(urn);
        return t === undefined ? 0 : this.now() - t;
    }
}

function describe(meta: { urn: string; type: string; op: string }): ResourceProgress {
    return { urn: meta.urn, type: shortType(meta.type), name: urnName(meta.urn), op: meta.op };
}

/** Removes terminal colour codes the engine puts in diagnostics. */
export function stripAnsi(text: string): string {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: matching the escape character is the point.
    return text.replace(/\u001b\[[0-9;]*m/g, "");
}
