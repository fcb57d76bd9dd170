import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { type ConfigMap, LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import { offlineEnv, packageRoot, resolvePulumiCommand } from "../../sdk/toolchain";

/** A stack of a fixture project on its own temporary file backend. */
export interface TempStack {
    stack: Stack;
    /** The file backend's directory (inspect it to prove what state holds). */
    stateDir: string;
    /** All files of the backend concatenated, for "state contains no password" assertions. */
    readState(): string;
    /** The stack's PULUMI_HOME (plugins, credentials, workspace settings, logs). */
    homeDir: string;
    /** Every file of the backend, of PULUMI_HOME and the stack's config file, by path, for "no secret anywhere". */
    files(): Map<string, string>;
}

/**
 * Runs `fn` with a fresh stack of the fixture project in `test/fixtures/<fixture>` on a temporary file backend and
 * PULUMI_HOME, then removes the stack and the temporary directories whatever happened.
 *
 * Integration tests need the compiled program under dist/ (npm test builds it first).
 */
export async function withTempStack<T>(
    fixture: string,
    config: ConfigMap,
    fn: (t: TempStack) => Promise<T>,
    envVars: Record<string, string> = {},
): Promise<T> {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `pssc-${fixture}-`));
    const stateDir = path.join(tmp, "state");
    const home = path.join(tmp, "home");
    fs.mkdirSync(stateDir);
    fs.mkdirSync(home);
    const workDir = path.join(packageRoot, "test", "fixtures", fixture);
    const stack = await LocalWorkspace.createStack(
        { stackName: `t${process.pid}${Date.now().toString(36)}`, workDir },
        {
            pulumiCommand: await resolvePulumiCommand(),
            pulumiHome: home,
            envVars: offlineEnv({
                PULUMI_BACKEND_URL: `file://${stateDir}`,
                PULUMI_CONFIG_PASSPHRASE: "integration-test-passphrase",
                ...envVars,
            }),
        },
    );
    try {
        await stack.setAllConfig(config);
        const stackFile = path.join(workDir, `Pulumi.${stack.name}.yaml`);
        return await fn({
            stack,
            stateDir,
            readState: () => readTree(stateDir),
            homeDir: home,
            files: () => {
                const out = new Map([...filesUnder(stateDir), ...filesUnder(home)]);
                if (fs.existsSync(stackFile)) out.set(stackFile, fs.readFileSync(stackFile, "utf8"));
                return out;
            },
        });
    } finally {
        await stack.workspace.removeStack(stack.name, { force: true }).catch(() => undefined);
        // Pulumi.<stack>.yaml is written into the fixture directory by setConfig.
        fs.rmSync(path.join(workDir, `Pulumi.${stack.name}.yaml`), { force: true });
        fs.rmSync(tmp, { recursive: true, force: true });
    }
}

function readTree(dir: string): string {
    return [...filesUnder(dir).values()].join("");
}

/**
 * Every regular file under `dir` by path, read as latin1 so binary files (plugins) keep every byte and an ASCII
 * secret in them is still found; gzip-compressed state (`.gz`) is inflated first.
 */
export function filesUnder(dir: string): Map<string, string> {
    const out = new Map<string, string>();
    if (!fs.existsSync(dir)) return out;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
        if (!entry.isFile()) continue;
        const file = path.join(entry.parentPath, entry.name);
        const bytes = fs.readFileSync(file);
        out.set(file, (file.endsWith(".gz") ? zlib.gunzipSync(bytes) : bytes).toString("latin1"));
    }
    return out;
}

/** Lists the stacks a file backend still holds (project-scoped layout: .pulumi/stacks/<project>/<stack>.json). */
export function stacksInBackend(stateDir: string): string[] {
    const root = path.join(stateDir, ".pulumi", "stacks");
    if (!fs.existsSync(root)) return [];
    return fs
        .readdirSync(root, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile() && /\.json(\.gz)?$/.test(e.name))
        .map((e) => path.relative(root, path.join(e.parentPath, e.name)));
}
