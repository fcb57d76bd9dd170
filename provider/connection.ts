/**
 * Named connections (`target`, `source`, `holding`) from stack config, with environment-variable fallbacks.
 *
 * Every provider's `configure()` calls {@link configureConnections}; the settings stay in this module's state inside
 * the dynamic-provider process. Nothing here is captured when a provider is serialized, so no credential reaches state.
 */
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import type { Credentials } from "./client/auth";
import { type ClientOptions, ServiceNowClient } from "./client/client";
import { validateUrl } from "./client/transport";
import { watchEngine } from "./crash/engine-watch";
import { ConnectionConfigError, MissingConnectionSettingError, ServiceNowError } from "./errors";
import { type ConnectionName, parseProductionInstances } from "./fence";
import { configureSalt } from "./masking/salt";
import { STACK_MARKER, stackConfigOnce } from "./stack-config";

export type { ConnectionName } from "./fence";

/**
 * The `connection` input of the post-clone resources: which configured instance it acts on, `target` by default.
 */
export const ConnectionInput = z
    .enum(["target", "source"], {
        error: 'connection must be "target" or "source"; use "target" for the instance this stack converges',
    })
    .default("target");

/**
 * The `connection` input of the clone-configuration resources, `source` by default: the configuration lives on the
 * clone's source (production), whose fence allows writes to these tables only.
 */
export const SourceConnectionInput = z
    .enum(["source", "target"], {
        error: 'connection must be "source" (the instance clones are made from) or "target"',
    })
    .default("source");

/** The config keys (under `servicenow:`) and env vars of one setting, for each connection. */
interface SettingKeys {
    config: string;
    env: string;
}

const SETTINGS = ["instanceUrl", "username", "password", "clientId", "clientSecret", "instanceName"] as const;
type Setting = (typeof SETTINGS)[number];

const ENV_SUFFIX: Record<Setting, string> = {
    instanceUrl: "INSTANCE_URL",
    username: "USERNAME",
    password: "PASSWORD",
    clientId: "CLIENT_ID",
    clientSecret: "CLIENT_SECRET",
    instanceName: "INSTANCE_NAME",
};

/** Where a connection setting comes from: `servicenow:<key>` in stack config, else the environment variable. */
export function settingKeys(connection: ConnectionName, setting: Setting): SettingKeys {
    if (connection === "target") return { config: `servicenow:${setting}`, env: `SERVICENOW_${ENV_SUFFIX[setting]}` };
    const cap = setting[0]!.toUpperCase() + setting.slice(1);
    return {
        config: `servicenow:${connection}${cap}`,
        env: `SERVICENOW_${connection.toUpperCase()}_${ENV_SUFFIX[setting]}`,
    };
}

/** Stack-config values remembered by configure(); environment variables are read at call time instead. */
let configured: Record<string, string | undefined> = {};
const clients = new Map<string, ServiceNowClient>();

/** Client tuning that tests and benchmarks may override; not user configuration. */
let tuning: Partial<ClientOptions> = {};

/** Settles when the settings are known: at once, or when the stack config read at run time has arrived. */
let ready: Promise<void> = Promise.resolve();

/**
 * Remembers the `servicenow:*` stack config for this provider process. Called by every provider's configure().
 *
 * @param config the dynamic provider's config: the whole stack config, secrets decrypted.
 */
export function configureConnections(config: pulumi.dynamic.Config): void {
    const stack = config.get(STACK_MARKER);
    if (stack) {
        // The explicit provider (sdk/servicenow-provider.ts) passes only the stack's name: the settings are read from
        // the stack config now, so none of them is ever a provider input kept in state. Every resource type
        // configures once; the stack is read once, and each call remembers the same settings (nothing is cleared in
        // between, so a resource already checking never sees an empty configuration).
        ready = stackConfigOnce(stack).then((all) => remember({ get: (key) => all[key] }));
        ready.catch(() => undefined);
        return;
    }
    ready = Promise.resolve();
    remember(config);
}

/** Resolves when the connection settings are known (see {@link configureConnections}); rejects if they cannot be read. */
export function connectionsReady(): Promise<void> {
    return ready;
}

function remember(config: Pick<pulumi.dynamic.Config, "get">): void {
    const next: Record<string, string | undefined> = {};
    for (const conn of ["target", "source", "holding"] as const) {
        for (const s of SETTINGS) {
            const key = settingKeys(conn, s).config;
            next[key] = config.get(key);
        }
    }
    next["servicenow:productionInstances"] = config.get("servicenow:productionInstances");
    next["servicenow:allowInsecureHttp"] = config.get("servicenow:allowInsecureHttp");
    next["servicenow:allowChangeRequests"] = config.get("servicenow:allowChangeRequests");
    // Every resource type configures once per operation, with the same settings: the clients (and what hangs off
    // them for the operation: the fence's verdict, the dictionary, the allow-lists) are kept then, so the types of
    // one operation share one identity read. Changed settings start afresh.
    const changed = JSON.stringify(next) !== JSON.stringify(configured);
    configured = next;
    // DataMasking's secret lives in stack config beside the connections (read with them, also when the settings come
    // from the stack config at run time); it stays in this process, never in state.
    configureSalt(config);
    if (changed) clients.clear();
}

/**
 * The adapter every provider's `configure()` uses: hands the dynamic provider's stack config to
 * {@link configureConnections}.
 */
export async function configureFromStack(req: { config: pulumi.dynamic.Config }): Promise<void> {
    configureConnections(req.config);
    // Every provider process is configured before its first call: the right moment to start watching the engine.
    watchEngine();
}

/** Overrides client tuning (concurrency, retries, backoff, batch size) for later clients; for tests and benchmarks. */
export function setClientTuning(options: Partial<ClientOptions>): void {
    tuning = options;
    clients.clear();
}

/** Forgets configured settings and cached clients (tests). */
export function resetConnections(): void {
    ready = Promise.resolve();
    configured = {};
    clients.clear();
}

/** Settings given in code (the automation library), taking precedence over stack config and the environment. */
export type ConnectionOverrides = Partial<Record<Setting, string>> & {
    productionInstances?: string;
    allowInsecureHttp?: boolean;
    /** The target instance name clone requests must name (default: the target connection's instanceName). */
    cloneTarget?: string;
};

function lookup(connection: ConnectionName, setting: Setting, overrides?: ConnectionOverrides): string | undefined {
    const keys = settingKeys(connection, setting);
    const v = overrides?.[setting] ?? configured[keys.config] ?? process.env[keys.env];
    return v === undefined || v === "" ? undefined : v;
}

const SHARED_ENV = {
    productionInstances: "SERVICENOW_PRODUCTION_INSTANCES",
    allowInsecureHttp: "SERVICENOW_ALLOW_INSECURE_HTTP",
    allowChangeRequests: "SERVICENOW_ALLOW_CHANGE_REQUESTS",
} as const;

function shared(key: keyof typeof SHARED_ENV): string | undefined {
    const env = SHARED_ENV[key];
    const v = configured[`servicenow:${key}`] ?? process.env[env];
    return v === undefined || v === "" ? undefined : v;
}

/**
 * Resolves a connection's client options from stack config and the environment.
 *
 * @throws ConnectionConfigError naming the config key and the environment variable of the first missing setting.
 */
export function connectionOptions(connection: ConnectionName, overrides?: ConnectionOverrides): ClientOptions {
    const missing = (s: Setting, why: string) => {
        const k = settingKeys(connection, s);
        return new MissingConnectionSettingError(
            `the ${connection} connection has no ${s}${why}; set it with \`pulumi config set ${k.config} ...\`` +
                `${s === "password" || s === "clientSecret" ? " --secret" : ""} or the ${k.env} environment variable`,
        );
    };
    const url = lookup(connection, "instanceUrl", overrides);
    if (!url) throw missing("instanceUrl", "");
    const username = lookup(connection, "username", overrides);
    const password = lookup(connection, "password", overrides);
    const clientId = lookup(connection, "clientId", overrides);
    let credentials: Credentials;
    if (clientId) {
        const clientSecret = lookup(connection, "clientSecret", overrides);
        if (!clientSecret) throw missing("clientSecret", " (OAuth is used because clientId is set)");
        if (username && !password) throw missing("password", " (username is set for the OAuth password grant)");
        credentials = { kind: "oauth", clientId, clientSecret, username, password };
    } else {
        if (!username) throw missing("username", " (or set clientId/clientSecret for OAuth)");
        if (!password) throw missing("password", "");
        credentials = { kind: "basic", username, password };
    }
    const insecure = String(overrides?.allowInsecureHttp ?? shared("allowInsecureHttp") ?? "false").toLowerCase();
    return {
        ...tuning,
        url,
        credentials,
        connection,
        instanceName: lookup(connection, "instanceName", overrides),
        productionInstances: parseProductionInstances(overrides?.productionInstances ?? shared("productionInstances")),
        cloneTarget: overrides?.cloneTarget ?? lookup("target", "instanceName"),
        allowInsecureHttp: insecure === "true" || insecure === "1" || insecure === "yes",
        allowChangeRequests: ["true", "1", "yes"].includes((shared("allowChangeRequests") ?? "").toLowerCase()),
    };
}

/**
 * The client of a named connection, created on first use and reused for the life of the provider process (so the
 * fence reads the instance identity once and the request count covers the run).
 *
 * @param overrides settings given in code (the automation library's clone driver); stack config and the environment
 *   fill in the rest.
 * @throws ConnectionConfigError when the connection is not configured.
 */
export async function clientFor(name: ConnectionName, overrides?: ConnectionOverrides): Promise<ServiceNowClient> {
    await ready;
    const options = connectionOptions(name, overrides);
    // Keyed by the resolved settings: an environment variable changed between calls gives a fresh client.
    const key = JSON.stringify([
        name,
        options.url,
        options.credentials,
        options.instanceName,
        options.productionInstances,
        options.allowInsecureHttp,
        options.allowChangeRequests,
        options.cloneTarget,
    ]);
    let client = clients.get(key);
    if (!client) {
        client = new ServiceNowClient(options);
        clients.set(key, client);
    }
    return client;
}

/** The words a yes/no setting accepts (anything else is a typo that would silently mean "no"). */
const FLAG_WORDS = ["true", "false", "1", "0", "yes", "no"];

/** Settings that need a partner: OAuth's client id its secret, a user name its password. */
const HALF_SET: readonly [Setting, Setting][] = [
    ["clientId", "clientSecret"],
    ["username", "password"],
];

/**
 * What is wrong with a connection's settings, found without contacting the instance: an instance URL that is not an
 * https URL, `productionInstances` that is not valid JSON, half an OAuth client. Settings not given at all are not a
 * problem here (they are reported when the connection is used), so a preview of an unconfigured stack still runs.
 *
 * @returns a sentence naming the config key, the value and the fix; undefined when the settings are sound.
 */
export function connectionProblem(name: ConnectionName): string | undefined {
    const flagProblem = (["allowInsecureHttp", "allowChangeRequests"] as const)
        .map((key) => ({ key, value: shared(key) }))
        .find(({ value }) => value !== undefined && !FLAG_WORDS.includes(value.toLowerCase()));
    if (flagProblem) {
        return (
            `servicenow:${flagProblem.key} (or ${SHARED_ENV[flagProblem.key]}) must be true or false ` +
            `(received ${JSON.stringify(flagProblem.value)})`
        );
    }
    // Half a credential is a mistake whatever the operation: the other half is not coming from anywhere else.
    const partner = HALF_SET.find(([given, needed]) => lookup(name, given) && !lookup(name, needed));
    if (partner) {
        const [given, needed] = partner;
        const keys = settingKeys(name, needed);
        return (
            `the ${name} connection has ${settingKeys(name, given).config} but no ${keys.config}; set it with ` +
            `\`pulumi config set ${keys.config} ...${needed === "password" || needed === "clientSecret" ? " --secret" : ""}\` ` +
            `or the ${keys.env} environment variable`
        );
    }
    let options: ClientOptions;
    try {
        options = connectionOptions(name);
    } catch (e) {
        if (e instanceof MissingConnectionSettingError) return undefined;
        if (e instanceof ServiceNowError) return `the ${name} connection: ${e.message}`;
        throw e;
    }
    try {
        validateUrl(options.url, options.allowInsecureHttp ?? false);
        return undefined;
    } catch (e) {
        if (!(e instanceof ConnectionConfigError)) throw e;
        const keys = settingKeys(name, "instanceUrl");
        return `${keys.config} (or ${keys.env}) of the ${name} connection: ${e.message}`;
    }
}
