/**
 * Benchmark of the bulk resources (UserLockout + ScheduledJobState) against a naive client that reads and patches one
 * record at a time, the pattern of today's Terraform and Ansible modules. Prints figures; never passes or fails on time.
 *
 * Each client runs in its own process (forked from this file) so its peak memory is its own, not the emulator's.
 *
 * Usage: `npx tsx bench/bulk.ts` (10,000 users / 500 jobs side by side, then ours alone at 100,000 / 5,000), or
 * `npx tsx bench/bulk.ts --quick` (2,000 / 100 side by side only).
 */
import { fork } from "node:child_process";
import { performance } from "node:perf_hooks";
import axios, { type AxiosInstance } from "axios";

/** What one run measured. */
export interface BulkFigures {
    client: "ours" | "naive";
    users: number;
    jobs: number;
    /** HTTP requests the client sent. */
    requests: number;
    /** GET requests (pages and single-record reads). */
    reads: number;
    /** Records written (batch items or single PATCHes). */
    changed: number;
    wallMs: number;
    peakRssMb: number;
    /** Bytes of inputs + outputs the two resources keep in Pulumi state (undefined for the naive client). */
    stateBytes?: number;
    /** Locked users and active jobs after the run, to show both clients reached the same state. */
    lockedUsers: number;
    activeJobs: number;
}

/** Latency the emulator adds to every request (and, as it models the platform, to every batch item). */
const LATENCY_MS = 20;
const BATCH_SIZE = 200;

interface WorkerArgs {
    mode: "ours" | "naive";
    url: string;
}

/** Runs the scenarios and prints a table of figures. */
export async function runBulkBenchmark(options: { quick?: boolean } = {}): Promise<BulkFigures[]> {
    const { startEmulator } = require("../emulator/index") as typeof import("../emulator/index");
    const scenarios = options.quick
        ? [{ users: 2000, jobs: 100, naive: true }]
        : [
              { users: 10_000, jobs: 500, naive: true },
              { users: 100_000, jobs: 5_000, naive: false },
          ];
    const results: BulkFigures[] = [];
    for (const s of scenarios) {
        for (const mode of s.naive ? (["ours", "naive"] as const) : (["ours"] as const)) {
            const emu = await startEmulator({
                instances: [{ name: "acme-dev", port: 0, seed: "production" }],
                users: s.users,
                jobs: s.jobs,
                latencyMs: LATENCY_MS,
                randomSeed: 1,
            });
            try {
                const url = emu.instances.get("acme-dev")!.url;
                process.stderr.write(`bulk bench: ${mode} at ${s.users} users / ${s.jobs} jobs ...\n`);
                const fig = await inWorker({ mode, url });
                results.push({ ...fig, users: s.users, jobs: s.jobs });
                print(results[results.length - 1]!);
            } finally {
                await emu.stop();
            }
        }
    }
    summarize(results);
    return results;
}

function inWorker(args: WorkerArgs): Promise<Omit<BulkFigures, "users" | "jobs">> {
    return new Promise((resolve, reject) => {
        const child = fork(__filename, ["--bulk-worker", JSON.stringify(args)], {
            stdio: ["ignore", "inherit", "inherit", "ipc"],
        });
        let got: Omit<BulkFigures, "users" | "jobs"> | undefined;
        child.on("message", (m) => {
            got = m as Omit<BulkFigures, "users" | "jobs">;
        });
        child.on("error", reject);
        child.on("exit", (code) => (got ? resolve(got) : reject(new Error(`bulk bench worker exited with ${code}`))));
    });
}

async function worker(args: WorkerArgs): Promise<Omit<BulkFigures, "users" | "jobs">> {
    return args.mode === "ours" ? ours(args.url) : naive(args.url);
}

async function ours(url: string): Promise<Omit<BulkFigures, "users" | "jobs">> {
    const connection = require("../provider/connection") as typeof import("../provider/connection");
    const { userLockoutProvider } =
        require("../provider/resources/user-lockout") as typeof import("../provider/resources/user-lockout");
    const { scheduledJobStateProvider } =
        require("../provider/resources/scheduled-job-state") as typeof import("../provider/resources/scheduled-job-state");
    const config: Record<string, string> = {
        "servicenow:instanceUrl": url,
        "servicenow:username": "admin",
        "servicenow:password": "admin",
        "servicenow:instanceName": "acme-dev",
    };
    connection.configureConnections({ get: (k) => config[k], require: (k) => config[k]! });
    const client = await connection.clientFor("target");
    let reads = 0;
    let changed = 0;
    const t0 = performance.now();
    // Independent resources: the Pulumi engine creates them in parallel, sharing the connection's client.
    const userInputs = (await userLockoutProvider.check!({} as never, { allowGroups: ["UAT Participants"] } as never))
        .inputs!;
    const jobInputs = (await scheduledJobStateProvider.check!({} as never, {} as never)).inputs!;
    const [users, jobs] = await Promise.all([
        userLockoutProvider.create(userInputs),
        scheduledJobStateProvider.create(jobInputs),
    ]);
    const wallMs = performance.now() - t0;
    const requests = client.requestCount;
    changed = users.outs!.lockedCount + jobs.outs!.deactivatedCount;
    // Every request but the batch calls is a read; batch calls are what the Batch API took for the writes.
    reads = requests - (await batchCalls(client));
    const stateBytes =
        JSON.stringify(userInputs).length +
        JSON.stringify(users.outs).length +
        JSON.stringify(jobInputs).length +
        JSON.stringify(jobs.outs).length;
    return {
        client: "ours",
        requests,
        reads,
        changed,
        wallMs,
        peakRssMb: process.resourceUsage().maxRSS / 1024,
        stateBytes,
        lockedUsers: await client.count("sys_user", "locked_out=true"),
        activeJobs: await client.count("sysauto", "active=true"),
    };
}

// The client counts all its requests; the batch calls among them are the emulator's POSTs (this run inserts nothing).
async function batchCalls(client: import("../provider/client/client").ServiceNowClient): Promise<number> {
    const res = await axios.get(`${client.url}/emulator/stats`, { auth: { username: "admin", password: "admin" } });
    return (res.data as { byMethod?: Record<string, number> }).byMethod?.POST ?? 0;
}

/** The pattern of per-record modules: list what is in scope, then GET each record and PATCH it if it differs. */
async function naive(url: string): Promise<Omit<BulkFigures, "users" | "jobs">> {
    const http: AxiosInstance = axios.create({
        baseURL: url,
        auth: { username: "admin", password: "admin" },
        headers: { Accept: "application/json", "Content-Type": "application/json" },
        httpAgent: new (require("node:http").Agent)({ keepAlive: true, maxSockets: 1 }),
    });
    let requests = 0;
    let reads = 0;
    let changed = 0;
    const get = async (path: string, params: Record<string, unknown> = {}) => {
        requests++;
        reads++;
        return (await http.get(path, { params: { sysparm_exclude_reference_link: true, ...params } })).data.result;
    };
    const patch = async (path: string, body: Record<string, string>) => {
        requests++;
        changed++;
        await http.patch(path, body);
    };
    const list = async (table: string, query: string): Promise<Record<string, string>[]> => {
        const out: Record<string, string>[] = [];
        for (let offset = 0; ; offset += 1000) {
            const page = await get(`/api/now/table/${table}`, {
                sysparm_query: query,
                sysparm_fields: "sys_id,sys_class_name",
                sysparm_limit: 1000,
                sysparm_offset: offset,
            });
            out.push(...page);
            if (page.length < 1000) return out;
        }
    };
    const t0 = performance.now();
    const exempt = new Set<string>();
    const [admin] = await get("/api/now/table/sys_user_role", { sysparm_query: "name=admin" });
    for (const r of await get("/api/now/table/sys_user_has_role", {
        sysparm_query: `role=${admin.sys_id}`,
        sysparm_limit: 10000,
    })) {
        exempt.add(r.user);
    }
    const [uat] = await get("/api/now/table/sys_user_group", { sysparm_query: "name=UAT Participants" });
    for (const r of await get("/api/now/table/sys_user_grmember", {
        sysparm_query: `group=${uat.sys_id}`,
        sysparm_limit: 10000,
    })) {
        exempt.add(r.user);
    }
    for (const [u] of [await get("/api/now/table/sys_user", { sysparm_query: "user_name=admin" })])
        exempt.add(u.sys_id);
    for (const { sys_id } of await list("sys_user", "active=true")) {
        if (exempt.has(sys_id!)) continue;
        const rec = await get(`/api/now/table/sys_user/${sys_id}`);
        if (rec.locked_out !== "true") await patch(`/api/now/table/sys_user/${sys_id}`, { locked_out: "true" });
    }
    for (const { sys_id, sys_class_name } of await list("sysauto", "active=true")) {
        const rec = await get(`/api/now/table/${sys_class_name}/${sys_id}`);
        if (rec.active === "true") await patch(`/api/now/table/${sys_class_name}/${sys_id}`, { active: "false" });
    }
    const wallMs = performance.now() - t0;
    const count = async (table: string, q: string) =>
        Number(
            (await http.get(`/api/now/stats/${table}`, { params: { sysparm_count: true, sysparm_query: q } })).data
                .result.stats.count,
        );
    return {
        client: "naive",
        requests,
        reads,
        changed,
        wallMs,
        peakRssMb: process.resourceUsage().maxRSS / 1024,
        lockedUsers: await count("sys_user", "locked_out=true"),
        activeJobs: await count("sysauto", "active=true"),
    };
}

function print(f: BulkFigures): void {
    const bound = f.client === "ours" ? f.reads + f.changed / BATCH_SIZE : undefined;
    console.log(
        [
            `${f.client.padEnd(5)} ${String(f.users).padStart(7)} users ${String(f.jobs).padStart(5)} jobs`,
            `requests ${String(f.requests).padStart(6)}`,
            bound ? `(${(f.requests / bound).toFixed(3)} x (reads + changed/${BATCH_SIZE}))` : "",
            `changed ${f.changed}`,
            `wall ${(f.wallMs / 1000).toFixed(1)} s`,
            `peak RSS ${f.peakRssMb.toFixed(0)} MB`,
            f.stateBytes !== undefined
                ? `state ${(f.stateBytes / 1024).toFixed(1)} KB`
                : "state n/a (no record to undo)",
            `end: ${f.lockedUsers} locked users, ${f.activeJobs} active jobs`,
        ]
            .filter(Boolean)
            .join(" | "),
    );
}

function summarize(results: BulkFigures[]): void {
    for (const o of results.filter((r) => r.client === "ours")) {
        const n = results.find((r) => r.client === "naive" && r.users === o.users);
        if (!n) continue;
        console.log(
            `at ${o.users} users / ${o.jobs} jobs: ${(n.requests / o.requests).toFixed(1)}x fewer requests, ` +
                `${(n.wallMs / o.wallMs).toFixed(1)}x less wall time than the naive client` +
                (n.lockedUsers === o.lockedUsers && n.activeJobs === o.activeJobs
                    ? " (same end state)"
                    : " (END STATES DIFFER)"),
        );
    }
}

if (process.argv.includes("--bulk-worker")) {
    const args = JSON.parse(process.argv[process.argv.indexOf("--bulk-worker") + 1]!) as WorkerArgs;
    worker(args)
        .then((fig) => process.send!(fig, () => process.exit(0)))
        .catch((e) => {
            console.error(e);
            process.exit(1);
        });
} else if (require.main === module) {
    runBulkBenchmark({ quick: process.argv.includes("--quick") }).catch((e) => {
        console.error(e);
        process.exit(1);
    });
}
