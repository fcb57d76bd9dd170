/**
 * Runs declared ATF suites through the CI/CD API, the one documented way to run tests over REST: `POST
 * /api/sn_cicd/testsuite/run` by name, poll `progress/{id}` until `links.results` appears, read
 * `testsuite/results/{id}` for the rolled-up counts, and the per-test results from `sys_atf_test_result` (Table API).
 * A run refused because test execution is disabled comes back as a suite that did not run, with the platform's text.
 */
import { ServiceNowError } from "../errors";
import { type AtfSuiteOutcome, type AtfTestOutcome, suiteOutcome } from "./report";

/**
 * The calls a suite run makes: the CI/CD API (a refused run answers with its `result`; other failures throw) and
 * Table API reads. The `ServiceNowClient` satisfies it.
 */
export interface CicdCaller {
    cicd(method: "GET" | "POST", path: string, params?: Record<string, string>): Promise<unknown>;
    query(
        table: string,
        options: { query: string; fields?: string[]; limit?: number },
    ): Promise<Record<string, string>[]>;
}

/** A suite to run and the failed or errored tests it tolerates. */
export interface SuiteSpec {
    name: string;
    /**
     * Failed plus errored tests tolerated before the suite blocks the gate.
     *
     * @default 0
     */
    allowedFailures?: number;
}

/** Options of {@link runSuite}. */
export interface RunSuiteOptions {
    /**
     * Time between two progress reads.
     *
     * @default 500
     */
    pollMs?: number;
    /**
     * Give up waiting after this long.
     *
     * @default 1800000 (30 minutes)
     */
    timeoutMs?: number;
    signal?: AbortSignal;
}

interface Progress {
    status?: string;
    status_message?: string;
    error?: string;
    links?: { progress?: { id?: string }; results?: { id?: string } };
}

interface SuiteResults {
    test_suite_status?: string;
    rolledup_test_success_count?: number | string;
    rolledup_test_failure_count?: number | string;
    rolledup_test_error_count?: number | string;
    rolledup_test_skip_count?: number | string;
}

const sleep = (ms: number, signal?: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
        const t = setTimeout(resolve, ms);
        signal?.addEventListener("abort", () => {
            clearTimeout(t);
            reject(signal.reason ?? new Error("aborted"));
        });
    });

/** Runs one suite to its end and judges it against its threshold. */
export async function runSuite(
    api: CicdCaller,
    suite: SuiteSpec,
    opts: RunSuiteOptions = {},
): Promise<AtfSuiteOutcome> {
    const threshold = suite.allowedFailures ?? 0;
    const notRun = (status: string, why: string) =>
        suiteOutcome(
            {
                name: suite.name,
                resultId: "",
                status,
                counts: { success: 0, failure: 0, error: 0, skip: 0 },
                tests: [{ name: suite.name, status: "error", output: why }],
            },
            threshold,
        );
    let first: Progress;
    try {
        first = resultOf<Progress>(
            await api.cicd("POST", "/api/sn_cicd/testsuite/run", { test_suite_name: suite.name }),
        );
    } catch (e) {
        // No such suite, no CI/CD role, the API's plugin inactive: the suite did not run, and the report says why.
        if (e instanceof ServiceNowError) return notRun("error", e.message);
        throw e;
    }
    if (!first.links?.progress?.id) {
        return notRun("refused", first.error || first.status_message || "the run was refused");
    }
    const progressId = first.links.progress.id;
    const deadline = Date.now() + (opts.timeoutMs ?? 1_800_000);
    let progress = first;
    while (!["2", "3", "4"].includes(progress.status ?? "")) {
        if (Date.now() > deadline)
            return notRun("timeout", `suite still running after ${opts.timeoutMs ?? 1_800_000} ms`);
        await sleep(opts.pollMs ?? 500, opts.signal);
        const r = await api.cicd("GET", `/api/sn_cicd/progress/${progressId}`);
        progress = resultOf<Progress>(r);
    }
    const resultId = progress.links?.results?.id;
    if (!resultId) return notRun("error", progress.error || progress.status_message || "the run produced no results");
    const results = resultOf<SuiteResults>(await api.cicd("GET", `/api/sn_cicd/testsuite/results/${resultId}`));
    const tests: AtfTestOutcome[] = (
        await api.query("sys_atf_test_result", {
            query: `parent=${resultId}^ORDERBYsys_created_on`,
            fields: ["test.name", "status", "output"],
        })
    ).map((t) => ({ name: t["test.name"] ?? "", status: t.status ?? "", output: t.output ?? "" }));
    return suiteOutcome(
        {
            name: suite.name,
            resultId,
            status: results.test_suite_status ?? "",
            counts: {
                success: Number(results.rolledup_test_success_count ?? 0),
                failure: Number(results.rolledup_test_failure_count ?? 0),
                error: Number(results.rolledup_test_error_count ?? 0),
                skip: Number(results.rolledup_test_skip_count ?? 0),
            },
            tests,
        },
        threshold,
    );
}

function resultOf<T>(body: unknown): T {
    return ((body as { result?: unknown } | undefined)?.result ?? {}) as T;
}
