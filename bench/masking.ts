/**
 * Benchmark of DataMasking at scale: requests of a first masking run and of a second (converged) run, against the
 * lower bound of one keyset read pass over the scope plus Batch API calls for the writes. Prints figures; never passes
 * or fails on time.
 *
 * Usage: `npx tsx bench/masking.ts` (100,000 users), `npx tsx bench/masking.ts --users 5000`.
 */
import * as http from "node:http";
import { performance } from "node:perf_hooks";
import axios from "axios";

/** Sub-requests per Batch API call (the client's default) and rows per page of the scope pass. */
const BATCH_SIZE = 200;

/** What one run measured. */
export interface MaskingFigures {
    run: "first" | "second";
    users: number;
    requests: number;
    batchCalls: number;
    written: number;
    inScope: number;
    lowerBound: number;
    wallMs: number;
}

/** Seeds a production-shaped target, masks it twice through the provider, and prints the figures. */
export async function runMaskingBenchmark(users: number): Promise<MaskingFigures[]> {
    const { startEmulator } = require("../emulator/index") as typeof import("../emulator/index");
    const connection = require("../provider/connection") as typeof import("../provider/connection");
    const { configureSalt } = require("../provider/masking/salt") as typeof import("../provider/masking/salt");
    const { dataMaskingProvider: provider } =
        require("../provider/resources/data-masking") as typeof import("../provider/resources/data-masking");
    const { requestLowerBound } = require("../provider/masking/plan") as typeof import("../provider/masking/plan");
    const { MASK_PAGE_SIZE } = require("../provider/masking/converge") as typeof import("../provider/masking/converge");

    process.stderr.write(`masking bench: seeding ${users} users ...\n`);
    const emu = await startEmulator({
        instances: [{ name: "acme-dev", port: 0, seed: "production" }],
        users,
        jobs: 50,
        randomSeed: 1,
    });
    const results: MaskingFigures[] = [];
    try {
        const url = emu.instances.get("acme-dev")!.url;
        const config: Record<string, string> = {
            "servicenow:instanceUrl": url,
            "servicenow:username": "admin",
            "servicenow:password": "admin",
            "servicenow:instanceName": "acme-dev",
            "servicenow:maskingSalt": "bench-salt-0123456789abcdef",
        };
        const cfg = { get: (k: string) => config[k], require: (k: string) => config[k]! };
        connection.configureConnections(cfg);
        configureSalt(cfg);
        const { PERSONAL_DATA_RULES } =
            require("../provider/masking/presets") as typeof import("../provider/masking/presets");
        const rule = PERSONAL_DATA_RULES[0];
        const checked = await provider.check!(
            {} as never,
            {
                rules: [rule],
                exceptUsers: ["uat.lead"],
                allowUnknownCloneEpoch: true,
            } as never,
        );
        if (checked.failures?.length) throw new Error(JSON.stringify(checked.failures));
        const inputs = checked.inputs!;
        const client = await connection.clientFor("target");
        const inScope = await client.count("sys_user", rule.query);

        let outs: import("../provider/resources/data-masking").DataMaskingOutputs | undefined;
        for (const run of ["first", "second"] as const) {
            const before = client.requestCount;
            const postsBefore = await posts(url);
            const t0 = performance.now();
            outs =
                run === "first"
                    ? (await provider.create(inputs)).outs!
                    : (await provider.update!("id", outs!, inputs)).outs!;
            const wallMs = performance.now() - t0;
            const requests = client.requestCount - before;
            const batchCalls = (await posts(url)) - postsBefore;
            const lowerBound = requestLowerBound(inScope, outs.writtenCount, MASK_PAGE_SIZE, BATCH_SIZE);
            const fig: MaskingFigures = {
                run,
                users,
                requests,
                batchCalls,
                written: outs.writtenCount,
                inScope,
                lowerBound,
                wallMs,
            };
            results.push(fig);
            console.log(
                [
                    `${run.padEnd(6)} run, ${users} users (${inScope} in scope)`,
                    `requests ${requests} (${batchCalls} batch calls)`,
                    `lower bound ${lowerBound} (${Math.floor(inScope / MASK_PAGE_SIZE) + 1} pages + ${Math.ceil(outs.writtenCount / BATCH_SIZE)} batch calls)`,
                    `ratio ${(requests / lowerBound).toFixed(3)}`,
                    `written ${outs.writtenCount}, unmasked after ${outs.unmaskedCount}`,
                    `wall ${(wallMs / 1000).toFixed(1)} s`,
                    `state ${(JSON.stringify(outs).length / 1024).toFixed(1)} KB`,
                ].join(" | "),
            );
        }
    } finally {
        await emu.stop();
    }
    return results;
}

/** POSTs the instance has served (the Batch API calls; this run inserts nothing). */
async function posts(url: string): Promise<number> {
    // A fresh connection each time: an idle keep-alive socket may be closed by the emulator between the two runs.
    const res = await axios.get(`${url}/emulator/stats`, {
        auth: { username: "admin", password: "admin" },
        httpAgent: new http.Agent({ keepAlive: false }),
    });
    return (res.data as { byMethod?: Record<string, number> }).byMethod?.POST ?? 0;
}

if (require.main === module) {
    const at = process.argv.indexOf("--users");
    const users = at > 0 ? Number(process.argv[at + 1]) : 100_000;
    runMaskingBenchmark(users).catch((e) => {
        console.error(e);
        process.exit(1);
    });
}
