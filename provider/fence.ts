/**
 * The production fence: pure decisions about whether a connection may write, used by the client before its first write.
 *
 * Kept apart from the HTTP code so every rule tests without a server. The client reads the live identity once and
 * asks {@link assertSafeTarget}; each write also asks {@link assertWritableTable}.
 */
import { UnsafeTargetError } from "./errors";

/** The two named connections a stack can have. */
/**
 * The named connections a stack can have: the instance it converges (`target`), the clone's source (production), and
 * the holding instance where in-flight work is parked across a clone.
 */
export type ConnectionName = "target" | "source" | "holding";

/**
 * Tables a `source` (production) connection may write: the clone's own configuration and the clone request.
 * Anything else on production is refused.
 */
export const SOURCE_WRITABLE_TABLES: ReadonlySet<string> = new Set([
    "clone_data_preserver",
    "clone_data_exclude",
    "clone_cleanup_script",
    "clone_profile",
    "clone_profile_exclusions",
    "clone_profile_preservers",
    "clone_profile_cleanup_scripts",
    "sn_instance_clone_request",
]);

/** What the stack declares about a connection's instance. */
export interface FenceSettings {
    connection: ConnectionName;
    /** The instance URL the client talks to. */
    url: string;
    /** The `instance_name` the stack expects the live instance to report; writes are refused without it. */
    declaredName: string | undefined;
    /** Instance names and/or URLs that must never be written (a `source` connection writes only clone tables). */
    productionInstances: readonly string[];
    /**
     * The one declared widening: change records through the Change Management API (`servicenow:allowChangeRequests`).
     * @default false
     */
    allowChangeRequests?: boolean;
    /** The stack's declared target instance name: the only instance a clone request may target. */
    cloneTarget?: string | undefined;
}

/** The table whose rows request clones; a row's `target_instance` is the instance that gets overwritten. */
export const CLONE_REQUEST_TABLE = "sn_instance_clone_request";

/**
 * What the client names a Change Management API write when it asks the fence: not a table, so no Table API write can
 * ever pass for it.
 */
export const CHANGE_API_WRITE = "sn_chg_rest/change";

/**
 * Parses `servicenow:productionInstances`: a JSON array or a comma/whitespace separated list of names and/or URLs.
 */
export function parseProductionInstances(value: string | undefined): string[] {
    if (!value?.trim()) return [];
    const text = value.trim();
    if (text.startsWith("[")) {
        let parsed: unknown;
        try {
            parsed = JSON.parse(text);
        } catch {
            throw new UnsafeTargetError(
                `productionInstances is not valid JSON (${text.slice(0, 80)}); give a JSON array of names or URLs, or a comma-separated list`,
            );
        }
        if (!Array.isArray(parsed) || parsed.some((v) => typeof v !== "string")) {
            throw new UnsafeTargetError("productionInstances must be an array of strings (instance names or URLs)");
        }
        return (parsed as string[]).map((s) => s.trim()).filter(Boolean);
    }
    return text
        .split(/[,\s]+/)
        .map((s) => s.trim())
        .filter(Boolean);
}

/** A URL reduced to lower-case origin without trailing slash, or undefined when the text is not a URL. */
export function normalizeUrl(text: string): string | undefined {
    try {
        const u = new URL(text);
        return `${u.protocol}//${u.host}`.toLowerCase();
    } catch {
        return undefined;
    }
}

/** True when `entry` (a name or URL from productionInstances) designates this instance. */
export function isProductionEntry(entry: string, url: string, liveName: string): boolean {
    const asUrl = normalizeUrl(entry);
    if (asUrl) return asUrl === normalizeUrl(url);
    return entry.toLowerCase() === liveName.toLowerCase();
}

/**
 * Refuses unless the live instance is the declared one and, for a target connection, not a production instance.
 *
 * @param liveName the `instance_name` system property the instance reported (empty when it has none).
 * @throws UnsafeTargetError saying what was seen, what the stack declares and which instances are production.
 */
export function assertSafeTarget(settings: FenceSettings, liveName: string): void {
    const prodList = `[${settings.productionInstances.join(", ")}]`;
    const seen = liveName ? `"${liveName}"` : "no instance_name";
    const keyPrefix =
        settings.connection === "target" ? "servicenow:instanceName" : `servicenow:${settings.connection}InstanceName`;
    if (!settings.declaredName) {
        throw new UnsafeTargetError(
            `refusing to write: saw ${seen} at ${settings.url}, but the stack declares no ${settings.connection} instance name; ` +
                `set ${keyPrefix} to the instance's instance_name to allow writes`,
        );
    }
    if (liveName.toLowerCase() !== settings.declaredName.toLowerCase()) {
        throw new UnsafeTargetError(
            `refusing to write: saw ${seen} at ${settings.url}; the stack declares ${settings.connection} "${settings.declaredName}"; ` +
                `production instances: ${prodList}. Point the connection at the right instance or fix ${keyPrefix}`,
        );
    }
    // A holding instance takes any write, like a target, so it must never be production either.
    if (settings.connection !== "source") {
        const hit = settings.productionInstances.find((e) => isProductionEntry(e, settings.url, liveName));
        if (hit !== undefined) {
            throw new UnsafeTargetError(
                `refusing to write: saw ${seen} at ${settings.url}, which is a declared production instance ("${hit}"); ` +
                    `the stack declares target "${settings.declaredName}"; production instances: ${prodList}`,
            );
        }
    }
}

/**
 * Refuses a write to a table a connection may not touch: on `source`, anything but the clone configuration.
 */
export function assertWritableTable(
    connection: ConnectionName,
    url: string,
    table: string,
    allowChangeRequests = false,
): void {
    if (table === CHANGE_API_WRITE) {
        if (allowChangeRequests) return;
        throw new UnsafeTargetError(
            `refusing to write a change request on the ${connection} connection (${url}): change records are written ` +
                "only with the declared permission servicenow:allowChangeRequests=true (through the Change Management API " +
                "only; every other write there stays refused); set it with `pulumi config set servicenow:allowChangeRequests true`",
        );
    }
    if (connection === "source" && !SOURCE_WRITABLE_TABLES.has(table)) {
        throw new UnsafeTargetError(
            `refusing to write ${table} on the source connection (${url}): a source instance only accepts writes to the ` +
                `clone configuration (${[...SOURCE_WRITABLE_TABLES].join(", ")}); use the target connection`,
        );
    }
}

/**
 * Refuses a clone request into a declared production instance, or into any instance but the stack's declared target:
 * a clone overwrites its target entirely, so this is checked before the request is sent (and at preview).
 *
 * @param target the `instance` row the request names: its instance_name and instance_url.
 * @throws UnsafeTargetError naming the target, the declared target and the production instances.
 */
export function assertCloneTarget(settings: FenceSettings, target: { name: string; url: string }): void {
    const prodList = `[${settings.productionInstances.join(", ")}]`;
    const hit = settings.productionInstances.find((e) => isProductionEntry(e, target.url, target.name));
    if (hit !== undefined) {
        throw new UnsafeTargetError(
            `refusing to request a clone into "${target.name}" (${target.url || "no URL"}): it is a declared production ` +
                `instance ("${hit}"); production instances: ${prodList}. Clone into the stack's target instead`,
        );
    }
    if (!settings.cloneTarget) {
        throw new UnsafeTargetError(
            `refusing to request a clone into "${target.name}": the stack declares no target instance; set ` +
                "servicenow:instanceName to the target's instance_name",
        );
    }
    if (target.name.toLowerCase() !== settings.cloneTarget.toLowerCase()) {
        throw new UnsafeTargetError(
            `refusing to request a clone into "${target.name}": the stack's target is "${settings.cloneTarget}" ` +
                "(servicenow:instanceName); a clone may only overwrite the instance the stack declares as its target",
        );
    }
}

/** The before-write hook {@link writeFence} builds, with its identity check on its own. */
export interface WriteGate {
    (table: string, values?: Readonly<Record<string, string>>): Promise<void>;
    /**
     * Reads the live identity (once) and refuses (UnsafeTargetError) unless it is the declared instance and, for a
     * target, not production: what every write asks first, asked early so a preview can say it.
     */
    identity(): Promise<void>;
}

/**
 * The client's before-write hook for these settings: refuses a table the connection may not write, then (once per
 * client) reads the live identity and asks {@link assertSafeTarget}. A refusal is final; a failed read of the
 * identity is tried again on the next write.
 *
 * A clone request (a row of {@link CLONE_REQUEST_TABLE} naming a `target_instance`) is also checked with
 * {@link assertCloneTarget}.
 *
 * @param liveName reads the instance's `instance_name` (the client passes its own Table API read).
 * @param readRecord reads one record (the `instance` row a clone request names).
 */
export function writeFence(
    settings: FenceSettings,
    liveName: () => Promise<string>,
    readRecord: (table: string, sysId: string) => Promise<Record<string, string>>,
): WriteGate {
    let verdict: Promise<void> | undefined;
    const identity = async () => {
        verdict ??= liveName().then((live) => assertSafeTarget(settings, live));
        try {
            await verdict;
        } catch (e) {
            if (!(e instanceof UnsafeTargetError)) verdict = undefined;
            throw e;
        }
    };
    const gate = async (table: string, values?: Readonly<Record<string, string>>) => {
        assertWritableTable(settings.connection, settings.url, table, settings.allowChangeRequests);
        if (table === CLONE_REQUEST_TABLE && values?.target_instance) {
            const row = await readRecord("instance", values.target_instance);
            assertCloneTarget(settings, { name: row.instance_name ?? "", url: row.instance_url ?? "" });
        }
        await identity();
    };
    return Object.assign(gate, { identity });
}
