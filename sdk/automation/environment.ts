/**
 * The Automation API front end for release tooling: apply an environment (optionally cloning first), preview it,
 * detect drift with a typed per-resource, per-property report, destroy it and read its history, streaming progress
 * through callbacks.
 *
 * It drives the project's own Pulumi.yaml (the config-driven environment program) with the bootstrapped CLI and a
 * local file backend unless told otherwise. Nothing here downloads anything.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
    type ConfigMap,
    type EngineEvent,
    LocalWorkspace,
    type OpMap,
    type Stack,
    StackNotFoundError,
    type UpdateSummary,
} from "@pulumi/pulumi/automation";
import { ConnectionConfigError, ServiceNowError, UnsafeTargetError } from "../../provider/errors";
import { PROJECT_DIR_ENV } from "../../provider/stack-config";
import { carriedByClone } from "../environment/carried";
import { environmentKeys, formatProblems, parseEnvironmentConfig } from "../environment/config";
import { offlineEnv, packageRoot, resolvePulumiCommand } from "../toolchain";
import { defaultBackendUrl } from "./backend";
import { type CloneRequest, type CloneResult, cloneInstance, type InFlightPlan } from "./clone";
import { type DriftReport, driftFromEvents, shortType } from "./drift";
import { connectionSettings, hasCompletedClone, preflightTarget } from "./preflight";
import { type ProgressListener, ProgressTranslator, stripAnsi } from "./progress";

export { UnsafeTargetError } from "../../provider/errors";

/** Where an environment lives and how to reach it. */
export interface EnvironmentOptions {
    /** The environment, i.e. the stack name: `dev`, `qa`, `uat`, `training`. */
    environment: string;
    /** Directory holding the project's Pulumi.yaml. @default the package root (the root Pulumi.yaml) */
    workDir?: string;
    /**
     * Pulumi backend URL. @default `$PULUMI_BACKEND_URL`, else the backend the user logged in to (`pulumi login`) or
     * the project's `backend.url`, else `file://<consuming project>/.pulumi-state` (never inside node_modules)
     */
    backendUrl?: string;
    /** PULUMI_HOME (plugins, workspace settings). @default `$PULUMI_HOME`, else ~/.pulumi */
    pulumiHome?: string;
    /** Passphrase of the stack's secrets. @default `$PULUMI_CONFIG_PASSPHRASE`, else "" */
    passphrase?: string;
    /**
     * Config set on the stack before the first operation, e.g. the instance URL or `{ value, secret: true }` for a
     * password. Secrets are stored encrypted. @default none
     */
    config?: ConfigMap;
    /**
     * Run from a scratch copy of the project, so config written by this session (and the stack's encryption salt)
     * never lands in the project's stack files. The copy is removed by {@link EnvironmentSession.close}.
     * @default false
     */
    isolated?: boolean;
    /** Extra environment variables for the Pulumi CLI and the providers (e.g. `SERVICENOW_PASSWORD`). @default none */
    envVars?: Record<string, string>;
    /** Receives progress events while operations run. @default none */
    onProgress?: ProgressListener;
    /**
     * Create the stack when it does not exist yet; with false, opening an environment never applied fails with
     * {@link EnvironmentOperationError}. @default true
     */
    create?: boolean;
    /** Cancels a running operation. @default none */
    signal?: AbortSignal;
    /** Resource operations the engine runs at once. @default the CLI's default */
    parallel?: number;
}

/** Clone settings for {@link EnvironmentSession.apply}; unset fields come from the stack's source connection config. */
export type CloneSettings = Partial<Omit<CloneRequest, "signal" | "inFlight">> & {
    /**
     * Refuse the clone, writing nothing, when it would destroy work in flight the stack does not carry (in-progress
     * update sets, retrieved sets, scoped apps and plugins the source lacks); `environment:clone.requireNoLoss` in the
     * stack config turns it on too. @default false
     */
    requireNoLoss?: boolean;
};

/** Options of {@link EnvironmentSession.apply}. */
export interface ApplyOptions {
    /**
     * Clone the source into this environment first, then apply with the new clone epoch. Before the request the loss
     * report is printed, `requireNoLoss` may refuse, and the carried update sets are parked (see
     * {@link EnvironmentSession.clone}). @default false
     */
    clone?: boolean | CloneSettings;
    /** Fail (CommandError) if the apply would change anything: proves idempotency. @default false */
    expectNoChanges?: boolean;
    /**
     * Read every resource from the instance before applying, so drift made behind the stack's back is put back (a
     * plain `up` compares with the recorded state only). @default true
     */
    refresh?: boolean;
    /** Message recorded in the stack's history. @default none */
    message?: string;
}

/** What an apply did. */
export interface ApplyResult {
    environment: string;
    /** Resource counts by operation (`same`, `create`, `update`, `delete`...). */
    changes: OpMap;
    /** Stack outputs (secret values masked as "[secret]"). */
    outputs: Record<string, unknown>;
    durationSeconds: number;
    /** The clone that preceded the apply, when one was requested. */
    clone?: CloneResult;
}

/** One planned resource change of a preview. */
export interface PlannedChange {
    urn: string;
    type: string;
    name: string;
    op: string;
    /** Properties that differ (empty when neither the engine nor the states say which). */
    properties: string[];
    /**
     * Each property that differs, with the value the stack declares and the value in (refreshed) state: the engine's
     * detailed diff when the provider gave one, else computed from the step's old and new states.
     */
    detailedDiff: Record<string, { kind: "add" | "delete" | "update"; declared: unknown; live: unknown }>;
}

/** What a preview would do. */
export interface PreviewResult {
    environment: string;
    changes: OpMap;
    /** Every resource whose op is not `same`. */
    planned: PlannedChange[];
}

/** One entry of an environment's history. */
export interface HistoryEntry {
    version: number;
    kind: string;
    result: string;
    startTime: string;
    endTime?: string;
    message: string;
    changes: OpMap;
}

/** An operation failed; `diagnostics` holds the engine's error messages (never a credential: providers redact them). */
export class EnvironmentOperationError extends Error {
    constructor(
        message: string,
        readonly diagnostics: string[],
        options?: { cause?: unknown },
    ) {
        super(message, options);
        this.name = new.target.name;
    }
}

/** The stack config is invalid: `problems` are the check failures, each naming the config key. */
export class EnvironmentConfigError extends EnvironmentOperationError {}

/**
 * `apply` with `expectNoChanges` found the instance not converged: the preview (with refresh) planned changes, so
 * nothing was applied. `report` says which resources and properties differ.
 */
export class NotConvergedError extends EnvironmentOperationError {
    constructor(
        message: string,
        readonly report: DriftReport,
    ) {
        super(message, []);
    }
}

/**
 * An open environment: one stack of the environment program, on which operations run one after another.
 */
export class EnvironmentSession {
    private constructor(
        /** The Automation API stack, for anything this class does not cover. */
        readonly stack: Stack,
        private opts: EnvironmentOptions,
        private readonly scratch: string | undefined,
    ) {}

    /** The environment's name. */
    get environment(): string {
        return this.opts.environment;
    }

    /**
     * Selects the environment's stack (creating it on first use) and sets the given config.
     *
     * @throws Error when the project directory has no Pulumi.yaml.
     */
    static async open(opts: EnvironmentOptions): Promise<EnvironmentSession> {
        const projectDir = opts.workDir ?? packageRoot;
        if (!fs.existsSync(path.join(projectDir, "Pulumi.yaml"))) {
            throw new Error(`${projectDir} has no Pulumi.yaml; pass workDir pointing at the environment project`);
        }
        const scratch = opts.isolated ? stageProject(projectDir, opts.environment) : undefined;
        try {
            const env: Record<string, string> = {};
            const backend = opts.backendUrl ?? defaultBackendUrl(projectDir, opts.pulumiHome);
            if (backend) env.PULUMI_BACKEND_URL = backend;
            // A file backend's directory must exist; the default one is created on first use.
            if (!opts.backendUrl && backend?.startsWith("file://")) {
                fs.mkdirSync(backend.slice("file://".length), { recursive: true });
            }
            if (opts.passphrase !== undefined) env.PULUMI_CONFIG_PASSPHRASE = opts.passphrase;
            const args = { stackName: opts.environment, workDir: scratch ?? projectDir };
            const wsOpts = {
                pulumiCommand: await resolvePulumiCommand().catch((err: unknown) => {
                    throw new EnvironmentOperationError(
                        "the Pulumi CLI was not found: run `npm run bootstrap` in pulumi-servicenow-clone, or put " +
                            "`pulumi` (the version of @pulumi/pulumi or newer) on PATH",
                        [],
                        { cause: err },
                    );
                }),
                ...(opts.pulumiHome ? { pulumiHome: opts.pulumiHome } : {}),
                envVars: offlineEnv({
                    ...env,
                    ...scratchEnv(scratch),
                    // The providers read the stack config from this project (a scratch copy has the session's config).
                    [PROJECT_DIR_ENV]: scratch ?? projectDir,
                    ...opts.envVars,
                }),
            };
            let stack: Stack;
            if (opts.create === false) {
                // Reading an environment must not create its stack (which also writes an encryption salt into the
                // committed stack file).
                try {
                    stack = await LocalWorkspace.selectStack(args, wsOpts);
                } catch (err) {
                    if (!(err instanceof StackNotFoundError)) throw err;
                    throw new EnvironmentOperationError(
                        `environment ${opts.environment} has no stack in ${wsOpts.envVars.PULUMI_BACKEND_URL ?? "the logged-in backend"} yet; ` +
                            `apply it first (sn-clone apply ${opts.environment}) or point --backend-url at its backend`,
                        [],
                        { cause: err },
                    );
                }
            } else {
                stack = await LocalWorkspace.createOrSelectStack(args, wsOpts);
            }
            if (opts.config && Object.keys(opts.config).length > 0) await stack.setAllConfig(opts.config);
            if (scratch) await carryCloneEpoch(stack);
            return new EnvironmentSession(stack, opts, scratch);
        } catch (err) {
            if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
            if (err instanceof Error && "commandResult" in err) {
                // The CLI refused to open the stack (passphrase, backend): say what it said, not how it was called.
                throw new EnvironmentOperationError(
                    `could not open environment ${opts.environment}: ${engineFailureText(err)}`,
                    [],
                    { cause: err },
                );
            }
            throw err;
        }
    }

    /**
     * Converges the instance to the environment's config, optionally cloning the source into it first.
     *
     * @throws UnsafeTargetError when the production fence refused a write (nothing was written by that resource).
     * @throws EnvironmentConfigError when the stack config is invalid.
     * @throws CloneFailedError when the requested clone did not complete.
     */
    async apply(options: ApplyOptions = {}): Promise<ApplyResult> {
        const progress = new ProgressTranslator(this.opts.onProgress);
        await this.preflight();
        if (options.expectNoChanges) {
            if (options.clone) {
                throw new EnvironmentConfigError(
                    "expectNoChanges and clone cannot go together: a clone changes the instance by design",
                    [],
                );
            }
            // Proven by a preview first, so an environment that is not converged is reported without a single write
            // (the engine's own --expect-no-changes only fails after the update has run).
            const report = await this.drift();
            if (report.drifted) {
                throw new NotConvergedError(
                    `${this.environment} is not converged: apply would change ${report.resources.length} resource(s) ` +
                        `(${report.resources.map((r) => `${r.type} "${r.name}"`).join(", ")}); nothing was written`,
                    report,
                );
            }
        }
        const clone = options.clone ? await this.clone(options.clone === true ? {} : options.clone) : undefined;
        progress.emit({ kind: "stage", message: `Applying ${this.environment}` });
        const refresh = options.refresh ?? true;
        const { result, events } = await this.run("apply", progress, (onEvent) =>
            this.stack.up({
                onEvent,
                signal: this.opts.signal,
                expectNoChanges: options.expectNoChanges,
                refresh,
                // The refresh reads with the providers the program registers now, i.e. the current stack config.
                ...(refresh ? { runProgram: true } : {}),
                message: options.message,
                ...(this.opts.parallel ? { parallel: this.opts.parallel } : {}),
            }),
        );
        const outputs = Object.fromEntries(
            Object.entries(result.outputs).map(([k, v]) => [k, v.secret ? "[secret]" : v.value]),
        );
        return {
            environment: this.environment,
            changes: withoutProviders(result.summary.resourceChanges ?? {}, events),
            outputs,
            durationSeconds: secondsBetween(result.summary.startTime, result.summary.endTime),
            ...(clone ? { clone } : {}),
        };
    }

    /**
     * Requests a clone of the source into this environment, waits for it, and records its completion as the
     * environment's clone epoch (`environment:cloneEpoch`), so the next apply re-asserts every resource's policy.
     *
     * Before the request it reports what the clone would destroy on the target, refuses with `requireNoLoss` (the
     * setting or `environment:clone.requireNoLoss`) when work the stack does not carry would be lost, and parks the
     * update sets `environment:inFlight` carries on the holding instance (docs/in-flight-work.md).
     *
     * @param settings overrides of the stack's source connection config.
     * @throws CloneWouldLoseWorkError when requireNoLoss refused the clone (nothing was written).
     * @throws EnvironmentConfigError when the stack config is invalid (nothing was written).
     * @throws CloneFailedError when the clone ends in any state but Completed.
     */
    async clone(settings: CloneSettings = {}): Promise<CloneResult> {
        const progress = new ProgressTranslator(this.opts.onProgress);
        const request = await this.cloneRequest(settings);
        const inFlight = await this.inFlightPlan(settings.requireNoLoss, progress);
        progress.emit({
            kind: "stage",
            message: `Cloning ${request.sourceInstanceName} into ${request.targetInstanceName}`,
        });
        const result = await cloneInstance({ ...request, inFlight, signal: this.opts.signal }, (p) => progress.emit(p));
        await this.stack.setConfig(EPOCH_KEY, { value: `${result.completed} ${result.id}`.trim() });
        return result;
    }

    /** Replaces the progress listener for the operations that follow (e.g. one display per phase). */
    setProgressListener(listener: ProgressListener | undefined): void {
        this.opts = { ...this.opts, onProgress: listener };
    }

    /** Shows what an apply would change, without writing anything. */
    async preview(options: { refresh?: boolean } = {}): Promise<PreviewResult> {
        const progress = new ProgressTranslator(this.opts.onProgress);
        progress.emit({ kind: "stage", message: `Previewing ${this.environment}` });
        await this.preflight();
        const { result, events } = await this.run("preview", progress, (onEvent) =>
            this.stack.preview({
                onEvent,
                signal: this.opts.signal,
                refresh: options.refresh,
                ...(options.refresh ? { runProgram: true } : {}),
            }),
        );
        const drift = new Map(driftFromEvents(events).resources.map((r) => [r.urn, r]));
        const planned: PlannedChange[] = [];
        for (const e of events) {
            const m = e.resourcePreEvent?.metadata;
            if (!m || m.op === "same" || m.op === "refresh" || m.type === "pulumi:pulumi:Stack") continue;
            if (m.type.startsWith("pulumi:providers:")) continue;
            const found = drift.get(m.urn)?.properties ?? [];
            const engine = (m.diffs ?? []).filter((d) => !d.startsWith("__"));
            planned.push({
                urn: m.urn,
                type: m.type.slice(m.type.lastIndexOf(":") + 1),
                name: m.urn.slice(m.urn.lastIndexOf("::") + 2),
                op: m.op,
                properties: found.length > 0 ? found.map((p) => p.path) : engine,
                detailedDiff: Object.fromEntries(
                    found.map((p) => [
                        p.path,
                        {
                            kind: p.actual === undefined ? "add" : p.expected === undefined ? "delete" : "update",
                            declared: p.expected,
                            live: p.actual,
                        },
                    ]),
                ),
            });
        }
        return { environment: this.environment, changes: withoutProviders(result.changeSummary, events), planned };
    }

    /**
     * Reads every resource back from the instance and reports what differs from what the stack declares now, per
     * resource and property: a preview with refresh (which writes nothing, not even state), judged on its planned
     * steps, run with the current stack config. A hand edit already absorbed into state by a `pulumi refresh` is
     * still drift, because it still differs from the declaration.
     */
    async drift(): Promise<DriftReport> {
        const progress = new ProgressTranslator(this.opts.onProgress);
        progress.emit({ kind: "stage", message: `Checking ${this.environment} for drift` });
        await this.preflight();
        const { events } = await this.run("drift check", progress, (onEvent) =>
            this.stack.preview({ refresh: true, runProgram: true, onEvent, signal: this.opts.signal }),
        );
        const { checked, resources } = driftFromEvents(events);
        return {
            environment: this.environment,
            drifted: resources.length > 0,
            checked,
            resources,
            checkedAt: new Date().toISOString(),
        };
    }

    /** Removes the environment's resources, which puts back what they changed on the instance. */
    async destroy(): Promise<{ environment: string; changes: OpMap }> {
        const progress = new ProgressTranslator(this.opts.onProgress);
        progress.emit({ kind: "stage", message: `Destroying ${this.environment}` });
        await this.preflight();
        // --run-program: the providers are configured from the current stack config (a rotated password, a new URL,
        // a changed productionInstances), not from what the last update saw.
        const { result, events } = await this.run("destroy", progress, (onEvent) =>
            this.stack.destroy({ onEvent, signal: this.opts.signal, runProgram: true }),
        );
        return {
            environment: this.environment,
            changes: withoutProviders(result.summary.resourceChanges ?? {}, events),
        };
    }

    /**
     * The environment's past operations, newest first, numbered from 1 (the first operation) upwards.
     *
     * The file backend records no version numbers (every entry says 0), so the numbering is the entry's position in
     * the whole history; a backend that numbers its updates keeps its own numbers.
     */
    async history(limit = 20): Promise<HistoryEntry[]> {
        const entries: UpdateSummary[] = await this.stack.history();
        const oldestFirst = [...entries].sort(
            (a, b) => new Date(a.startTime).getTime() - new Date(b.startTime).getTime(),
        );
        const numbered = oldestFirst.some((h) => h.version > 0);
        return oldestFirst
            .map((h, i) => ({ h, version: numbered ? h.version : i + 1 }))
            .reverse()
            .slice(0, limit)
            .map(({ h, version }) => ({
                version,
                kind: h.kind,
                result: h.result,
                startTime: new Date(h.startTime).toISOString(),
                ...(h.endTime ? { endTime: new Date(h.endTime).toISOString() } : {}),
                message: h.message,
                changes: h.resourceChanges ?? {},
            }));
    }

    /** Removes the scratch copy of an isolated session (the stack and its state stay in the backend). */
    async close(): Promise<void> {
        if (this.scratch) fs.rmSync(this.scratch, { recursive: true, force: true });
    }

    /**
     * Checks the target connection with the current stack config before the engine runs: a missing setting, an
     * unreachable instance or a live instance the fence refuses fails here, named for what it is, before any
     * resource (or clone lookup) runs.
     */
    private async preflight(): Promise<void> {
        const settings = await this.connectionSettings();
        try {
            await preflightTarget(settings);
        } catch (err) {
            if (err instanceof UnsafeTargetError) throw err;
            if (err instanceof ConnectionConfigError) {
                throw new EnvironmentConfigError(`${this.environment}: ${err.message}`, [err.message], { cause: err });
            }
            if (err instanceof ServiceNowError) {
                throw new EnvironmentOperationError(`${this.environment}: ${err.message}`, [err.message], {
                    cause: err,
                });
            }
            throw err;
        }
    }

    /** The stack's `servicenow:*` settings now (secrets decrypted), with the environment variables as fallbacks. */
    private async connectionSettings(): Promise<Map<string, string>> {
        return connectionSettings(await this.stack.getAllConfig(), this.opts.envVars);
    }

    /** Runs one engine operation, translating its events and turning a failure into a typed error. */
    private async run<T>(
        what: string,
        progress: ProgressTranslator,
        op: (onEvent: (e: EngineEvent) => void) => Promise<T>,
    ): Promise<{ result: T; events: EngineEvent[] }> {
        const events: EngineEvent[] = [];
        try {
            const result = await op((e) => {
                events.push(e);
                progress.handle(e);
            });
            return { result, events };
        } catch (err) {
            const failure = typedFailure(`${what} of ${this.environment}`, events, err);
            if (failure instanceof EnvironmentOperationError) throw await this.explainFirstRun(failure);
            throw failure;
        }
    }

    /**
     * A failure on an instance that was never cloned (an allow-list matching nothing because the instance still holds
     * its own data, or no clone to attach to) is reported as what it is, with the way out.
     */
    private async explainFirstRun(failure: EnvironmentOperationError): Promise<EnvironmentOperationError> {
        const settings = await this.connectionSettings().catch(() => undefined);
        const cloned = settings ? await hasCompletedClone(settings) : undefined;
        if (cloned !== false) return failure;
        const target = settings?.get("servicenow:instanceName") ?? this.environment;
        const source = settings?.get("servicenow:sourceInstanceName") ?? "the source";
        return new EnvironmentConfigError(
            `${target} has not been cloned from ${source} yet (the source has no completed clone into it), and the ` +
                `stack expects what a clone brings (the records its allow-lists name, a clone to follow); clone it first: ` +
                `sn-clone apply ${this.environment} --clone\n` +
                `What failed:\n${(failure.diagnostics.length > 0 ? failure.diagnostics : [failure.message]).join("\n")}`,
            failure.diagnostics,
            { cause: failure },
        );
    }

    /**
     * The stack's plan for the work in flight on the target (environment:clone, environment:inFlight,
     * environment:plugins), validated before anything is written: a bad key fails here, not after the clone.
     */
    private async inFlightPlan(
        requireNoLoss: boolean | undefined,
        progress: ProgressTranslator,
    ): Promise<InFlightPlan> {
        const config = await this.stack.getAllConfig();
        const values = Object.fromEntries(Object.entries(config).map(([k, v]) => [k, v.value]));
        const parsed = parseEnvironmentConfig(environmentKeys(values));
        if (!parsed.ok) {
            const problems = parsed.problems.map((p) => `${p.key}: ${p.reason}`);
            throw new EnvironmentConfigError(
                `${this.environment}: the stack config is invalid, so no clone was requested:\n${formatProblems(parsed.problems)}`,
                problems,
            );
        }
        const env = parsed.config;
        if (env.clone?.mode === "request") {
            // The stack's CloneRun requests its own clone (with its loss report and change control) when it is
            // created or replaced; a --clone on top would request a second one into the same target.
            throw new EnvironmentConfigError(
                `${this.environment}: environment:clone.mode is "request", so the stack's CloneRun requests the ` +
                    `clone itself and --clone would request a second one; no clone was requested. Run ` +
                    `\`sn-clone apply ${this.environment}\` without --clone, or set environment:clone.mode to "attach"`,
                ['environment:clone.mode: "request" cannot go with --clone'],
            );
        }
        if (env.plugins?.captureBeforeClone) {
            progress.emit({
                kind: "stage",
                message:
                    "environment:plugins.captureBeforeClone records the target's plugins only in a clone the stack " +
                    'requests (environment:clone mode "request"); this clone carries environment:plugins.activate only',
            });
        }
        const carried = carriedByClone(env);
        return {
            requireNoLoss: requireNoLoss === true || env.clone?.requireNoLoss === true,
            parkUpdateSets: carried.parkUpdateSets,
            carriedPlugins: carried.carriedPlugins,
            pollSeconds: env.inFlight?.pollSeconds ?? 5,
            timeoutMinutes: env.inFlight?.timeoutMinutes ?? 60,
            settings: await this.connectionSettings(),
        };
    }

    private async cloneRequest(settings: CloneSettings): Promise<CloneRequest> {
        const config = await this.stack.getAllConfig();
        // Each setting: the caller's override, else stack config servicenow:<key>, else the environment variable.
        // Key and variable are named once, so the error can never point at a different one than was read.
        const setting = (override: string | undefined, key: string, env: string): string => {
            const value =
                override ?? (config[`servicenow:${key}`]?.value || this.opts.envVars?.[env] || process.env[env]);
            if (value) return value;
            throw new EnvironmentConfigError(
                `cloning needs servicenow:${key} (or ${env}); set it with \`pulumi config set servicenow:${key} ...${key.endsWith("Password") ? " --secret" : ""}\``,
                [],
            );
        };
        return {
            sourceUrl: setting(settings.sourceUrl, "sourceInstanceUrl", "SERVICENOW_SOURCE_INSTANCE_URL"),
            sourceUsername: setting(settings.sourceUsername, "sourceUsername", "SERVICENOW_SOURCE_USERNAME"),
            sourcePassword: setting(settings.sourcePassword, "sourcePassword", "SERVICENOW_SOURCE_PASSWORD"),
            sourceInstanceName: setting(
                settings.sourceInstanceName,
                "sourceInstanceName",
                "SERVICENOW_SOURCE_INSTANCE_NAME",
            ),
            targetInstanceName: setting(settings.targetInstanceName, "instanceName", "SERVICENOW_INSTANCE_NAME"),
            ...(settings.timeoutMs !== undefined ? { timeoutMs: settings.timeoutMs } : {}),
            ...(settings.pollMs !== undefined ? { pollMs: settings.pollMs } : {}),
            ...(settings.allowInsecureHttp !== undefined ? { allowInsecureHttp: settings.allowInsecureHttp } : {}),
        };
    }
}

/**
 * Turns a failed engine operation into the error a caller can act on: {@link UnsafeTargetError} when the production
 * fence refused, {@link EnvironmentConfigError} for check failures, else {@link EnvironmentOperationError}.
 *
 * The provider runs in another process, so its error class only survives as text in the engine's diagnostics; this
 * is the one place that reads it.
 */
export function typedFailure(what: string, events: readonly EngineEvent[], err: unknown): Error {
    const diagnostics = events
        .map((e) => e.diagnosticEvent)
        .filter((d) => d && d.severity === "error")
        .map((d) => stripAnsi(d!.message).trim())
        .filter((m) => m.length > 0);
    // The engine shows a provider error by its message; the fence's messages all start "refusing to write".
    const isUnsafe = (l: string) => l.includes("UnsafeTargetError") || /^(error: )?refusing to write\b/.test(l.trim());
    const unsafe = diagnostics.find((m) => m.split("\n").some(isUnsafe));
    if (unsafe) {
        const line = (unsafe.split("\n").find(isUnsafe) ?? unsafe).trim().replace(/^error: /, "");
        const at = line.indexOf("UnsafeTargetError");
        const message = (at >= 0 ? line.slice(at) : line).replace(/^UnsafeTargetError:\s*/, "");
        return new UnsafeTargetError(message, { cause: err });
    }
    const checks = diagnostics
        .filter((m) => m.includes("has a problem") || m.includes("EnvironmentConfig"))
        .map(compactCheckFailure);
    if (checks.length > 0) {
        return new EnvironmentConfigError(
            `${what} failed: the stack config is invalid:\n${checks.join("\n")}`,
            checks,
            {
                cause: err,
            },
        );
    }
    if (err instanceof Error && err.name === "AbortError") return err;
    const shown = diagnostics.length > 0 ? diagnostics.join("\n") : engineFailureText(err);
    return new EnvironmentOperationError(`${what} failed:\n${shown}`, diagnostics, { cause: err });
}

/**
 * A check failure as the engine prints it, without the engine's wrapping: `pulumi-nodejs:dynamic/servicenow:UserLockout
 * resource 'access': property scope value {…} has a problem: <reason>` becomes `UserLockout "access" scope: <reason>`.
 * The engine prints the value in its own notation (`{[{a} {b}]}`); the reason already names it as written.
 */
export function compactCheckFailure(line: string): string {
    const m =
        /^(?:error: )?(\S+) resource '([^']*)'(?:: property (\S+) value .*? has a problem| has a problem): ([\s\S]*)$/.exec(
            line.trim(),
        );
    if (!m) return line;
    const [, type, name, property, reason] = m as unknown as [string, string, string, string | undefined, string];
    return `${shortType(type)} "${name}"${property ? ` ${property}` : ""}: ${reason}`;
}

/**
 * What the engine printed on its way out, without the Automation API's wrapping (`code: … stdout: … stderr: Command
 * failed with exit code …: /path/to/pulumi up …`), which names the engine's command line rather than the problem.
 */
export function engineFailureText(err: unknown): string {
    const result = (err as { commandResult?: { stderr?: string; code?: number } } | undefined)?.commandResult;
    const raw = result?.stderr ?? (err instanceof Error ? err.message : String(err));
    const lines = stripAnsi(raw)
        .split("\n")
        .map((l) => l.trimEnd())
        .filter((l) => l.trim() !== "")
        .filter((l) => !/^\s*(code|stdout|stderr|err\?):/.test(l))
        .filter((l) => !/Command failed with exit code|\/bin\/pulumi\b|--non-interactive|--exec-kind/.test(l));
    if (lines.length > 0) return lines.slice(0, 12).join("\n");
    const code = result?.code;
    return `the Pulumi engine stopped without saying why${code !== undefined ? ` (exit code ${code})` : ""}; run again with --verbose to see its messages`;
}

/** The steps of one replacement, which the engine counts once as `replace`. */
const REPLACE_STEPS = new Set(["replace", "create-replacement", "delete-replaced", "discard-replaced"]);

/**
 * The engine's change counts without provider resources. The explicit provider (sdk/servicenow-provider.ts) is
 * bookkeeping, like the default provider the engine never counts, so "9 created" still means the stack and its
 * resources. Counted from the steps the events report (the engine hides an unchanged provider's step but counts it);
 * the engine's own counts are kept when the events carry no steps.
 */
export function withoutProviders(changes: OpMap, events: readonly EngineEvent[]): OpMap {
    const ops = new Map<string, string>();
    for (const e of events) {
        const m = e.resourcePreEvent?.metadata ?? e.resOutputsEvent?.metadata;
        if (!m || m.type.startsWith("pulumi:providers:") || m.op === "refresh" || m.op === "read") continue;
        // The outputs event of a step repeats its pre event's op; the first one seen per URN is the step's.
        const op = REPLACE_STEPS.has(m.op) ? "replace" : m.op;
        if (!ops.has(m.urn) || op === "replace") ops.set(m.urn, op);
    }
    if (ops.size === 0) return changes;
    const out: Record<string, number> = {};
    for (const op of ops.values()) out[op] = (out[op] ?? 0) + 1;
    return out as OpMap;
}

function secondsBetween(start: Date | string, end: Date | string | undefined): number {
    if (!end) return 0;
    return Math.max(0, (new Date(end).getTime() - new Date(start).getTime()) / 1000);
}

/**
 * A scratch copy starts from the committed stack file, which lacks the clone epoch an earlier session recorded; the
 * program exports it, so it is taken back from the stack's outputs (else every resource would re-assert needlessly).
 */
async function carryCloneEpoch(stack: Stack): Promise<void> {
    const config = await stack.getAllConfig();
    if (config[EPOCH_KEY]) return;
    const outputs = await stack.outputs();
    const epoch = outputs.cloneEpoch?.value;
    if (typeof epoch === "string" && epoch) await stack.setConfig(EPOCH_KEY, { value: epoch });
}

const EPOCH_KEY = "environment:cloneEpoch";

/**
 * Copies the project's Pulumi.yaml (with `main` pointing back at the compiled program) and the environment's stack
 * file into a scratch directory.
 */
function stageProject(projectDir: string, environment: string): string {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), `sn-clone-${environment}-`));
    const yaml = fs.readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8");
    const main = /^main:\s*(.+)$/m.exec(yaml)?.[1]?.trim() ?? ".";
    const configDir = /^stackConfigDir:\s*(.+)$/m.exec(yaml)?.[1]?.trim();
    const staged = yaml
        .replace(/^main:.*$/m, `main: ${path.resolve(projectDir, main)}`)
        .replace(/^stackConfigDir:.*$/m, "stackConfigDir: stacks");
    fs.writeFileSync(
        path.join(scratch, "Pulumi.yaml"),
        /^main:/m.test(staged) ? staged : `${staged}\nmain: ${path.resolve(projectDir, main)}\n`,
    );
    fs.mkdirSync(path.join(scratch, "stacks"));
    const stackFile = path.join(projectDir, configDir ?? ".", `Pulumi.${environment}.yaml`);
    if (fs.existsSync(stackFile)) {
        // Without the encryption salt: secrets set in this session are encrypted with the session's passphrase.
        const text = fs
            .readFileSync(stackFile, "utf8")
            .replace(/^(encryptionsalt|secretsprovider|encryptedkey):.*\n/gm, "");
        fs.writeFileSync(path.join(scratch, "stacks", `Pulumi.${environment}.yaml`), text);
    }
    return scratch;
}

/** A scratch project outside the package still resolves the package and @pulumi/pulumi from the package. */
function scratchEnv(scratch: string | undefined): Record<string, string> {
    if (!scratch) return {};
    const modules = path.resolve(packageRoot, "..");
    const own = path.join(packageRoot, "node_modules");
    const existing = process.env.NODE_PATH ? [process.env.NODE_PATH] : [];
    return {
        NODE_PATH: [own, path.basename(modules) === "node_modules" ? modules : "", ...existing]
            .filter(Boolean)
            .join(path.delimiter),
    };
}

/**
 * Opens an environment, runs `fn` on it, and closes it whatever happens.
 *
 * @example await withEnvironment({ environment: "qa" }, (env) => env.apply({ clone: true }));
 */
export async function withEnvironment<T>(
    opts: EnvironmentOptions,
    fn: (env: EnvironmentSession) => Promise<T>,
): Promise<T> {
    const env = await EnvironmentSession.open(opts);
    try {
        return await fn(env);
    } finally {
        await env.close();
    }
}

/** Applies an environment (see {@link EnvironmentSession.apply}). */
export function applyEnvironment(opts: EnvironmentOptions & ApplyOptions): Promise<ApplyResult> {
    return withEnvironment(opts, (env) => env.apply(opts));
}

/** Previews an environment (see {@link EnvironmentSession.preview}). */
export function previewEnvironment(opts: EnvironmentOptions & { refresh?: boolean }): Promise<PreviewResult> {
    return withEnvironment(opts, (env) => env.preview(opts));
}

/** Checks an environment for drift (see {@link EnvironmentSession.drift}). */
export function detectDrift(opts: EnvironmentOptions): Promise<DriftReport> {
    return withEnvironment(opts, (env) => env.drift());
}

/** Destroys an environment's resources (see {@link EnvironmentSession.destroy}). */
export function destroyEnvironment(opts: EnvironmentOptions): Promise<{ environment: string; changes: OpMap }> {
    return withEnvironment(opts, (env) => env.destroy());
}

/** An environment's history (see {@link EnvironmentSession.history}). */
export function environmentHistory(opts: EnvironmentOptions & { limit?: number }): Promise<HistoryEntry[]> {
    return withEnvironment(opts, (env) => env.history(opts.limit));
}
