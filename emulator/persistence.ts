import * as fs from "node:fs";
import * as path from "node:path";
import type { Row } from "./values";

/** One logged mutation of an instance's data. */
export type LogOp =
    | { o: "put"; t: string; r: Row }
    | { o: "del"; t: string; id: string }
    | { o: "clear"; t: string; classes: string[] };

const SNAPSHOT = "snapshot.jsonl";
const LOG = "wal.jsonl";

/**
 * Durable storage of one instance: a snapshot plus an append-only log of mutations.
 *
 * Mutations are buffered and made durable by {@link commit} (one write and one fdatasync for everything pending),
 * which the HTTP layer calls before acknowledging a request, so an acknowledged write survives SIGKILL.
 */
export class Persistence {
    private readonly dir: string;
    private fd: number | undefined;
    private pending: string[] = [];

    /** Stores under `dir` (created if missing). */
    constructor(dir: string) {
        this.dir = dir;
        fs.mkdirSync(dir, { recursive: true });
    }

    /** True when this directory already holds data. */
    exists(): boolean {
        return fs.existsSync(path.join(this.dir, SNAPSHOT)) || fs.existsSync(path.join(this.dir, LOG));
    }

    /**
     * Reads the snapshot and replays the log on top of it.
     *
     * A torn last log line (the process died mid-write, before the commit was acknowledged) is dropped.
     */
    load(rootOf: (table: string) => string): Map<string, Map<string, Row>> {
        const tables = new Map<string, Map<string, Row>>();
        const tableRows = (t: string) => {
            let m = tables.get(t);
            if (!m) {
                m = new Map();
                tables.set(t, m);
            }
            return m;
        };
        for (const line of readLines(path.join(this.dir, SNAPSHOT))) {
            const rec = JSON.parse(line) as { t?: string; r?: Row };
            if (rec.t && rec.r) tableRows(rec.t).set(rec.r.sys_id!, rec.r);
        }
        for (const line of readLines(path.join(this.dir, LOG))) {
            let op: LogOp;
            try {
                op = JSON.parse(line) as LogOp;
            } catch {
                break;
            }
            const rows = tableRows(rootOf(op.t));
            if (op.o === "put") rows.set(op.r.sys_id!, op.r);
            else if (op.o === "del") rows.delete(op.id);
            else {
                const classes = new Set(op.classes);
                for (const [id, r] of rows) if (classes.has(r.sys_class_name ?? op.t)) rows.delete(id);
            }
        }
        return tables;
    }

    /** Writes a fresh snapshot atomically (temp file, fsync, rename) and empties the log. */
    compact(tables: Iterable<[string, readonly Row[]]>): void {
        this.closeLog();
        const tmp = path.join(this.dir, `${SNAPSHOT}.tmp`);
        const fd = fs.openSync(tmp, "w");
        try {
            let chunk: string[] = [JSON.stringify({ v: 1 })];
            let size = 0;
            for (const [t, rows] of tables) {
                for (const r of rows) {
                    const line = JSON.stringify({ t, r });
                    chunk.push(line);
                    size += line.length;
                    if (size > 1 << 20) {
                        fs.writeSync(fd, `${chunk.join("\n")}\n`);
                        chunk = [];
                        size = 0;
                    }
                }
            }
            if (chunk.length) fs.writeSync(fd, `${chunk.join("\n")}\n`);
            fs.fsyncSync(fd);
        } finally {
            fs.closeSync(fd);
        }
        fs.renameSync(tmp, path.join(this.dir, SNAPSHOT));
        fs.writeFileSync(path.join(this.dir, LOG), "");
        this.syncDir();
    }

    /** Queues a mutation; durable only after the next {@link commit}. */
    append(op: LogOp): void {
        this.pending.push(JSON.stringify(op));
    }

    /** True when mutations are waiting for {@link commit}. */
    get dirty(): boolean {
        return this.pending.length > 0;
    }

    /** Writes every queued mutation and waits for the disk (group commit). */
    commit(): void {
        if (this.pending.length === 0) return;
        const text = `${this.pending.join("\n")}\n`;
        this.pending = [];
        if (this.fd === undefined) this.fd = fs.openSync(path.join(this.dir, LOG), "a");
        fs.writeSync(this.fd, text);
        fs.fdatasyncSync(this.fd);
    }

    /** Commits what is pending and releases the log file. */
    close(): void {
        this.commit();
        this.closeLog();
    }

    private closeLog(): void {
        if (this.fd !== undefined) fs.closeSync(this.fd);
        this.fd = undefined;
    }

    private syncDir(): void {
        // The rename is only durable once the directory entry is.
        try {
            const fd = fs.openSync(this.dir, "r");
            fs.fsyncSync(fd);
            fs.closeSync(fd);
        } catch {
            // Some platforms cannot open directories; the rename is still atomic there.
        }
    }
}

function readLines(file: string): string[] {
    if (!fs.existsSync(file)) return [];
    return fs
        .readFileSync(file, "utf8")
        .split("\n")
        .filter((l) => l.length > 0);
}
