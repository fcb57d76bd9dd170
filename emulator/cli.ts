#!/usr/bin/env node
/**
 * `sn-emulator`: runs emulated ServiceNow instances until SIGINT or SIGTERM.
 */
import { Command, InvalidArgumentError, Option } from "commander";
import { COST_MODELS, type CostModel } from "./cost";
import { type InstanceSpec, type SeedKind, startEmulator } from "./index";

const SEEDS: readonly SeedKind[] = ["production", "empty"];

function parseInstance(value: string, previous: InstanceSpec[] = []): InstanceSpec[] {
    const m = /^([A-Za-z0-9][A-Za-z0-9_-]*)=(\d+)(?::(production|empty))?$/.exec(value);
    if (!m) throw new InvalidArgumentError(`expected name=port[:production|empty], got "${value}"`);
    const port = Number(m[2]);
    if (port > 65535) throw new InvalidArgumentError(`port ${port} is out of range`);
    return [...previous, { name: m[1]!, port, seed: m[3] as SeedKind | undefined }];
}

function nonNegativeInt(value: string): number {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0)
        throw new InvalidArgumentError(`expected a non-negative integer, got "${value}"`);
    return n;
}

function nonNegativeNumber(value: string): number {
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`expected a non-negative number, got "${value}"`);
    return n;
}

function rate(value: string): number {
    const n = Number(value);
    if (Number.isNaN(n) || n < 0 || n > 1)
        throw new InvalidArgumentError(`expected a fraction between 0 and 1, got "${value}"`);
    return n;
}

/** Builds the command (exported so tests can read its help). */
export function buildCommand(): Command {
    return new Command("sn-emulator")
        .description(
            "Local ServiceNow-compatible instances (Table, Stats, Batch and OAuth APIs) on 127.0.0.1, one port each.\n" +
                "Observability outside /api: GET /emulator/stats, POST /emulator/stats/reset, GET /emulator/requests?since=N,\n" +
                "GET|PUT /emulator/faults. Seeded users share the admin password; OAuth client emulator-client/emulator-secret.",
        )
        .requiredOption(
            "--instance <name=port[:seed]>",
            "an instance to run (repeatable); port 0 picks a free one; seed production|empty overrides --seed",
            parseInstance,
        )
        .option(
            "--data <dir>",
            "data directory: writes are durable before they are acknowledged (memory only without it)",
        )
        .addOption(
            new Option(
                "--seed <kind>",
                "seed of instances that name none (default: first production, others empty)",
            ).choices(SEEDS as SeedKind[]),
        )
        .option("--users <n>", "users in a production seed", nonNegativeInt, 2000)
        .option("--jobs <n>", "scheduled jobs in a production seed", nonNegativeInt, 300)
        .option("--admin-password <password>", "password of admin and every seeded user", "admin")
        .addOption(
            new Option("--cost-model <name>", "what API transactions cost: a hosted instance, or nothing")
                .choices(Object.keys(COST_MODELS))
                .default("hosted"),
        )
        .option("--round-trip-ms <n>", "network round trip per HTTP request (overrides the cost model)", nonNegativeInt)
        .option("--transaction-ms <n>", "server time per API transaction (overrides the cost model)", nonNegativeInt)
        .option("--read-record-ms <n>", "server time per record read (overrides the cost model)", nonNegativeNumber)
        .option("--write-record-ms <n>", "server time per record written (overrides the cost model)", nonNegativeNumber)
        .option("--concurrency <n>", "API transactions run at once per instance, 0 unlimited", nonNegativeInt)
        .option("--queue-depth <n>", "transactions that may wait before 429 (overrides the cost model)", nonNegativeInt)
        .option("--latency-ms <n>", "extra latency added to every HTTP response (a fault)", nonNegativeInt, 0)
        .option("--fault-rate <r>", "fraction of API requests answered 502/503/504", rate, 0)
        .option("--random-seed <n>", "seed of the generated data and of the fault sequence", nonNegativeInt, 1)
        .option("--tls", "serve HTTPS with a certificate from a generated local CA (its path is printed)", false)
        .option("--clone-duration-ms <n>", "wall time of one clone", nonNegativeInt)
        .option("--welcome-table <table>", "name of the welcome page content table", "welcome_page_content")
        .option("--batch-quota-ms <n>", "Batch API transaction quota", nonNegativeInt, 30000)
        .option(
            "--work-in-progress <names>",
            "instances (comma list) seeded with development work in progress: in-progress update sets, a scoped app, a plugin",
            (v: string) =>
                v
                    .split(",")
                    .map((s) => s.trim())
                    .filter(Boolean),
            [] as string[],
        )
        .option("--cicd-step-ms <n>", "wall time of one step of a CI/CD operation", nonNegativeInt);
}

/** Parses arguments, starts the emulator and stops it cleanly on SIGINT/SIGTERM. */
export async function main(argv: string[]): Promise<void> {
    const opts = buildCommand().parse(argv).opts<{
        instance: InstanceSpec[];
        data?: string;
        seed?: SeedKind;
        users: number;
        jobs: number;
        adminPassword: string;
        latencyMs: number;
        faultRate: number;
        randomSeed: number;
        tls: boolean;
        cloneDurationMs?: number;
        welcomeTable: string;
        batchQuotaMs: number;
        costModel: keyof typeof COST_MODELS;
        roundTripMs?: number;
        transactionMs?: number;
        readRecordMs?: number;
        writeRecordMs?: number;
        concurrency?: number;
        queueDepth?: number;
        workInProgress: string[];
        cicdStepMs?: number;
    }>();
    const overrides: Partial<CostModel> = {};
    for (const key of [
        "roundTripMs",
        "transactionMs",
        "readRecordMs",
        "writeRecordMs",
        "concurrency",
        "queueDepth",
    ] as const) {
        if (opts[key] !== undefined) overrides[key] = opts[key];
    }
    const unknown = opts.workInProgress.filter((n) => !opts.instance.some((i) => i.name === n));
    if (unknown.length > 0) throw new Error(`--work-in-progress names unknown instance(s): ${unknown.join(", ")}`);
    const emu = await startEmulator({
        instances: opts.instance.map((i) => ({ ...i, workInProgress: opts.workInProgress.includes(i.name) })),
        dataDir: opts.data,
        seed: opts.seed,
        users: opts.users,
        jobs: opts.jobs,
        adminPassword: opts.adminPassword,
        latencyMs: opts.latencyMs,
        faultRate: opts.faultRate,
        randomSeed: opts.randomSeed,
        tls: opts.tls,
        cloneDurationMs: opts.cloneDurationMs,
        welcomeTable: opts.welcomeTable,
        batchQuotaMs: opts.batchQuotaMs,
        cost: { ...COST_MODELS[opts.costModel], ...overrides },
        cicdStepMs: opts.cicdStepMs,
    });
    for (const i of emu.instances.values()) process.stdout.write(`instance ${i.name} listening on ${i.url}\n`);
    if (emu.caPath) process.stdout.write(`CA certificate: ${emu.caPath}\n`);
    let stopping = false;
    const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        emu.stop().then(
            () => process.exit(0),
            (err: unknown) => {
                process.stderr.write(`error while stopping after ${signal}: ${String(err)}\n`);
                process.exit(1);
            },
        );
    };
    process.on("SIGINT", () => stop("SIGINT"));
    process.on("SIGTERM", () => stop("SIGTERM"));
}

if (require.main === module) {
    main(process.argv).catch((err: unknown) => {
        process.stderr.write(`sn-emulator: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(1);
    });
}
