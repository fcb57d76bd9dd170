/**
 * Syntax checking of cleanup scripts at preview, without running them.
 */
import * as vm from "node:vm";

/** Where and why a script does not parse. */
export interface ScriptSyntaxProblem {
    /** 1-based line of the error in the script. */
    line: number;
    /** The engine's message, e.g. `Unexpected token ')'`. */
    message: string;
    /** The offending line's text, trimmed and shortened. */
    text: string;
}

/**
 * Compiles a script as the platform runs a cleanup script (a top-level script, not a function body) and reports the
 * first syntax error. Compiling never executes: `new vm.Script` only parses and compiles.
 *
 * @returns undefined when the script parses.
 */
export function scriptSyntaxProblem(source: string, filename = "cleanup-script.js"): ScriptSyntaxProblem | undefined {
    try {
        new vm.Script(source, { filename });
        return undefined;
    } catch (error) {
        const err = error as { name?: string; message?: string; stack?: string };
        // V8 puts "<filename>:<line>" on the first line of a SyntaxError's stack.
        const match = new RegExp(`^${escapeRegExp(filename)}:(\\d+)`).exec(err.stack ?? "");
        const line = match ? Number(match[1]) : 1;
        const text = (source.split(/\r?\n/)[line - 1] ?? "").trim();
        return {
            line,
            message: `${err.name ?? "SyntaxError"}: ${err.message ?? String(error)}`,
            text: text.length > 80 ? `${text.slice(0, 77)}...` : text,
        };
    }
}

function escapeRegExp(s: string): string {
    return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
