/**
 * A progress display for long operations: one permanent line per finished resource and, on a terminal, a status line
 * rewritten in place (`\r`) naming what is still running. Without a terminal (CI logs) it prints plain lines only.
 */
import type { ProgressEvent, ProgressListener } from "../automation/progress";

/** Options of {@link createProgressView}. */
export interface ProgressViewOptions {
    /** Rewrite a status line in place. @default stream.isTTY */
    tty?: boolean;
    /** Prefix of every line (the demo indents). @default "  " */
    indent?: string;
    /** Also print engine info messages (warnings are always printed). @default false */
    verbose?: boolean;
    /**
     * Print the engine's error messages as they come. A caller that reports the failed operation's errors itself
     * (sn-clone's final message lists every one) turns this off, so each error is printed once. @default true
     */
    errors?: boolean;
}

/** A progress display: its listener, and `finish()` to clear the status line. */
export interface ProgressView {
    listener: ProgressListener;
    finish(): void;
}

const VERB: Record<string, string> = {
    create: "created",
    update: "updated",
    delete: "deleted",
    replace: "replaced",
    same: "unchanged",
    refresh: "read",
    read: "read",
};

/**
 * Creates a progress display writing to `stream` (usually stderr, so stdout stays machine-readable).
 *
 * @example const view = createProgressView(process.stderr); await env.apply(); view.finish();
 */
export function createProgressView(
    stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number },
    options: ProgressViewOptions = {},
): ProgressView {
    const tty = options.tty ?? Boolean(stream.isTTY);
    const indent = options.indent ?? "  ";
    const running = new Map<string, string>();
    let statusShown = false;
    let lastClone = "";

    const clearStatus = () => {
        if (tty && statusShown) {
            stream.write("\r\u001b[2K");
            statusShown = false;
        }
    };
    const line = (text: string) => {
        clearStatus();
        stream.write(`${indent}${text}\n`);
        drawStatus();
    };
    const drawStatus = () => {
        if (!tty || running.size === 0) return;
        const names = [...running.values()].join(", ");
        const width = Math.max(20, (stream.columns ?? 100) - indent.length - 2);
        const text = `… ${running.size} in progress: ${names}`;
        stream.write(`\r\u001b[2K${indent}${text.length > width ? `${text.slice(0, width - 1)}…` : text}`);
        statusShown = true;
    };

    const listener = (e: ProgressEvent) => {
        switch (e.kind) {
            case "stage":
                line(e.message);
                return;
            case "resource-started":
                running.set(e.urn, `${e.type} ${e.name}`);
                clearStatus();
                drawStatus();
                return;
            case "resource-done": {
                running.delete(e.urn);
                // Unchanged resources of an apply are noise; a refresh that found nothing is too.
                if (e.op === "same" || e.op === "refresh" || e.op === "read") {
                    clearStatus();
                    drawStatus();
                    return;
                }
                line(
                    `✓ ${(VERB[e.op] ?? e.op).padEnd(9)} ${`${e.type} ${e.name}`.padEnd(36)} ${seconds(e.durationMs)}`,
                );
                return;
            }
            case "resource-failed":
                running.delete(e.urn);
                line(`✗ failed    ${`${e.type} ${e.name}`.padEnd(36)} ${seconds(e.durationMs)}`);
                return;
            case "log":
                if (e.severity === "info" && !options.verbose) return;
                if (e.severity === "error" && options.errors === false) return;
                for (const l of e.message.split("\n").slice(0, 6))
                    line(`${e.severity === "error" ? "error" : "warning"}: ${l}`);
                return;
            case "clone": {
                const text = `clone ${e.state}${e.phase ? ` · ${e.phase}` : ""} (${e.percent}%)`;
                if (text === lastClone) return;
                lastClone = text;
                line(text);
                return;
            }
            case "summary":
                return;
        }
    };
    return { listener, finish: clearStatus };
}

function seconds(ms: number): string {
    return `${(ms / 1000).toFixed(1)}s`;
}
