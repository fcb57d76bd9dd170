/**
 * Example: a release pipeline step that refreshes an environment from production and proves it is converged.
 *
 *   node dist/examples/release-pipeline.js qa
 *
 * 1. clone production into the environment and wait (progress on stderr);
 * 2. apply the environment's stack (stacks/Pulumi.<env>.yaml);
 * 3. apply again expecting no changes (idempotency);
 * 4. check for drift and write a JUnit report for the CI server.
 * Exit code: 0 converged, 2 drift left, 3 unsafe target (the production fence refused), 1 any other failure.
 *
 * Needs the stack's connections configured (`pulumi config set --secret servicenow:password ... -s qa`, and the
 * source connection for the clone) or the SERVICENOW_* / SERVICENOW_SOURCE_* environment variables.
 */
import * as fs from "node:fs";
import { formatDriftJunit, formatDriftText, UnsafeTargetError, withEnvironment } from "pulumi-servicenow-clone";

async function releasePipeline(environment: string): Promise<number> {
    const log = (line: string) => process.stderr.write(`${line}\n`);
    return withEnvironment(
        {
            environment,
            onProgress: (e) => {
                if (e.kind === "stage") log(`== ${e.message}`);
                if (e.kind === "clone") log(`   clone: ${e.state}${e.phase ? ` (${e.phase})` : ""}`);
                if (e.kind === "resource-done" && e.op !== "same") log(`   ${e.op} ${e.type} ${e.name}`);
                if (e.kind === "log" && e.severity !== "info") log(`   ${e.severity}: ${e.message}`);
            },
        },
        async (env) => {
            const applied = await env.apply({ clone: true, message: `release pipeline: refresh ${environment}` });
            log(`applied after clone ${applied.clone?.id}: ${JSON.stringify(applied.changes)}`);
            await env.apply({ expectNoChanges: true });
            const report = await env.drift();
            fs.writeFileSync(`drift-${environment}.xml`, formatDriftJunit(report));
            process.stdout.write(formatDriftText(report));
            return report.drifted ? 2 : 0;
        },
    );
}

releasePipeline(process.argv[2] ?? "qa").then(
    (code) => {
        process.exitCode = code;
    },
    (err: unknown) => {
        process.stderr.write(`release pipeline failed: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exitCode = err instanceof UnsafeTargetError ? 3 : 1;
    },
);
