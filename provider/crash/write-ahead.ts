/**
 * The write-ahead journal: what a resource needs to undo its writes, made durable on disk before the writes it covers,
 * so a kill at any point (CLI, automation host, provider) still leaves a way back.
 *
 * Pulumi saves a resource's outputs only after `create`/`update` returns; a process killed in between leaves writes on
 * the instance that no state remembers. Each apply therefore saves its undo data here first (fsync'd), and keeps it
 * until the resource's outputs are known to be in state (the next operation sees the nonce it put in its outputs) or
 * the resource is deleted. An apply that finds a journal from a run that never returned finishes or undoes that run's
 * work before its own; `destroy` of a resource whose last update was killed reverts what both remember.
 *
 * Where: `PULUMI_SERVICENOW_JOURNAL_DIR`; else next to a file backend's state (`<backend>/.servicenow-journal`); else
 * `$PULUMI_HOME/servicenow-journal` (default `~/.pulumi`). Files hold sys_ids and property values the instance had
 * before — never credentials.
 */
import { createHash, randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

/** One resource's journal as saved on disk. */
export interface JournalEntry<T> {
    /** Changes on every save of a new apply; the apply's outputs carry it so a later run can tell state has them. */
    nonce: string;
    /** Instance URL and resource key, for people and for `sn-clone recover`. */
    instance: string;
    key: string;
    /** When the entry was last written (ISO). */
    savedAt: string;
    /** The resource kind's own undo data. */
    data: T;
}

/** The output property that carries the nonce of the journal entry an apply wrote. */
export const JOURNAL_NONCE = "journalNonce";

/** The directory journals are kept in (see the module comment). */
export function journalDir(env: NodeJS.ProcessEnv = process.env): string {
    if (env.PULUMI_SERVICENOW_JOURNAL_DIR) return path.resolve(env.PULUMI_SERVICENOW_JOURNAL_DIR);
    const backend = env.PULUMI_BACKEND_URL;
    if (backend?.startsWith("file://")) {
        const dir = backend.startsWith("file://~")
            ? path.join(os.homedir(), backend.slice("file://~".length))
            : fileURLToPath(backend.replace(/\?.*$/, ""));
        return path.join(dir, ".servicenow-journal");
    }
    return path.join(env.PULUMI_HOME ?? path.join(os.homedir(), ".pulumi"), "servicenow-journal");
}

/**
 * The journal of one resource on one instance: saved before writes, read back by the next run.
 */
export class WriteAheadJournal<T> {
    readonly file: string;

    /**
     * @param instance the instance URL the resource writes to.
     * @param key what the resource manages there, stable across runs (e.g. `target:email-policy`, a bulk scope).
     */
    constructor(
        readonly instance: string,
        readonly key: string,
        dir = journalDir(),
    ) {
        const digest = createHash("sha256").update(`${instance}\n${key}`).digest("hex").slice(0, 32);
        this.file = path.join(dir, `${digest}.json`);
    }

    /** The entry a previous run left, or undefined. An unreadable file (torn by a crash mid-save) counts as absent. */
    load(): JournalEntry<T> | undefined {
        try {
            return JSON.parse(fs.readFileSync(this.file, "utf8")) as JournalEntry<T>;
        } catch {
            return undefined;
        }
    }

    /**
     * Saves the undo data durably (temporary file, fsync, rename, fsync of the directory) before the caller writes to
     * the instance. Synchronous on purpose: the write it covers must not start before it is on disk.
     */
    save(nonce: string, data: T): void {
        const dir = path.dirname(this.file);
        fs.mkdirSync(dir, { recursive: true });
        const entry: JournalEntry<T> = {
            nonce,
            instance: this.instance,
            key: this.key,
            savedAt: new Date().toISOString(),
            data,
        };
        const tmp = `${this.file}.${process.pid}.tmp`;
        const fd = fs.openSync(tmp, "w", 0o600);
        try {
            fs.writeFileSync(fd, JSON.stringify(entry));
            fs.fsyncSync(fd);
        } finally {
            fs.closeSync(fd);
        }
        fs.renameSync(tmp, this.file);
        syncDir(dir);
    }

    /** Forgets the entry (state now holds what it covered, or everything was put back). */
    remove(): void {
        fs.rmSync(this.file, { force: true });
    }
}

/** A fresh nonce for one apply. */
export function newNonce(): string {
    return randomUUID();
}

function syncDir(dir: string): void {
    try {
        const fd = fs.openSync(dir, "r");
        try {
            fs.fsyncSync(fd);
        } finally {
            fs.closeSync(fd);
        }
    } catch {
        // Some filesystems refuse fsync on a directory; the rename is still atomic there.
    }
}
