/**
 * Where an environment's Pulumi state lives when the caller does not say: the backend the user chose, else a file
 * backend in the project that uses this package, never inside node_modules (the next `npm ci` would delete what
 * `destroy` needs to put the instance back).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { packageRoot } from "../toolchain";

/**
 * The directory of the project that uses this package: the package's own root when it is the project (a clone of
 * this repository), else the directory holding the outermost `node_modules` it was installed into.
 *
 * @param root where the package is installed. @default this package's root
 */
export function consumingProjectDir(root: string = packageRoot): string {
    const parts = path.resolve(root).split(path.sep);
    const at = parts.indexOf("node_modules");
    return at > 0 ? parts.slice(0, at).join(path.sep) || path.sep : path.resolve(root);
}

/**
 * The backend URL to pass to Pulumi, or undefined when Pulumi's own choice applies: `$PULUMI_BACKEND_URL`, the
 * project's `backend.url` in Pulumi.yaml, or the backend of `pulumi login` (PULUMI_HOME's credentials.json).
 * Otherwise a file backend in `<consuming project>/.pulumi-state`.
 *
 * @param projectDir directory of the Pulumi.yaml the stack belongs to.
 * @param pulumiHome PULUMI_HOME the CLI will use. @default `$PULUMI_HOME`, else ~/.pulumi
 */
export function defaultBackendUrl(projectDir: string, pulumiHome?: string): string | undefined {
    if (process.env.PULUMI_BACKEND_URL) return undefined;
    if (projectBackend(projectDir)) return undefined;
    if (loggedInBackend(pulumiHome ?? process.env.PULUMI_HOME ?? path.join(os.homedir(), ".pulumi"))) return undefined;
    return `file://${path.join(consumingProjectDir(), ".pulumi-state")}`;
}

/** The `backend: url:` of a Pulumi.yaml, if it sets one. */
function projectBackend(projectDir: string): string | undefined {
    try {
        const yaml = fs.readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8");
        return /^backend:\s*\n\s+url:\s*(\S+)/m.exec(yaml)?.[1];
    } catch {
        return undefined;
    }
}

/** The backend `pulumi login` selected, if any. */
function loggedInBackend(home: string): string | undefined {
    try {
        const creds = JSON.parse(fs.readFileSync(path.join(home, "credentials.json"), "utf8")) as { current?: string };
        return creds.current || undefined;
    } catch {
        return undefined;
    }
}
