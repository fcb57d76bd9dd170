/**
 * One CI/CD engine per emulated instance, and the emulator's other instances as the CI/CD API sees them (an update
 * source or an application repository is another instance of the same emulator).
 */
import type { InstanceDb } from "../db";
import { CicdEngine, type CicdEngine as Engine } from "./tracker";
import { recoverInterruptedUpdateSets } from "./update-sets";

/** An instance as the CI/CD API sees its peers. */
export interface CicdPeer {
    readonly name: string;
    readonly url: string;
    readonly db: InstanceDb;
}

/** Options of {@link attachCicd}. */
export interface CicdOptions {
    /**
     * Wall time of one step of a CI/CD operation (an operation takes a few steps).
     *
     * @default 40
     */
    stepMs?: number;
}

interface Attached {
    peers: ReadonlyMap<string, CicdPeer>;
    opts: CicdOptions;
}

const engines = new WeakMap<InstanceDb, Engine>();
const attachments = new WeakMap<InstanceDb, Attached>();

/**
 * Attaches the CI/CD API to every instance of an emulator: engines are created now (so trackers a previous process
 * left running are closed at start), and each instance can reach its peers.
 */
export function attachCicd(
    emulator: { instances: ReadonlyMap<string, CicdPeer> },
    opts: CicdOptions = {},
): { stop(): void } {
    const attached: Attached = { peers: emulator.instances, opts };
    for (const i of emulator.instances.values()) {
        attachments.set(i.db, attached);
        engines.set(i.db, new CicdEngine(i.db, { baseUrl: () => i.url, stepMs: opts.stepMs }));
        recoverInterruptedUpdateSets(i.db);
    }
    return {
        stop() {
            for (const i of emulator.instances.values()) engines.get(i.db)?.stop();
        },
    };
}

/** The engine of an instance; a server used without {@link attachCicd} gets one on first use. */
export function engineFor(db: InstanceDb, baseUrl: () => string): Engine {
    let engine = engines.get(db);
    if (!engine) {
        engine = new CicdEngine(db, { baseUrl });
        engines.set(db, engine);
    }
    return engine;
}

/** The other instances of the emulator `db` belongs to (none for a server used on its own). */
export function peersOf(db: InstanceDb): CicdPeer[] {
    return [...(attachments.get(db)?.peers.values() ?? [])].filter((p) => p.db !== db);
}
