/**
 * The checks release tooling runs before it hands a stack to the engine: the target connection is complete, and the
 * production fence accepts the live instance (read-only: one query of its `instance_name`).
 *
 * The engine runs resources in parallel, so without this the first error a user sees is whichever resource failed
 * first (a clone lookup, an allow-list check) rather than the cause: a wrong `servicenow:instanceName` or a missing
 * password. Settings are the stack's current config (secrets decrypted by the CLI) with the environment variables as
 * fallbacks, exactly as the providers resolve them.
 */
import { ServiceNowClient } from "../../provider/client/client";
import { configureConnections, connectionOptions, resetConnections, settingKeys } from "../../provider/connection";
import { ConnectionConfigError } from "../../provider/errors";
import { assertSafeTarget } from "../../provider/fence";

/** Stack config as the Automation API returns it (`pulumi config --show-secrets --json`). */
export type PlainConfig = Record<string, { value: string; secret?: boolean } | undefined>;

/** The shared settings and their environment variables (the per-connection ones come from `settingKeys`). */
const SHARED_ENV: Record<string, string> = {
    "servicenow:productionInstances": "SERVICENOW_PRODUCTION_INSTANCES",
    "servicenow:allowInsecureHttp": "SERVICENOW_ALLOW_INSECURE_HTTP",
};

/**
 * The `servicenow:*` settings of a stack: its config first, else the environment variable of each setting (from
 * `env`, else this process's environment).
 *
 * @param config the stack's config, secrets in plain text.
 * @param env extra environment variables the engine will also see (e.g. `SERVICENOW_PASSWORD` from a pipeline).
 */
export function connectionSettings(
    config: PlainConfig,
    env: Record<string, string | undefined> = {},
): Map<string, string> {
    const out = new Map<string, string>();
    const pick = (key: string, envName: string) => {
        const value = config[key]?.value || env[envName] || process.env[envName];
        if (value) out.set(key, value);
    };
    // The holding connection too: a requested clone parks work in flight there (sdk/automation/clone.ts).
    for (const connection of ["target", "source", "holding"] as const) {
        for (const setting of [
            "instanceUrl",
            "username",
            "password",
            "clientId",
            "clientSecret",
            "instanceName",
        ] as const) {
            const keys = settingKeys(connection, setting);
            pick(keys.config, keys.env);
        }
    }
    for (const [key, envName] of Object.entries(SHARED_ENV)) pick(key, envName);
    return out;
}

/**
 * Checks the target connection before any engine operation: complete settings, and a live instance the fence would
 * let the stack write.
 *
 * @param settings from {@link connectionSettings}.
 * @throws ConnectionConfigError naming the config key and environment variable of the first missing setting.
 * @throws UnsafeTargetError when the live instance is not the declared target or is a production instance.
 * @throws ServiceNowError subclasses when the instance cannot be reached or refuses the credentials.
 */
export async function preflightTarget(settings: ReadonlyMap<string, string>): Promise<{ liveName: string }> {
    // connectionOptions also reads process.env; the settings already folded it in, so the result is the same.
    configureConnections({ get: (key: string) => settings.get(key), require: requireFrom(settings) });
    let client: ServiceNowClient;
    try {
        const options = connectionOptions("target");
        client = new ServiceNowClient({ ...options, retries: 2 });
        const liveName = await client.liveInstanceName();
        assertSafeTarget(
            {
                connection: "target",
                url: options.url,
                declaredName: options.instanceName,
                productionInstances: options.productionInstances ?? [],
            },
            liveName,
        );
        return { liveName };
    } finally {
        resetConnections();
    }
}

/**
 * Whether the source reports a completed clone into the target (`sn_instance_clone_request`), or undefined when the
 * source connection is not configured or cannot say. Used to name the cause when a first apply fails on an instance
 * that still holds its own data (an allow-list that matches nothing there).
 */
export async function hasCompletedClone(settings: ReadonlyMap<string, string>): Promise<boolean | undefined> {
    const target = settings.get("servicenow:instanceName");
    if (!target) return undefined;
    configureConnections({ get: (key: string) => settings.get(key), require: requireFrom(settings) });
    try {
        const client = new ServiceNowClient({ ...connectionOptions("source"), retries: 1 });
        const instances = await client.query("instance", {
            query: `instance_name=${target}`,
            fields: ["sys_id"],
            limit: 1,
        });
        const id = instances[0]?.sys_id;
        if (!id) return false;
        const done = await client.query("sn_instance_clone_request", {
            query: `target_instance=${id}^state=Completed`,
            fields: ["sys_id"],
            limit: 1,
        });
        return done.length > 0;
    } catch (err) {
        if (err instanceof ConnectionConfigError) return undefined;
        return undefined;
    } finally {
        resetConnections();
    }
}

function requireFrom(settings: ReadonlyMap<string, string>): (key: string) => string {
    return (key) => {
        const value = settings.get(key);
        if (value === undefined) throw new ConnectionConfigError(`missing ${key}`);
        return value;
    };
}
