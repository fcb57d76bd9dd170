/**
 * DataMasking at scale through the real Pulumi CLI: the environment program (Pulumi.yaml) driven by the project's
 * Automation API library (EnvironmentSession) against an emulator seeded with 100,000 users. Prints the requests of
 * the first `up` against the lower bound of one keyset read pass plus batched writes, the writes of a second `up`,
 * the excepted user, a hand-restored value reported as drift and re-masked, and the production instance refused.
 * Prints figures; never passes or fails on time (it exits 1 only when a behaviour is wrong).
 *
 * Usage: `npm run bench:masking` (100,000 users), `npm run bench:masking -- --users 5000`.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import type { RunningInstance } from "../emulator/index";
import type { RequestLogEntry } from "../emulator/observability";

/** Sub-requests per Batch API call: the client's default. */
const BATCH_SIZE = 200;
const SALT = "bench-masking-salt-5b7e1c0a9d";
const PASSWORD = "Bench-Masking-Pa55word!";
const EPOCH = "0123456789abcdef0123456789abcdef@2026-11-30T09:00:00Z";
const EXCEPTED = "uat.lead";
const RESTORED = "trainer.one";

/** HTTP requests (a batch call counts once) and records written (batch items included) on one instance. */
interface Tally {
    requests: number;
    batchCalls: number;
    written: number;
}

/** Runs the benchmark and prints one line per finding; returns false when a behaviour was wrong. */
export async function runMaskingCliBenchmark(users: number): Promise<boolean> {
    const { startEmulator } = require("../emulator/index") as typeof import("../emulator/index");
    const { EnvironmentSession, UnsafeTargetError } =
        require("../sdk/automation/environment") as typeof import("../sdk/automation/environment");
    const { PERSONAL_DATA_RULES } =
        require("../provider/masking/presets") as typeof import("../provider/masking/presets");
    const { requestLowerBound } = require("../provider/masking/plan") as typeof import("../provider/masking/plan");
    const { MASK_PAGE_SIZE } = require("../provider/masking/converge") as typeof import("../provider/masking/converge");
    const { packageRoot } = require("../sdk/toolchain") as typeof import("../sdk/toolchain");

    const t0 = performance.now();
    process.stderr.write(`masking-cli bench: seeding ${users} users ...\n`);
    const emu = await startEmulator({
        instances: [
            { name: "acme-uat", port: 0, seed: "production" },
            // Production needs no users: the fence refuses before reading any.
            { name: "acme", port: 0, seed: "empty" },
        ],
        users,
        jobs: 50,
        adminPassword: PASSWORD,
        randomSeed: 1,
    });
    process.stderr.write(`masking-cli bench: seeded in ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pssc-bench-masking-"));
    // The request log keeps the latest 100,000 entries; a 100,000-user run writes more batch items than that.
    const tallies = new Map<string, Tally>();
    const stop = emu.stats.listen((e: RequestLogEntry) => {
        const t = tallies.get(e.instance) ?? { requests: 0, batchCalls: 0, written: 0 };
        tallies.set(e.instance, t);
        if (!e.batch) t.requests++;
        if (!e.batch && e.path.startsWith("/api/now/") && e.path.includes("batch")) t.batchCalls++;
        if (e.method !== "GET" && e.method !== "HEAD" && (e.written ?? 0) > 0) t.written += e.written ?? 0;
    });
    const measure = async <T>(instance: string, fn: () => Promise<T>) => {
        tallies.set(instance, { requests: 0, batchCalls: 0, written: 0 });
        const started = performance.now();
        const value = await fn();
        return { value, tally: { ...tallies.get(instance)! }, seconds: (performance.now() - started) / 1000 };
    };
    let ok = true;
    const check = (good: boolean, line: string) => {
        ok &&= good;
        console.log(`${good ? "ok  " : "FAIL"} ${line}`);
    };

    const rule = PERSONAL_DATA_RULES.find((r) => r.table === "sys_user")!;
    const uat = emu.instances.get("acme-uat")!;
    const prod = emu.instances.get("acme")!;
    const session = (environment: string, instance: RunningInstance) =>
        EnvironmentSession.open({
            environment,
            workDir: packageRoot,
            isolated: true,
            backendUrl: `file://${path.join(tmp, "state")}`,
            pulumiHome: path.join(tmp, "home"),
            passphrase: "bench",
            config: {
                "servicenow:instanceUrl": { value: instance.url },
                "servicenow:username": { value: "admin" },
                "servicenow:password": { value: PASSWORD, secret: true },
                "servicenow:instanceName": { value: instance.name },
                "servicenow:productionInstances": { value: "acme" },
                "servicenow:maskingSalt": { value: SALT, secret: true },
                "environment:cloneEpoch": { value: EPOCH },
                "environment:masking": { value: JSON.stringify({ rules: [rule], exceptUsers: [EXCEPTED] }) },
            },
        });
    fs.mkdirSync(path.join(tmp, "state"), { recursive: true });
    fs.mkdirSync(path.join(tmp, "home"), { recursive: true });
    try {
        const userRow = (name: string) => ({ ...uat.db.query("sys_user", `user_name=${name}`, { limit: 1 })[0]! });
        const inScope = uat.db.query("sys_user", rule.query).length;
        const excepted = userRow(EXCEPTED);
        const original = userRow(RESTORED);
        const env = await session("bench-uat", uat);
        try {
            const first = await measure(uat.name, () => env.apply({ refresh: false }));
            const bound = requestLowerBound(inScope, first.tally.written, MASK_PAGE_SIZE, BATCH_SIZE);
            const ratio = first.tally.requests / bound;
            check(
                ratio <= 1.1,
                `first up: ${first.tally.requests} requests (${first.tally.batchCalls} batch calls, ${first.tally.written} records written) ` +
                    `vs lower bound ${bound} (${Math.floor(inScope / MASK_PAGE_SIZE) + 1} pages of ${MASK_PAGE_SIZE} + ` +
                    `${Math.ceil(first.tally.written / BATCH_SIZE)} batch calls of ${BATCH_SIZE}), ratio ${ratio.toFixed(3)} ` +
                    `(acceptance ≤ 1.1); ${users} users, ${inScope} in scope; ${first.seconds.toFixed(0)} s wall`,
            );
            const masked = userRow(RESTORED);
            check(
                masked.email !== original.email && /@example\.invalid$/.test(masked.email ?? ""),
                `${RESTORED}'s email masked to a domain that cannot receive mail`,
            );

            const second = await measure(uat.name, () => env.apply({ expectNoChanges: true }));
            check(
                second.tally.written === 0,
                `second up: ${second.tally.written} records written, ${second.tally.requests} requests; ${second.seconds.toFixed(0)} s wall`,
            );
            const lead = userRow(EXCEPTED);
            check(
                JSON.stringify(lead) === JSON.stringify(excepted),
                `excepted user ${EXCEPTED} untouched (every field as before)`,
            );

            // Someone copies the original value back by hand, through the Table API.
            const restore = await fetch(`${uat.url}/api/now/table/sys_user/${original.sys_id}`, {
                method: "PATCH",
                headers: {
                    authorization: `Basic ${Buffer.from(`admin:${PASSWORD}`).toString("base64")}`,
                    "content-type": "application/json",
                },
                body: JSON.stringify({ email: original.email }),
            });
            if (restore.status !== 200) throw new Error(`restoring ${RESTORED} by hand failed: ${restore.status}`);
            const drift = await env.drift();
            const found = drift.resources.flatMap((r) =>
                r.properties.map((p) => `${r.type} ${r.name}: ${p.path} ${String(p.expected)} => ${String(p.actual)}`),
            );
            check(
                found.some((f) => /DataMasking .*unmaskedCount 0 => 1/.test(f)),
                `hand-restored value reported as drift: ${found.join("; ") || "(no property named)"}`,
            );
            const repair = await measure(uat.name, () => env.apply());
            const again = userRow(RESTORED);
            check(
                repair.tally.written === 1 && again.email === masked.email,
                `re-masked: ${repair.tally.written} record written, ${RESTORED}'s email masked to the same value again`,
            );
        } finally {
            await env.close();
        }

        const refused = await measure(prod.name, async () => {
            const p = await session("bench-production", prod);
            try {
                await p.apply({ refresh: false });
                return "applied";
            } catch (err) {
                return err instanceof UnsafeTargetError ? "refused" : `failed: ${(err as Error).message}`;
            } finally {
                await p.close();
            }
        });
        check(
            refused.value === "refused" && refused.tally.written === 0,
            `production instance: ${refused.value} (UnsafeTargetError), ${refused.tally.written} records written`,
        );
        console.log(
            `load: ${os
                .loadavg()
                .map((l) => l.toFixed(2))
                .join(" ")} on ${os.cpus().length} cores`,
        );
    } finally {
        stop();
        await emu.stop();
        fs.rmSync(tmp, { recursive: true, force: true });
    }
    return ok;
}

if (require.main === module) {
    const at = process.argv.indexOf("--users");
    const users = at > 0 ? Number(process.argv[at + 1]) : 100_000;
    runMaskingCliBenchmark(users).then(
        (ok) => process.exit(ok ? 0 : 1),
        (e) => {
            console.error(e);
            process.exit(1);
        },
    );
}
