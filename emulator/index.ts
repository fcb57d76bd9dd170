/**
 * Starts a local ServiceNow-compatible emulator: several instances in one process, one port each, 127.0.0.1 only.
 *
 * @example
 * const emu = await startEmulator({ instances: [{ name: "prod", port: 0 }, { name: "dev", port: 0 }] });
 * console.log(emu.instances.get("prod")!.url);
 * await emu.stop();
 */
import * as fs from "node:fs";
import type * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { Authenticator } from "./auth";
import { attachCicd } from "./cicd/registry";
import { addWorkInProgress } from "./cicd/work-in-progress";
import { attachCloneEngine } from "./clone/engine";
import { COST_MODELS, type CostModel, InstanceCost } from "./cost";
import { InstanceDb, instanceDataDir } from "./db";
import { type FaultConfig, FaultInjector } from "./faults";
import { EmulatorStats } from "./observability";
import { registerInstances, type SeedKind, seedInstance } from "./seed";
import { createInstanceServer, type SharedRuntime } from "./server";
import { attachTextIndexer, type TextIndexer, type TextIndexerOptions } from "./text-index";
import { localTls } from "./tls";

export { COST_MODELS, type CostAccount, type CostModel, FREE, HOSTED_INSTANCE, InstanceCost } from "./cost";
export { InstanceDb } from "./db";
export type { FaultConfig, RateLimitRule } from "./faults";
export { isWriteRequest, type RequestLogEntry } from "./observability";
export { SEEDED_OAUTH_CLIENT, type SeedKind } from "./seed";

/** One instance to run. */
export interface InstanceSpec {
    name: string;
    /**
     * Port on 127.0.0.1; 0 picks a free one.
     *
     * @default 0
     */
    port?: number;
    /**
     * Seed of this instance when its data directory is empty.
     *
     * @default the emulator's `seed`, else "production" for the first instance and "empty" for the others
     */
    seed?: SeedKind;
    /**
     * This instance's cost model, overlaid on the emulator's `cost`.
     *
     * @default the emulator's `cost`
     */
    cost?: CostSpec;
    /**
     * Add development work in progress when seeding: in-progress update sets (global and scoped), a scoped app and a
     * plugin production lacks (emulator/cicd/work-in-progress.ts).
     *
     * @default false
     */
    workInProgress?: boolean;
}

/** A cost model by name (`"hosted"`, `"free"`) or as values overlaid on the free model. */
export type CostSpec = keyof typeof COST_MODELS | Partial<CostModel>;

/** Options of {@link startEmulator}. */
export interface EmulatorOptions {
    instances: InstanceSpec[];
    /**
     * Data directory (one subdirectory per instance); memory only without it.
     *
     * @default undefined
     */
    dataDir?: string;
    /** Seed for instances that do not name one. */
    seed?: SeedKind;
    /**
     * Users in a production seed.
     *
     * @default 2000
     */
    users?: number;
    /**
     * Scheduled jobs in a production seed.
     *
     * @default 300
     */
    jobs?: number;
    /**
     * Password of `admin` (and of every seeded user).
     *
     * @default "admin"
     */
    adminPassword?: string;
    /**
     * Latency added to every API request.
     *
     * @default 0
     */
    latencyMs?: number;
    /**
     * Fraction of API requests answered with 502/503/504.
     *
     * @default 0
     */
    faultRate?: number;
    /**
     * Seed of the data and of the fault sequence.
     *
     * @default 1
     */
    randomSeed?: number;
    /**
     * Serve HTTPS with a certificate from a generated local CA.
     *
     * @default false
     */
    tls?: boolean;
    /**
     * Wall time of one clone.
     *
     * @default the clone engine's default
     */
    cloneDurationMs?: number;
    /**
     * Minimum days between clones into one target (the platform's rule; the docs say five, one release note seven).
     *
     * @default 5
     */
    cloneMinGapDays?: number;
    /**
     * Name of the welcome page content table.
     *
     * @default "welcome_page_content"
     */
    welcomeTable?: string;
    /**
     * Batch API transaction quota.
     *
     * @default 30000
     */
    batchQuotaMs?: number;
    /**
     * Wall time of one step of a CI/CD operation (plugin activation, update set retrieve/preview/commit...).
     *
     * @default 40
     */
    cicdStepMs?: number;
    /** Any other initial fault settings (rate-limit rules, resets, hibernation...). */
    faults?: Partial<FaultConfig>;
    /**
     * Pace of the text-index job that regenerates indexes after a `textindex.all` event, and whether it starts paused.
     *
     * @default { msPerTable: 50, paused: false }
     */
    textIndexer?: TextIndexerOptions;
    /**
     * What API transactions cost and how many run at once (see `emulator/cost.ts`); `"hosted"` resembles a hosted
     * instance. In-process the default is free, so tests that assert behaviour do not wait; `sn-emulator` defaults
     * to `"hosted"`.
     *
     * @default "free"
     */
    cost?: CostSpec;
}

/** A running instance. */
export interface RunningInstance {
    name: string;
    /** Base URL, e.g. `http://127.0.0.1:8101`. */
    url: string;
    port: number;
    db: InstanceDb;
    /** Its cost model, API_INT semaphore and accounting (also `GET`/`PUT /emulator/cost` on its port). */
    cost: InstanceCost;
}

/** A running emulator. */
export interface RunningEmulator {
    instances: Map<string, RunningInstance>;
    /** Runtime fault configuration (also `PUT /emulator/faults`). */
    faults: FaultInjector;
    /** Request counts and log (also `GET /emulator/stats`, `/emulator/requests`). */
    stats: EmulatorStats;
    /** The text-index job of every instance: pause it to hold a regeneration where a clone left it. */
    textIndexer: TextIndexer;
    /** Path of the CA certificate when serving HTTPS. */
    caPath?: string;
    /** PEM of the CA certificate when serving HTTPS. */
    caCert?: string;
    /** Stops every server, the clone engine, and flushes and closes the data directories. */
    stop(): Promise<void>;
}

function nameSeed(name: string, seed: number): number {
    let h = seed >>> 0;
    for (const ch of name) h = (Math.imul(h ^ ch.charCodeAt(0), 16777619) + 0x9e3779b9) >>> 0;
    return h;
}

/** Starts the emulator; resolves once every instance listens. */
export async function startEmulator(opts: EmulatorOptions): Promise<RunningEmulator> {
    if (opts.instances.length === 0) throw new Error("startEmulator needs at least one instance");
    const names = new Set<string>();
    for (const i of opts.instances) {
        if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(i.name)) throw new Error(`invalid instance name "${i.name}"`);
        if (names.has(i.name)) throw new Error(`instance "${i.name}" is given twice`);
        names.add(i.name);
    }
    const randomSeed = opts.randomSeed ?? 1;
    const rt: SharedRuntime = {
        faults: new FaultInjector({
            latencyMs: opts.latencyMs ?? 0,
            errorRate: opts.faultRate ?? 0,
            randomSeed,
            ...opts.faults,
        }),
        stats: new EmulatorStats(),
        batchQuotaMs: opts.batchQuotaMs ?? 30_000,
        clock: Date.now,
    };
    // Without a data directory the CA lives in a temporary directory removed at stop.
    const tempTlsDir =
        opts.tls && !opts.dataDir ? fs.mkdtempSync(path.join(os.tmpdir(), "sn-emulator-tls-")) : undefined;
    const tls = opts.tls ? localTls(tempTlsDir ?? path.join(opts.dataDir!, "tls")) : undefined;

    const servers: http.Server[] = [];
    const instances = new Map<string, RunningInstance>();
    const dbs: InstanceDb[] = [];
    try {
        for (const [index, spec] of opts.instances.entries()) {
            const db = new InstanceDb({
                name: spec.name,
                welcomeTable: opts.welcomeTable,
                dataDir: opts.dataDir ? instanceDataDir(opts.dataDir, spec.name) : undefined,
            });
            dbs.push(db);
            if (!db.restoredFromDisk) {
                seedInstance(db, {
                    kind: spec.seed ?? opts.seed ?? (index === 0 ? "production" : "empty"),
                    users: opts.users,
                    jobs: opts.jobs,
                    adminPassword: opts.adminPassword,
                    randomSeed: nameSeed(spec.name, randomSeed),
                    welcomeTable: opts.welcomeTable,
                });
                if (spec.workInProgress) addWorkInProgress(db);
                db.persistAll();
            }
            const cost = new InstanceCost({ ...costValues(opts.cost), ...costValues(spec.cost) });
            const ctx = { name: spec.name, db, auth: new Authenticator(db), cost, baseUrl: "" };
            const server = createInstanceServer(ctx, rt, tls);
            servers.push(server);
            await new Promise<void>((resolve, reject) => {
                server.once("error", reject);
                server.listen(spec.port ?? 0, "127.0.0.1", () => {
                    server.off("error", reject);
                    resolve();
                });
            });
            const port = (server.address() as { port: number }).port;
            ctx.baseUrl = `${tls ? "https" : "http"}://127.0.0.1:${port}`;
            instances.set(spec.name, { name: spec.name, url: ctx.baseUrl, port, db, cost });
        }
    } catch (err) {
        await Promise.all(servers.map(closeServer));
        for (const db of dbs) db.close();
        throw err;
    }
    const listed = [...instances.values()].map((i) => ({ name: i.name, url: i.url }));
    for (const i of instances.values()) {
        registerInstances(i.db, listed);
        i.db.commit();
    }

    let stopped = false;
    const running: RunningEmulator = {
        instances,
        faults: rt.faults,
        stats: rt.stats,
        textIndexer: attachTextIndexer({ instances }, opts.textIndexer),
        caPath: tls?.caPath,
        caCert: tls?.caCert,
        async stop() {
            if (stopped) return;
            stopped = true;
            engine.stop();
            running.textIndexer.stop();
            cicd.stop();
            await Promise.all(servers.map(closeServer));
            for (const i of instances.values()) i.db.close();
            if (tempTlsDir) fs.rmSync(tempTlsDir, { recursive: true, force: true });
        },
    };
    const engine = attachCloneEngine(running, {
        cloneDurationMs: opts.cloneDurationMs,
        minGapDays: opts.cloneMinGapDays,
    });
    const cicd = attachCicd(running, { stepMs: opts.cicdStepMs });
    return running;
}

/** The values of a cost spec: a named model's, or the given ones. */
function costValues(spec: CostSpec | undefined): Partial<CostModel> {
    if (spec === undefined) return {};
    if (typeof spec === "string") {
        const model = COST_MODELS[spec];
        if (!model) throw new Error(`unknown cost model "${spec}"; use ${Object.keys(COST_MODELS).join(" or ")}`);
        return model;
    }
    return spec;
}

function closeServer(server: http.Server): Promise<void> {
    return new Promise((resolve) => {
        if (!server.listening) return resolve();
        server.close(() => resolve());
        server.closeAllConnections();
    });
}
