/**
 * Stop when the engine is gone: a dynamic-provider process whose Pulumi engine died (the CLI or the automation host
 * killed) exits instead of going on writing to the instance after the operator believes the run is over.
 *
 * The engine starts the provider through a shell shim (`pulumi-resource-pulumi-nodejs`), so the engine is the nearest
 * ancestor process named `pulumi`. A provider loaded any other way (tests calling it directly) has no such ancestor
 * and is not watched. Linux only (/proc); elsewhere nothing is watched.
 */
import * as fs from "node:fs";

/** How often the engine is looked at: well under the time one batch of writes takes. */
const WATCH_INTERVAL_MS = 200;

/** The exit code of a provider that stopped because its engine died (EX_TEMPFAIL). */
export const ENGINE_GONE_EXIT = 75;

let watching = false;

interface ProcStat {
    comm: string;
    state: string;
    ppid: number;
}

function stat(pid: number): ProcStat | undefined {
    try {
        const text = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        // "pid (comm) state ppid ..."; comm may hold spaces and parentheses, so split at the last ")".
        const close = text.lastIndexOf(")");
        const comm = text.slice(text.indexOf("(") + 1, close);
        const [state, ppid] = text
            .slice(close + 2)
            .split(" ")
            .slice(0, 2);
        return { comm, state: state ?? "", ppid: Number(ppid) };
    } catch {
        return undefined;
    }
}

/** The pid of the Pulumi engine that started this process, when there is one. */
export function findEnginePid(from = process.ppid): number | undefined {
    let pid = from;
    for (let depth = 0; depth < 6 && pid > 1; depth++) {
        const s = stat(pid);
        if (!s) return undefined;
        if (s.comm === "pulumi") return pid;
        pid = s.ppid;
    }
    return undefined;
}

/** True while the process runs (a zombie, killed and not yet reaped, counts as gone). */
export function isAlive(pid: number): boolean {
    const s = stat(pid);
    return s !== undefined && s.state !== "Z" && s.state !== "X";
}

/**
 * Starts watching the engine (once per process): when it is gone, the process exits at once, between two requests at
 * worst, so no later batch is sent. The timer never keeps the process alive by itself.
 */
export function watchEngine(onGone: () => void = () => process.exit(ENGINE_GONE_EXIT)): void {
    if (watching) return;
    const engine = findEnginePid();
    if (engine === undefined) return;
    watching = true;
    const timer = setInterval(() => {
        if (isAlive(engine)) return;
        clearInterval(timer);
        process.stderr.write("pulumi-servicenow-clone: the Pulumi engine is gone; stopping before the next write\n");
        onGone();
    }, WATCH_INTERVAL_MS);
    timer.unref();
}
