/**
 * Emulator query benchmark: latency of a filtered, ordered page of 1,000 users (keyset paging) with 100,000 users,
 * and peak memory of an emulator holding 200,000 user records. Prints figures only; never passes or fails on time.
 *
 * Run: npx tsx bench/emulator-query.ts [--users N] [--memory-users N] [--samples N]
 */
import { spawnSync } from "node:child_process";
import * as os from "node:os";
import { performance } from "node:perf_hooks";
import { startEmulator } from "../emulator/index";

const QUERY = "active=true^locked_out=false^ORDERBYsys_id";
const AUTH = `Basic ${Buffer.from("admin:admin").toString("base64")}`;

function arg(name: string, fallback: number): number {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

function percentile(sorted: number[], p: number): number {
    return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Times keyset pages of 1,000 through the Table API over HTTP, walking the whole result set repeatedly. */
async function latency(users: number, samples: number): Promise<void> {
    const t0 = performance.now();
    const emu = await startEmulator({ instances: [{ name: "bench" }], users, jobs: 300, seed: "production" });
    const started = performance.now() - t0;
    const { url, db } = emu.instances.get("bench")!;
    const matching = db.count("sys_user", QUERY);
    const times: number[] = [];
    const cpu: number[] = [];
    let last = "";
    let pages = 0;
    try {
        while (times.length < samples) {
            const q = last ? `sys_id>${last}^${QUERY}` : QUERY;
            const t = performance.now();
            const c0 = process.cpuUsage();
            const res = await fetch(
                `${url}/api/now/table/sys_user?sysparm_query=${encodeURIComponent(q)}&sysparm_limit=1000&sysparm_suppress_pagination_header=true`,
                {
                    headers: { Authorization: AUTH, Accept: "application/json" },
                },
            );
            const body = (await res.json()) as { result: { sys_id: string }[] };
            times.push(performance.now() - t);
            const c = process.cpuUsage(c0);
            cpu.push((c.user + c.system) / 1000);
            pages++;
            last = body.result.length === 1000 ? body.result[999]!.sys_id : "";
        }
    } finally {
        await emu.stop();
    }
    times.sort((a, b) => a - b);
    cpu.sort((a, b) => a - b);
    console.log(`seeded ${users} users in ${(started / 1000).toFixed(1)} s; ${matching} match ${QUERY}`);
    console.log(
        `keyset page of 1,000 over HTTP (${pages} pages, with X-Total-Count): median ${percentile(times, 50).toFixed(1)} ms, p95 ${percentile(times, 95).toFixed(1)} ms, max ${times[times.length - 1]!.toFixed(1)} ms   (target: median < 50 ms)`,
    );
    console.log(
        `CPU per page (client and server share this process): median ${percentile(cpu, 50).toFixed(1)} ms, p95 ${percentile(cpu, 95).toFixed(1)} ms; load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} CPUs`,
    );
}

/** Runs in a child process: starts an emulator with `users` users, queries it, reports peak RSS. */
async function memoryChild(users: number): Promise<void> {
    const emu = await startEmulator({ instances: [{ name: "mem" }], users, jobs: 300, seed: "production" });
    const { url, db } = emu.instances.get("mem")!;
    for (let i = 0; i < 5; i++) {
        const res = await fetch(
            `${url}/api/now/table/sys_user?sysparm_query=${encodeURIComponent(QUERY)}&sysparm_limit=1000`,
            {
                headers: { Authorization: AUTH },
            },
        );
        await res.arrayBuffer();
    }
    const records = db.tableNames().reduce((n, t) => n + (db.schema.table(t).parent ? 0 : db.count(t)), 0);
    await emu.stop();
    process.stdout.write(
        JSON.stringify({ users: db.count("sys_user"), records, maxRssKb: process.resourceUsage().maxRSS }),
    );
}

async function main(): Promise<void> {
    if (process.argv.includes("--memory-child")) return memoryChild(arg("memory-child", 200_000));
    const users = arg("users", 100_000);
    const memoryUsers = arg("memory-users", 200_000);
    await latency(users, arg("samples", 300));
    const child = spawnSync(
        process.execPath,
        ["--require", "tsx/cjs", __filename, "--memory-child", String(memoryUsers)],
        {
            encoding: "utf8",
        },
    );
    if (child.status !== 0) throw new Error(`memory run failed: ${child.stderr}`);
    const m = JSON.parse(child.stdout) as { users: number; records: number; maxRssKb: number };
    console.log(
        `peak RSS with ${m.users} users (${m.records} records in all tables): ${(m.maxRssKb / 1024).toFixed(0)} MB   (target: < 1536 MB)`,
    );
}

main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
});
