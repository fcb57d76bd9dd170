/**
 * The failures a preview printed, as docs/preview-checks.md shows them: each error diagnostic once, without the
 * engine's prefix, the resource's type and name, or a stack trace, with the emulator's address as `<instance>`. Shared
 * by the script that writes the table (bench/preview-checks.ts) and the bad-input spec that keeps it from going stale.
 */
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { compactCheckFailure } from "../../sdk/automation/environment";
import { stripAnsi } from "../../sdk/automation/progress";

/** The doc table's form of each error a preview reported. */
export function failureLines(events: readonly EngineEvent[], instanceUrl: string): string[] {
    const lines = events
        .map((e) => e.diagnosticEvent)
        .filter((d) => d?.severity === "error")
        .map((d) => compactCheckFailure(stripAnsi(d!.message).trim()))
        .map((l) =>
            l
                .replace(/^[A-Za-z]+ "[^"]*"(?=[ :])/, "")
                .replace(/^: /, "")
                .trim(),
        )
        .map((l) => l.replace(/^Running program .*? failed with an unhandled exception:\s*/s, ""))
        .map((l) => l.replace(/\n\s+at [\s\S]*$/, "").trim())
        .map((l) => l.replaceAll(instanceUrl, "<instance>"));
    return [...new Set(lines)].filter((l) => l !== "");
}

/** A line as a Markdown table cell holds it. */
export function tableCell(text: string): string {
    return text.replaceAll("|", "\\|").replaceAll("\n", " ");
}
