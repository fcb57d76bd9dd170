/**
 * Reads the stack's `servicenow:*` config at run time, from inside the dynamic-provider process, so connection
 * settings and credentials never have to travel through state.
 *
 * Why: Pulumi's default provider for dynamic resources receives the whole stack config as its inputs, and the engine
 * records a provider's inputs in state (secrets encrypted). The environment program therefore registers an explicit
 * provider whose only input is the stack's name ({@link STACK_MARKER}); its `configure()` gets nothing secret, and the
 * settings are read here, from the stack config as it is at this moment, through the Pulumi CLI that runs the
 * operation (`pulumi config --show-secrets --json`, in the project directory the engine starts providers in). A
 * rotated password or a new instance URL therefore takes effect on the next refresh, drift check or destroy, with or
 * without `--run-program`.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { ConnectionConfigError } from "./errors";

/** The one input of the explicit provider: the stack whose config the provider reads. Not a connection setting. */
export const STACK_MARKER = "servicenow:configFromStack";

/**
 * The environment variable naming the project directory, set by release tooling that runs a project from a scratch
 * copy (sdk/automation). Without it the provider's working directory is used: the engine starts providers in the
 * program's directory, and `pulumi config` finds the project's Pulumi.yaml from there.
 */
export const PROJECT_DIR_ENV = "PULUMI_SERVICENOW_PROJECT_DIR";

/** How long the CLI may take to print the config. */
const TIMEOUT_MS = 60_000;

/** One read per stack and directory for the life of the provider process (every resource type configures once). */
const reads = new Map<string, Promise<Record<string, string>>>();

/**
 * {@link readStackConfig}, read once per provider process: the engine starts a new process for every operation, so
 * the config is still read afresh for each refresh, preview, update or destroy.
 */
export function stackConfigOnce(stack: string, cwd: string = projectDir()): Promise<Record<string, string>> {
    const key = `${cwd}\0${stack}`;
    let read = reads.get(key);
    if (!read) {
        read = readStackConfig(stack, cwd);
        // A failure is not cached: the next resource's configure reports it too, rather than a stale rejection.
        read.catch(() => reads.delete(key));
        reads.set(key, read);
    }
    return read;
}

/**
 * The stack's config (secrets in plain text, kept only in this process's memory), by full key.
 *
 * @param stack the stack name (as `pulumi config --stack` takes it).
 * @param cwd the project directory. @default {@link projectDir}
 * @throws ConnectionConfigError naming the stack, what the CLI said, and the environment-variable way out.
 */
export async function readStackConfig(stack: string, cwd: string = projectDir()): Promise<Record<string, string>> {
    const pulumi = process.env.PULUMI_SERVICENOW_CLI ?? "pulumi";
    let stdout: string;
    try {
        ({ stdout } = await promisify(execFile)(pulumi, ["config", "--show-secrets", "--json", "--stack", stack], {
            cwd,
            timeout: TIMEOUT_MS,
            maxBuffer: 16 * 1024 * 1024,
            env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" },
        }));
    } catch (err) {
        const said = String((err as { stderr?: string }).stderr ?? (err as Error).message ?? err)
            .split("\n")
            .map((l) => l.trim())
            .find((l) => l.length > 0 && !l.includes("--show-secrets"));
        throw new ConnectionConfigError(
            `could not read the connection settings of stack ${stack} from its config (pulumi config in ${cwd}: ` +
                `${said ?? "no output"}); make the passphrase available (PULUMI_CONFIG_PASSPHRASE or ` +
                "PULUMI_CONFIG_PASSPHRASE_FILE) or set the SERVICENOW_* environment variables",
        );
    }
    const parsed = JSON.parse(stdout) as Record<string, { value?: unknown; objectValue?: unknown }>;
    const out: Record<string, string> = {};
    for (const [key, entry] of Object.entries(parsed)) {
        const value = entry.value ?? entry.objectValue;
        if (value === undefined || value === null) continue;
        out[key] = typeof value === "string" ? value : JSON.stringify(value);
    }
    return out;
}

/** Where `pulumi config` runs: `$PULUMI_SERVICENOW_PROJECT_DIR`, else the provider process's working directory. */
export function projectDir(): string {
    return process.env[PROJECT_DIR_ENV] || process.cwd();
}
