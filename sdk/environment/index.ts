/**
 * The config-driven environment: one stack per non-production instance, its post-clone checklist described entirely
 * by the stack's `environment:*` config and converged by the typed resource classes.
 */
import * as pulumi from "@pulumi/pulumi";
import { packageShimProvider } from "../../provider/pulumi/shim";
import type { ChangeClosure } from "../change-closure";
import { CloneRun } from "../clone-run";
import { DataMasking } from "../data-masking";
import { EmailPolicy } from "../email-policy";
import { InFlightWork } from "../in-flight-work";
import { InstanceBranding } from "../instance-branding";
import { IntegrationEndpoints } from "../integration-endpoints";
import { LdapServerState } from "../ldap-server-state";
import { MidServerState } from "../mid-server-state";
import { PluginState } from "../plugin-state";
import { PostCloneChecks } from "../post-clone-checks";
import { ScheduledJobState } from "../scheduled-job-state";
import { servicenowProvider } from "../servicenow-provider";
import { SystemProperty } from "../system-property";
import { UserLockout } from "../user-lockout";
import { carriedByClone } from "./carried";
import { closeChangeAfter, governanceOf } from "./change";
import { type EnvironmentConfig, environmentKeys, parseEnvironmentConfig } from "./config";
import { maskingArgs } from "./masking";

export * from "./config";

/** The resources an environment declares, by checklist item (absent: the item is not managed). */
export interface Environment {
    /** The clone the checklist follows, when `clone` is configured. */
    clone?: CloneRun;
    branding?: InstanceBranding;
    email?: EmailPolicy;
    access?: UserLockout;
    ldap?: LdapServerState;
    jobs?: ScheduledJobState;
    midServers?: MidServerState;
    integrations?: IntegrationEndpoints;
    masking?: DataMasking;
    properties: SystemProperty[];
    /** Closes the governed clone's change once the checklist converged, when `change` is configured. */
    changeClosure?: ChangeClosure;
    /** The verification gate, when `verify` is configured; it runs after every other item. */
    verify?: PostCloneChecks;
    plugins?: PluginState;
    inFlight?: InFlightWork;
}

/**
 * A resource whose only job is to fail `check` with one failure per bad `environment:*` key, so a config mistake is
 * reported by the engine (naming the key, the value received and the fix) and nothing is written.
 */
export class EnvironmentConfigCheck extends pulumi.dynamic.Resource {
    constructor(name: string, rawConfig: Record<string, unknown>, opts?: pulumi.CustomResourceOptions) {
        super(
            packageShimProvider("sdk/environment/config-provider", "environmentConfigProvider"),
            name,
            { config: rawConfig },
            opts,
            "servicenow",
            "EnvironmentConfig",
        );
    }
}

/**
 * Declares every checklist item the config names, each as one resource on the target connection.
 *
 * @param config a validated environment (see {@link parseEnvironmentConfig}).
 * @param opts options for every resource, e.g. `{ dependsOn: cloneRun }`.
 * @example
 * const env = defineEnvironment({ email: { sending: false, receiving: false }, access: { allowRoles: ["admin"] } });
 */
export function defineEnvironment(config: EnvironmentConfig, opts?: pulumi.CustomResourceOptions): Environment {
    const env: Environment = { properties: [] };
    if (config.clone) {
        env.clone = new CloneRun(
            "clone",
            { ...config.clone, ...governanceOf(config), ...carriedByClone(config) },
            opts,
        );
        // Every checklist resource waits for the clone, so a requested clone completes before the policy is applied.
        opts = { ...opts, dependsOn: [env.clone] };
    }
    // cloneEpoch goes to every resource: a new clone makes each re-assert its policy even if its inputs are unchanged.
    const epochValue = env.clone ? env.clone.epoch : config.cloneEpoch;
    const epoch = epochValue !== undefined ? { cloneEpoch: epochValue } : {};
    if (config.branding) env.branding = new InstanceBranding("branding", { ...config.branding, ...epoch }, opts);
    if (config.email) env.email = new EmailPolicy("email", { ...config.email, ...epoch }, opts);
    if (config.midServers) env.midServers = new MidServerState("mid-servers", { ...config.midServers, ...epoch }, opts);
    if (config.access) {
        // MidServerState creates the MID users and grants their role; run in parallel, the lockout could survey the
        // users before they exist (allowedCount 8, then 9 at the next refresh) or, worse, lock one out.
        const after = env.midServers ? { ...opts, dependsOn: [...dependencies(opts), env.midServers] } : opts;
        env.access = new UserLockout("access", { ...config.access, ...epoch }, after);
    }
    if (config.ldap) env.ldap = new LdapServerState("ldap", { ...config.ldap, ...epoch }, opts);
    if (config.jobs) env.jobs = new ScheduledJobState("jobs", { ...config.jobs, ...epoch }, opts);
    if (config.integrations) {
        env.integrations = new IntegrationEndpoints("integrations", { ...config.integrations, ...epoch }, opts);
    }
    if (config.masking) env.masking = new DataMasking("masking", { ...maskingArgs(config.masking), ...epoch }, opts);
    for (const [name, value] of Object.entries(config.properties ?? {})) {
        env.properties.push(new SystemProperty(`property-${name}`, { name, value, ...epoch }, opts));
    }
    defineInFlight(env, config, epoch, opts);
    if (config.verify) env.verify = definePostCloneChecks(config, env, epoch, opts);
    // The change closes after the checklist converged and, where declared, the verification gate passed.
    env.changeClosure = closeChangeAfter(config, env, [...checklistItems(env), ...(env.verify ? [env.verify] : [])]);
    return env;
}

/** Every checklist resource the environment declared (the gate and the change closure wait for all of them). */
function checklistItems(env: Environment): pulumi.Resource[] {
    const items = [
        env.branding,
        env.email,
        env.access,
        env.ldap,
        env.jobs,
        env.midServers,
        env.integrations,
        env.masking,
        env.plugins,
        env.inFlight,
    ];
    return [...items.filter((r): r is NonNullable<typeof r> => r !== undefined), ...env.properties];
}

/** The gate runs last: it judges what the other items converged, against their own policy. */
function definePostCloneChecks(
    config: EnvironmentConfig,
    env: Environment,
    epoch: { cloneEpoch?: pulumi.Input<string> },
    opts: pulumi.CustomResourceOptions | undefined,
): PostCloneChecks {
    const dependsOn = [...dependencies(opts), ...checklistItems(env)];
    return new PostCloneChecks(
        "verify",
        {
            environment: config.label ?? pulumi.getStack(),
            ...config.verify,
            productionHosts: config.integrations?.productionHosts ?? [],
            ...(config.access ? { access: config.access } : {}),
            ...(config.jobs ? { jobs: config.jobs } : {}),
            ...epoch,
        },
        { ...opts, dependsOn },
    );
}

/** PluginState first, then InFlightWork after it: a set that needs a plugin finds it active. */
function defineInFlight(
    env: Environment,
    config: EnvironmentConfig,
    epoch: { cloneEpoch?: pulumi.Input<string> },
    opts: pulumi.CustomResourceOptions | undefined,
): void {
    if (config.plugins) {
        const { activate, captureBeforeClone, ...rest } = config.plugins;
        const captured = captureBeforeClone && env.clone ? env.clone.pluginsBeforeClone : undefined;
        const plugins = captured
            ? pulumi.all([activate, captured]).apply(([a, c]) => [...new Set([...a, ...(c ?? [])])])
            : activate;
        env.plugins = new PluginState("plugins", { ...rest, plugins, ...epoch }, opts);
    }
    if (config.inFlight) {
        const { park: _park, ...rest } = config.inFlight;
        const after = env.plugins ? { ...opts, dependsOn: [...dependencies(opts), env.plugins] } : opts;
        env.inFlight = new InFlightWork("in-flight", { ...rest, ...epoch }, after);
    }
}

/** The resources `opts.dependsOn` names, as an array. */
function dependencies(opts: pulumi.CustomResourceOptions | undefined): pulumi.Input<pulumi.Resource>[] {
    const d = opts?.dependsOn;
    if (d === undefined) return [];
    return Array.isArray(d) ? d : [d as pulumi.Input<pulumi.Resource>];
}

/**
 * The environment program: reads `environment:*` from the stack config, declares its checklist and returns the
 * stack outputs. With a config mistake it declares only {@link EnvironmentConfigCheck}, whose check failures name
 * each bad key, so nothing is written.
 */
export function environmentProgram(): Record<string, pulumi.Output<unknown> | unknown> {
    const raw = environmentKeys(pulumi.runtime.allConfig());
    const parsed = parseEnvironmentConfig(raw);
    // The explicit provider keeps the stack config out of state (the default provider would record all of it).
    const provider = servicenowProvider();
    if (!parsed.ok) {
        new EnvironmentConfigCheck("environment-config", raw, { provider });
        return {};
    }
    const env = defineEnvironment(parsed.config, { provider });
    return {
        environment: parsed.config.label ?? pulumi.getStack(),
        instanceName: new pulumi.Config("servicenow").get("instanceName"),
        // Release tooling reads it back when it runs from a copy of the project without the stack file's value.
        ...(env.clone
            ? { cloneEpoch: env.clone.epoch, clonedAt: env.clone.completedAt }
            : parsed.config.cloneEpoch
              ? { cloneEpoch: parsed.config.cloneEpoch }
              : {}),
        ...(env.access ? { lockedUsers: env.access.lockedCount, allowedUsers: env.access.allowedCount } : {}),
        ...(env.jobs ? { deactivatedJobs: env.jobs.deactivatedCount, allowedJobs: env.jobs.allowedCount } : {}),
        ...(env.ldap ? { ldapServers: env.ldap.serverNames } : {}),
        ...(env.midServers ? { downMidServers: env.midServers.downMidServers } : {}),
        ...(env.integrations ? { rewrittenEndpoints: env.integrations.rewrittenCount } : {}),
        ...(env.verify ? { verified: env.verify.passed, verifyFindings: env.verify.findings } : {}),
        ...(env.masking ? { maskedRecords: env.masking.maskedCount, unmaskedRecords: env.masking.unmaskedCount } : {}),
    };
}
