/**
 * Emulator query benchmark: latency of a filtered page of 1,000 users with 100,000 users, ordered by sys_id (keyset
 * paging) and by another field (offset paging, alone and with a single-record write between pages), the cost of a
 * single-record sys_user write at 1,000 and at 100,000 users, and peak memory of an emulator holding 200,000 user
 * records. The emulator runs as its own process (the CLI) with the free cost model, so the figures are the
 * emulator's own work, measured from outside. Prints figures only; never passes or fails.
 *
 * Run: npx tsx bench/emulator-query.ts [--users N] [--memory-users N (0 skips)] [--samples N]
 */
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";

const ROOT = path.resolve(__dirname, "..");
const QUERY = "active=true^locked_out=false^ORDERBYsys_id";
const AUTH = `Basic ${Buffer.from("admin:admin").toString("base64")}`;
const CLOCK_TICKS = 100;

function arg(name: string, fallback: number): number {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

function percentile(values: number[], p: number): number {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Starts the emulator CLI with a production seed of `users` users; resolves when it listens. */
function launch(users: number): Promise<{ child: ChildProcess; url: string; startupMs: number }> {
    const t0 = performance.now();
    const child = spawn(
        process.execPath,
        [
            "--require",
            "tsx/cjs",
            "emulator/cli.ts",
            "--instance",
            "bench=0:production",
            "--users",
            String(users),
            "--jobs",
            "300",
            "--cost-model",
            "free",
        ],
        { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] },
    );
    return new Promise((resolve, reject) => {
        let out = "";
        child.stdout!.on("data", (c: Buffer) => {
            out += c.toString();
            const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
            if (m) resolve({ child, url: m[1]!, startupMs: performance.now() - t0 });
        });
        child.on("exit", (code) => reject(new Error(`emulator exited with ${code}`)));
    });
}

function stop(child: ChildProcess): Promise<void> {
    return new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
    });
}

/** CPU seconds (user + system) a process has used so far, from /proc. */
function cpuSeconds(pid: number): number {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** Peak resident set size of a process in MB, from /proc (VmHWM). */
function peakRssMb(pid: number): number {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : Number.NaN;
}

async function page(url: string, last: string): Promise<{ ms: number; ids: string[]; total: string | null }> {
    const q = last ? `sys_id>${last}^${QUERY}` : QUERY;
    const t = performance.now();
    const res = await fetch(`${url}/api/now/table/sys_user?sysparm_query=${encodeURIComponent(q)}&sysparm_limit=1000`, {
        headers: { Authorization: AUTH, Accept: "application/json" },
    });
    const text = await res.text();
    const ms = performance.now() - t;
    const body = JSON.parse(text) as { result: { sys_id: string }[] };
    return { ms, ids: body.result.map((r) => r.sys_id), total: res.headers.get("x-total-count") };
}

async function latency(users: number, samples: number): Promise<void> {
    const { child, url, startupMs } = await launch(users);
    try {
        const cold: number[] = [];
        const all: number[] = [];
        let last = "";
        let walks = 0;
        let matching = "";
        const cpu0 = cpuSeconds(child.pid!);
        while (all.length < samples) {
            const p = await page(url, last);
            if (!last) matching = p.total ?? "";
            all.push(p.ms);
            if (walks === 0) cold.push(p.ms);
            last = p.ids.length === 1000 ? p.ids[999]! : "";
            if (!last) walks++;
        }
        const serverCpuMs = ((cpuSeconds(child.pid!) - cpu0) * 1000) / all.length;
        console.log(
            `emulator with ${users} users ready in ${(startupMs / 1000).toFixed(1)} s; ${matching} users match ${QUERY}`,
        );
        console.log(
            `keyset page of 1,000 (sys_id>last^${QUERY}, with X-Total-Count), ${all.length} pages over HTTP: ` +
                `median ${percentile(all, 50).toFixed(1)} ms, p95 ${percentile(all, 95).toFixed(1)} ms   (target: median < 50 ms)`,
        );
        console.log(
            `  first walk only (nothing cached, ${cold.length} pages): median ${percentile(cold, 50).toFixed(1)} ms, p95 ${percentile(cold, 95).toFixed(1)} ms; ` +
                `server CPU ${serverCpuMs.toFixed(1)} ms per page on average`,
        );
        console.log(`  load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} CPUs while measuring`);
    } finally {
        await stop(child);
    }
}

/** One page of 1,000 ordered by last_name at an offset, and its time. */
async function orderedPage(url: string, offset: number): Promise<{ ms: number; rows: number }> {
    const q = "active=true^locked_out=false^ORDERBYlast_name";
    const t = performance.now();
    const res = await fetch(
        `${url}/api/now/table/sys_user?sysparm_query=${encodeURIComponent(q)}&sysparm_limit=1000&sysparm_offset=${offset}`,
        { headers: { Authorization: AUTH, Accept: "application/json" } },
    );
    const body = (await res.json()) as { result: unknown[] };
    return { ms: performance.now() - t, rows: body.result.length };
}

/** PATCHes one user (toggling its title) and returns the time. */
async function patchUser(url: string, sysId: string, title: string): Promise<number> {
    const t = performance.now();
    const res = await fetch(`${url}/api/now/table/sys_user/${sysId}`, {
        method: "PATCH",
        headers: { Authorization: AUTH, Accept: "application/json", "Content-Type": "application/json" },
        body: JSON.stringify({ title }),
    });
    await res.text();
    if (res.status !== 200) throw new Error(`PATCH answered ${res.status}`);
    return performance.now() - t;
}

/** Pages ordered by another field, then the same with a write between pages (each write invalidates caches). */
async function ordered(users: number, samples: number): Promise<void> {
    const { child, url } = await launch(users);
    try {
        const ids = (await page(url, "")).ids;
        for (const withWrites of [false, true]) {
            const times: number[] = [];
            const cpu0 = cpuSeconds(child.pid!);
            for (let i = 0, offset = 0; i < samples; i++) {
                if (withWrites) await patchUser(url, ids[i % ids.length]!, `t${i}`);
                const p = await orderedPage(url, offset);
                times.push(p.ms);
                offset = p.rows === 1000 ? offset + 1000 : 0;
            }
            const cpuMs = ((cpuSeconds(child.pid!) - cpu0) * 1000) / samples;
            console.log(
                `page of 1,000 ORDERBYlast_name by offset${withWrites ? ", a sys_user PATCH before each" : ""}, ${samples} pages: ` +
                    `median ${percentile(times, 50).toFixed(1)} ms, p95 ${percentile(times, 95).toFixed(1)} ms, ` +
                    `server CPU ${cpuMs.toFixed(1)} ms per ${withWrites ? "write + page" : "page"}   (target: median < 50 ms)`,
            );
        }
    } finally {
        await stop(child);
    }
}

/** Median time and server CPU of a single-record sys_user PATCH (each to another user, each a real change). */
async function writes(users: number, samples: number): Promise<void> {
    const { child, url } = await launch(users);
    try {
        const ids = (await page(url, "")).ids;
        // Warm the login cache first; then every write is a real change to a different user.
        await patchUser(url, ids[0]!, "warm");
        const times: number[] = [];
        const cpu0 = cpuSeconds(child.pid!);
        for (let i = 0; i < samples; i++) times.push(await patchUser(url, ids[(i + 1) % ids.length]!, `w${i}`));
        const cpuMs = ((cpuSeconds(child.pid!) - cpu0) * 1000) / samples;
        console.log(
            `single-record sys_user PATCH at ${users} users, ${samples} writes: median ${percentile(times, 50).toFixed(1)} ms, ` +
                `p95 ${percentile(times, 95).toFixed(1)} ms, server CPU ${cpuMs.toFixed(2)} ms per write`,
        );
    } finally {
        await stop(child);
    }
}

async function memory(users: number): Promise<void> {
    const { child, url } = await launch(users);
    try {
        let last = "";
        for (let i = 0; i < 20; i++) last = (await page(url, last)).ids.at(-1) ?? "";
        console.log(
            `peak RSS of the emulator process with ${users} users (plus roles, groups, jobs): ${peakRssMb(child.pid!).toFixed(0)} MB   (target: < 1536 MB)`,
        );
    } finally {
        await stop(child);
    }
}

async function main(): Promise<void> {
    const users = arg("users", 100_000);
    const samples = arg("samples", 300);
    await latency(users, samples);
    await ordered(users, Math.min(samples, 200));
    await writes(1_000, Math.min(samples, 300));
    await writes(users, Math.min(samples, 300));
    const memoryUsers = arg("memory-users", 200_000);
    if (memoryUsers > 0) await memory(memoryUsers);
}

main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
});
