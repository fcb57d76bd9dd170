/**
 * The built-in post-clone checks as pure functions over the rows they read: each says, with a stable id, whether the
 * refreshed instance is safe to let people into, and names the records that make it unsafe.
 *
 * Reading the rows (read-only Table API queries) lives with the resource and the `verify` command; these functions
 * decide, so they test without a server. Platform facts: DESIGN.md's checklist, reference/platform-apis.md §2.3
 * (text indexes rebuilt after the clone) and the KB advice that a scheduled script guards itself with `instance_name`.
 */

/** How much a failing check matters: critical and error fail the gate, warning is reported only. */
export type Severity = "critical" | "error" | "warning";

/** Stable ids of the built-in checks (used in reports, thresholds and JUnit test names). */
export const CheckId = {
    Email: "email-cannot-reach-users",
    Endpoints: "no-production-endpoints",
    TextIndexes: "text-indexes-rebuilt",
    MidServers: "mid-servers-up",
    JobGuards: "scheduled-jobs-guarded",
    Lockout: "lockout-holds",
} as const;
export type CheckId = (typeof CheckId)[keyof typeof CheckId];

/** Title and default severity of each built-in check. */
export const CHECKS: Readonly<Record<CheckId, { title: string; severity: Severity }>> = {
    [CheckId.Email]: { title: "Email cannot reach real users", severity: "critical" },
    [CheckId.Endpoints]: { title: "No active outbound endpoint points at production", severity: "critical" },
    [CheckId.TextIndexes]: { title: "Text indexes were rebuilt after the clone", severity: "error" },
    [CheckId.MidServers]: { title: "MID servers are up", severity: "warning" },
    [CheckId.JobGuards]: { title: "Active scheduled scripts guard themselves with instance_name", severity: "error" },
    [CheckId.Lockout]: { title: "Only the allowed users can sign in", severity: "critical" },
};

/** What one check found. */
export interface CheckOutcome {
    id: string;
    title: string;
    severity: Severity;
    /** Records (or settings) that fail the check, each named so a reader can find it; the first {@link KEPT} only. */
    offenders: string[];
    /** How many records fail the check (right after a clone that can be every user). */
    offenderCount: number;
    /** How many offenders are tolerated before the check fails. */
    threshold: number;
    /** True when offenders do not exceed the threshold. */
    passed: boolean;
    /** One sentence: what holds, or what is wrong and what to do. */
    message: string;
}

/** Offenders listed by name in a message; the rest are counted. */
const LISTED = 10;
/** Offenders kept in a report (its JSON stays small when a clone let every user back in). */
export const KEPT = 100;

function outcome(
    id: CheckId,
    offenders: string[],
    threshold: number,
    ok: string,
    bad: (list: string) => string,
    severity?: Severity,
): CheckOutcome {
    const passed = offenders.length <= threshold;
    const shown = offenders.slice(0, LISTED).join(", ");
    const more = offenders.length > LISTED ? ` and ${offenders.length - LISTED} more` : "";
    const tolerated =
        offenders.length > 0 && passed ? ` (${offenders.length} within the threshold of ${threshold})` : "";
    return {
        id,
        title: CHECKS[id].title,
        severity: severity ?? CHECKS[id].severity,
        offenders: offenders.slice(0, KEPT),
        offenderCount: offenders.length,
        threshold,
        passed,
        message: offenders.length === 0 || passed ? `${ok}${tolerated}` : bad(`${shown}${more}`),
    };
}

/** Options every check accepts. */
export interface CheckLimits {
    /**
     * Offenders tolerated before the check fails.
     *
     * @default 0
     */
    threshold?: number;
    /** Overrides the check's default severity. */
    severity?: Severity;
}

/**
 * Email cannot reach a real user when sending is off (`glide.email.smtp.active` not true), or when every message is
 * redirected (`glide.email.test.user` set).
 */
export function checkEmail(properties: Readonly<Record<string, string | undefined>>, limits: CheckLimits = {}) {
    const sending = properties["glide.email.smtp.active"] === "true";
    const redirect = (properties["glide.email.test.user"] ?? "").trim();
    const offenders = sending && redirect === "" ? ["glide.email.smtp.active=true with no glide.email.test.user"] : [];
    return outcome(
        CheckId.Email,
        offenders,
        limits.threshold ?? 0,
        sending ? `Email is redirected to ${redirect}` : "Email sending is off",
        () =>
            "Email can reach real users: glide.email.smtp.active is true and glide.email.test.user is empty; apply environment:email (sending false, or redirectTo a test mailbox)",
        limits.severity,
    );
}

/** An outbound endpoint as read from its table. */
export interface EndpointRow {
    table: string;
    name: string;
    url: string;
    /** False only when the record has an `active` column set to false. */
    active: boolean;
}

/**
 * No active outbound endpoint (REST message or method, SOAP function, IntegrationHub connection) on a declared
 * production host.
 *
 * @param hostOf the host of a URL (lower-cased), or undefined when it has none
 */
export function checkEndpoints(
    endpoints: readonly EndpointRow[],
    productionHosts: readonly string[],
    hostOf: (url: string) => string | undefined,
    limits: CheckLimits = {},
): CheckOutcome {
    const hosts = new Set(productionHosts.map((h) => h.toLowerCase()));
    const offenders = endpoints
        .filter((e) => e.active && hosts.has(hostOf(e.url) ?? ""))
        .map((e) => `${e.table} "${e.name}" → ${e.url}`);
    return outcome(
        CheckId.Endpoints,
        offenders,
        limits.threshold ?? 0,
        `No active endpoint points at ${hosts.size} production host${hosts.size === 1 ? "" : "s"}`,
        (list) =>
            `Active endpoints still point at production: ${list}; add environment:integrations rules for their hosts`,
        limits.severity,
    );
}

/** A text index as read from `ts_index_name`. */
export interface TextIndexRow {
    table: string;
    state: string;
    /** `last_indexed`, UTC `YYYY-MM-DD HH:MM:SS`, or "" when never. */
    lastIndexed: string;
    active: boolean;
}

/** Every active text index finished rebuilding after the clone started (`cloneStarted`, UTC date-time). */
export function checkTextIndexes(
    indexes: readonly TextIndexRow[],
    cloneStarted: string,
    limits: CheckLimits = {},
): CheckOutcome {
    const offenders = indexes
        .filter((i) => i.active && (i.state !== "indexed" || i.lastIndexed === "" || i.lastIndexed < cloneStarted))
        .map((i) => `${i.table} (${i.state || "no state"}, last indexed ${i.lastIndexed || "never"})`);
    return outcome(
        CheckId.TextIndexes,
        offenders,
        limits.threshold ?? 0,
        `Every text index was rebuilt after the clone started at ${cloneStarted}`,
        (list) =>
            `Text indexes not rebuilt since the clone started at ${cloneStarted}: ${list}; link "Regenerate all text indexes" to the clone profile, or regenerate them on the instance and wait until they are indexed`,
        limits.severity,
    );
}

/** MID servers whose status is not Up. */
export function checkMidServers(
    agents: readonly { name: string; status: string }[],
    limits: CheckLimits = {},
): CheckOutcome {
    const offenders = agents.filter((a) => a.status !== "Up").map((a) => `${a.name} (${a.status || "no status"})`);
    return outcome(
        CheckId.MidServers,
        offenders,
        limits.threshold ?? 0,
        `${agents.length} MID server${agents.length === 1 ? " is" : "s are"} up`,
        (list) => `MID servers not up: ${list}; check their credentials and restart them`,
        limits.severity,
    );
}

/** A scheduled script as read from `sysauto_script`. */
export interface ScheduledScriptRow {
    sysId: string;
    name: string;
    script: string;
}

/**
 * True when a scheduled script refers to `instance_name`, the guard the platform's KB asks for
 * (`if (gs.getProperty("instance_name") == "acme") { … }`).
 */
export function guardsInstance(script: string): boolean {
    return /\binstance_name\b/.test(script);
}

/**
 * Every active scheduled script guards itself with `instance_name`, or is allowed by the environment.
 *
 * @param allowed sys_ids of the jobs the environment keeps running on purpose
 */
export function checkJobGuards(
    activeScripts: readonly ScheduledScriptRow[],
    allowed: ReadonlySet<string>,
    limits: CheckLimits = {},
): CheckOutcome {
    const offenders = activeScripts
        .filter((j) => !allowed.has(j.sysId) && !guardsInstance(j.script))
        .map((j) => `"${j.name}"`);
    return outcome(
        CheckId.JobGuards,
        offenders,
        limits.threshold ?? 0,
        `${activeScripts.length} active scheduled script${activeScripts.length === 1 ? " is" : "s are"} guarded or allowed`,
        (list) =>
            `Active scheduled scripts run here without an instance_name guard: ${list}; deactivate them (environment:jobs) or add them to its allow-list`,
        limits.severity,
    );
}

/**
 * Nobody outside the allow-list can sign in: every active, unlocked user is allowed.
 *
 * @param canSignIn active users that are not locked out
 * @param allowed sys_ids the environment's access policy allows
 */
export function checkLockout(
    canSignIn: readonly { sysId: string; userName: string }[],
    allowed: ReadonlySet<string>,
    limits: CheckLimits = {},
): CheckOutcome {
    const offenders = canSignIn.filter((u) => !allowed.has(u.sysId)).map((u) => u.userName);
    return outcome(
        CheckId.Lockout,
        offenders,
        limits.threshold ?? 0,
        `Only the ${canSignIn.length} allowed user${canSignIn.length === 1 ? "" : "s"} can sign in`,
        (list) =>
            `Users outside the allow-list can sign in: ${list}; apply environment:access or add them to its allow-list`,
        limits.severity,
    );
}

/** True when a failing outcome fails the gate (warnings are reported, never blocking). */
export function blocksGate(o: Pick<CheckOutcome, "passed" | "severity">): boolean {
    return !o.passed && o.severity !== "warning";
}
