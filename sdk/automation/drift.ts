/**
 * Drift: what differs between what the stack declares and what the live instance holds, per resource and per
 * property, computed from the engine's events of a `preview --refresh`.
 *
 * The verdict is the planned step: a resource drifted when the engine plans to change it after reading it back
 * (update, replace, re-create, or delete), whatever the saved state said before. A `pulumi refresh` that already
 * absorbed a hand edit into state therefore still shows it, because the plan compares the live state with the
 * program's inputs, not with the last saved state.
 *
 * Dynamic providers cannot send a detailed diff to the engine, so the events' `diffs`/`detailedDiff` are usually
 * empty; the property view is computed here, in order of preference, from the engine's detailed diff, from the live
 * inputs the provider's read returned against the declared inputs, from the resource's drift fields (outputs that
 * are zero when converged, e.g. `unlockedCount`), and from what the refresh changed in the saved outputs. Keys
 * starting with `__` are engine bookkeeping and skipped.
 */
import type { EngineEvent, StepEventMetadata } from "@pulumi/pulumi/automation";
import { formatJunit, type JunitCase } from "./junit";

/** One property that differs: the value the stack declares (or expects) and the value found live. */
export interface PropertyDrift {
    /** Property path, e.g. `sending`, `rules[1].to`, `previous.glide.email.smtp.active` shown as `previous["glide…"]`. */
    path: string;
    /** Value the stack declares (`undefined`: the property was not there). */
    expected: unknown;
    /** Value found on the instance (`undefined`: the property is gone). */
    actual: unknown;
}

/** One resource that drifted. */
export interface ResourceDrift {
    urn: string;
    /** Resource type without the dynamic-provider prefix, e.g. `UserLockout`. */
    type: string;
    /** Logical name, e.g. `access`. */
    name: string;
    /**
     * `changed`: properties differ; `deleted`: the resource no longer exists on the instance (apply re-creates it);
     * `undeclared`: the stack no longer declares it but state still holds it (apply removes it, restoring what it
     * changed).
     */
    change: "changed" | "deleted" | "undeclared";
    /** What differs (empty when the engine reported a change it could not attribute to a property). */
    properties: PropertyDrift[];
}

/** A drift check of one environment. */
export interface DriftReport {
    /** The environment (stack) checked. */
    environment: string;
    /** True when at least one resource drifted. */
    drifted: boolean;
    /** Resources compared (the stack and its providers are not counted). */
    checked: number;
    /** Drifted resources, in the order the engine reported them. */
    resources: ResourceDrift[];
    /** When the check finished (ISO 8601). */
    checkedAt: string;
}

/** Short type of a URN's resource: `pulumi-nodejs:dynamic/servicenow:UserLockout` → `UserLockout`. */
export function shortType(type: string): string {
    const i = type.lastIndexOf(":");
    return i >= 0 ? type.slice(i + 1) : type;
}

/** The logical name at the end of a URN. */
export function urnName(urn: string): string {
    const i = urn.lastIndexOf("::");
    return i >= 0 ? urn.slice(i + 2) : urn;
}

/** True for resources a drift report ignores: the stack itself and provider resources. */
export function isBookkeeping(type: string): boolean {
    return type === "pulumi:pulumi:Stack" || type.startsWith("pulumi:providers:");
}

/**
 * Compares two property bags deeply; one entry per leaf that differs.
 *
 * Arrays are compared element by element (a longer or shorter array reports the extra or missing indexes), objects key
 * by key; keys starting with `__` are skipped at every level.
 */
export function diffProperties(expected: unknown, actual: unknown, path = ""): PropertyDrift[] {
    if (isPlainObject(expected) && isPlainObject(actual)) {
        const keys = new Set([...Object.keys(expected), ...Object.keys(actual)]);
        return [...keys]
            .filter((k) => !k.startsWith("__"))
            .sort()
            .flatMap((k) => diffProperties(expected[k], actual[k], joinPath(path, k)));
    }
    if (Array.isArray(expected) && Array.isArray(actual)) {
        const out: PropertyDrift[] = [];
        for (let i = 0; i < Math.max(expected.length, actual.length); i++) {
            out.push(...diffProperties(expected[i], actual[i], `${path}[${i}]`));
        }
        return out;
    }
    if (sameValue(expected, actual)) return [];
    return [{ path: path || "(value)", expected, actual }];
}

/**
 * Outputs that are zero (or empty) when a resource is converged and count what drifted otherwise, by resource type.
 * They name the drift of bulk resources, whose inputs stay the same while records move behind the stack's back.
 */
export const DRIFT_FIELDS: Readonly<Record<string, readonly string[]>> = {
    UserLockout: ["unlockedCount", "pendingUnlockCount", "unlockedUsers"],
    ScheduledJobState: ["activeCount", "pendingReactivationCount", "activeJobs"],
    LdapServerState: ["driftedServers"],
    DataMasking: ["unmaskedCount"],
    // Work in flight: carried update sets no longer committed and unresolved preview problems, each named.
    InFlightWork: ["drift"],
    // Required plugins found inactive, by id.
    PluginState: ["inactive"],
};

/** Planned operations that mean "apply would change this resource". */
const CHANGING_OPS = new Set(["update", "replace", "create", "create-replacement", "delete", "delete-replaced"]);

/** What the events say about one resource: its refresh step and its planned step. */
interface Steps {
    refresh?: StepEventMetadata;
    plan?: StepEventMetadata;
}

/**
 * Builds the per-resource drift from the engine events of a `preview --refresh` (judged on the planned steps) or, for
 * events without planned steps, of a `refresh --preview-only` (judged on the refresh's own verdict).
 *
 * @param events every engine event of the operation.
 */
export function driftFromEvents(events: readonly EngineEvent[]): { checked: number; resources: ResourceDrift[] } {
    const byUrn = new Map<string, Steps>();
    // A step streams a pre event, then an outputs event; the outputs event of a refresh carries the engine's verdict
    // as its op, so the step an outputs event belongs to is the last pre event seen for its URN.
    const lastPreOp = new Map<string, string>();
    for (const e of events) {
        const pre = e.resourcePreEvent?.metadata;
        const out = e.resOutputsEvent?.metadata;
        const meta = pre ?? out;
        if (!meta || isBookkeeping(meta.type)) continue;
        const steps = byUrn.get(meta.urn) ?? {};
        byUrn.set(meta.urn, steps);
        if (pre) lastPreOp.set(pre.urn, pre.op);
        const inRefresh = (pre ? pre.op : (lastPreOp.get(meta.urn) ?? "refresh")) === "refresh";
        if (inRefresh) {
            // The outputs event follows the pre event of the same step and carries the refreshed state: last wins.
            steps.refresh = meta;
        } else if (pre || !steps.plan) {
            steps.plan = { ...steps.plan, ...meta };
        } else {
            steps.plan = { ...steps.plan, ...meta, op: steps.plan.op };
        }
    }
    const planned = [...byUrn.values()].some((s) => s.plan);
    const resources: ResourceDrift[] = [];
    for (const steps of byUrn.values()) {
        const drift = planned ? plannedDrift(steps) : steps.refresh ? resourceDrift(steps.refresh) : undefined;
        if (drift) resources.push(drift);
    }
    return { checked: byUrn.size, resources };
}

/** The drift a planned step shows (with its refresh step's findings), or undefined when apply would change nothing. */
export function plannedDrift(steps: Steps): ResourceDrift | undefined {
    const plan = steps.plan;
    if (!plan) {
        // Read back but not planned: the refresh found it gone and the program no longer declares it.
        return steps.refresh && resourceDrift(steps.refresh)?.change === "deleted"
            ? { ...identity(steps.refresh), change: "deleted", properties: [] }
            : undefined;
    }
    if (!CHANGING_OPS.has(plan.op)) return undefined;
    const base = identity(plan);
    if (plan.op === "delete" || plan.op === "delete-replaced") {
        return { ...base, change: "undeclared", properties: [] };
    }
    const gone = plan.op === "create" || (steps.refresh ? resourceDrift(steps.refresh)?.change === "deleted" : false);
    if (gone) return { ...base, change: "deleted", properties: [] };
    return { ...base, change: "changed", properties: plannedProperties(plan, steps.refresh) };
}

/**
 * Which properties differ between what the stack declares (`plan.new.inputs`) and what is live (`plan.old`, the state
 * after the refresh), most precise source first; every source's findings are merged by path.
 */
function plannedProperties(plan: StepEventMetadata, refresh: StepEventMetadata | undefined): PropertyDrift[] {
    const declared = (plan.new?.inputs ?? {}) as Record<string, unknown>;
    const liveInputs = (plan.old?.inputs ?? {}) as Record<string, unknown>;
    const liveOutputs = (plan.old?.outputs ?? {}) as Record<string, unknown>;
    const found = new Map<string, PropertyDrift>();
    const add = (drifts: PropertyDrift[]) => {
        for (const d of drifts) if (!found.has(d.path)) found.set(d.path, d);
    };
    const engineKeys = [...Object.keys(plan.detailedDiff ?? {}), ...(plan.diffs ?? [])].filter(
        (k) => !k.startsWith("__"),
    );
    for (const key of engineKeys) {
        const top = key.split(/[.[]/)[0] ?? key;
        const live = top in liveInputs ? liveInputs[top] : liveOutputs[top];
        const leaves = diffProperties(live, declared[top], top).map(swapForDeclared);
        add(leaves.length > 0 ? leaves : [{ path: key, expected: declared[top], actual: live }]);
    }
    // Declared versus live inputs: only the keys the program declares (outputs carry more).
    for (const key of Object.keys(declared)) {
        if (key.startsWith("__") || !(key in liveInputs)) continue;
        add(diffProperties(liveInputs[key], declared[key], key).map(swapForDeclared));
    }
    for (const field of DRIFT_FIELDS[shortType(plan.type)] ?? []) {
        const value = liveOutputs[field];
        if (value === undefined || isConverged(value)) continue;
        add([{ path: field, expected: Array.isArray(value) ? [] : 0, actual: value }]);
    }
    // What the refresh changed in the saved outputs, except leaves of a property already named (`unlockedUsers[0]`
    // when `unlockedUsers` is listed).
    const named = (p: string) => [...found.keys()].some((k) => p.startsWith(`${k}[`) || p.startsWith(`${k}.`));
    if (refresh) add((resourceDrift(refresh)?.properties ?? []).filter((p) => !named(p.path)));
    return [...found.values()].sort((a, b) => a.path.localeCompare(b.path));
}

/** diffProperties(live, declared) reports live as expected; a drift's expected value is the declared one. */
function swapForDeclared(d: PropertyDrift): PropertyDrift {
    return { path: d.path, expected: d.actual, actual: d.expected };
}

function isConverged(value: unknown): boolean {
    if (Array.isArray(value)) return value.length === 0;
    return value === 0 || value === "0" || value === null;
}

function identity(meta: StepEventMetadata): Pick<ResourceDrift, "urn" | "type" | "name"> {
    return { urn: meta.urn, type: shortType(meta.type), name: urnName(meta.urn) };
}

/** The drift one refresh step reports (recorded outputs against live ones), or undefined when it found none. */
export function resourceDrift(meta: StepEventMetadata): ResourceDrift | undefined {
    const base = identity(meta);
    const gone = meta.op === "delete" || (meta.op === "refresh" && meta.old !== undefined && !meta.new);
    if (gone) return { ...base, change: "deleted", properties: [] };
    const engineSaysChanged =
        meta.op === "update" ||
        meta.op === "replace" ||
        (meta.diffs?.length ?? 0) > 0 ||
        Object.keys(meta.detailedDiff ?? {}).length > 0;
    if (!engineSaysChanged) return undefined;
    let properties = diffProperties(meta.old?.outputs ?? {}, meta.new?.outputs ?? {});
    if (properties.length === 0) properties = diffProperties(meta.old?.inputs ?? {}, meta.new?.inputs ?? {});
    if (properties.length === 0 && meta.diffs) {
        properties = meta.diffs
            .filter((d) => !d.startsWith("__"))
            .map((d) => ({ path: d, expected: undefined, actual: undefined }));
    }
    return { ...base, change: "changed", properties };
}

/** Renders a value for a person: strings quoted, long values shortened. */
export function showValue(value: unknown): string {
    if (value === undefined) return "(absent)";
    const text = JSON.stringify(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Plain-text report: one block per drifted resource, one line per property. */
export function formatDriftText(report: DriftReport): string {
    if (!report.drifted) {
        return `No drift: ${report.checked} resource(s) of ${report.environment} match the instance.\n`;
    }
    const lines = [`Drift in ${report.environment}: ${report.resources.length} of ${report.checked} resource(s)`];
    for (const r of report.resources) {
        lines.push(`  ${r.type} "${r.name}": ${CHANGE_TEXT[r.change]}`);
        for (const p of r.properties) lines.push(...propertyLines(p));
    }
    lines.push("Run apply to put the instance back.");
    return `${lines.join("\n")}\n`;
}

/**
 * One property's lines. A list of named items found where none is expected (a drift field such as InFlightWork's
 * `drift` or PluginState's `inactive`) is shown item by item, untruncated, so each one is named.
 */
function propertyLines(p: PropertyDrift): string[] {
    const items = Array.isArray(p.actual) && p.actual.every((v) => typeof v === "string") ? p.actual : undefined;
    if (items && items.length > 0 && Array.isArray(p.expected) && p.expected.length === 0) {
        return [`    ${p.path}: expected none, found ${items.length}:`, ...items.map((i) => `      - ${i}`)];
    }
    return [`    ${p.path}: expected ${showValue(p.expected)}, found ${showValue(p.actual)}`];
}

const CHANGE_TEXT: Record<ResourceDrift["change"], string> = {
    changed: "changed",
    deleted: "gone from the instance",
    undeclared: "no longer declared by the stack (apply removes it and restores what it changed)",
};

/** JSON report (stable shape: the {@link DriftReport} fields). */
export function formatDriftJson(report: DriftReport): string {
    return `${JSON.stringify(report, (_k, v) => (v === undefined ? null : v), 2)}\n`;
}

/**
 * JUnit XML: one test case per resource checked that drifted (a failure listing its properties) and one passing case
 * summarizing the rest, so CI systems show drift as failed tests.
 */
export function formatDriftJunit(report: DriftReport): string {
    const clean = report.checked - report.resources.length;
    const cases: JunitCase[] = report.resources.map((r) => ({
        classname: `${report.environment}.${r.type}`,
        name: r.name,
        failure: {
            message: r.change === "changed" ? `${r.properties.length} property(ies) drifted` : CHANGE_TEXT[r.change],
            type: "drift",
            body: r.properties
                .map((p) => `${p.path}: expected ${showValue(p.expected)}, found ${showValue(p.actual)}`)
                .join("\n"),
        },
    }));
    if (clean > 0) cases.push({ classname: report.environment, name: `${clean} resource(s) without drift` });
    return formatJunit({ name: "drift", suites: [{ name: report.environment, timestamp: report.checkedAt, cases }] });
}

function joinPath(path: string, key: string): string {
    const simple = /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key);
    if (!path) return simple ? key : `["${key}"]`;
    return simple ? `${path}.${key}` : `${path}["${key}"]`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
    return v !== null && typeof v === "object" && !Array.isArray(v);
}

function sameValue(a: unknown, b: unknown): boolean {
    if (a === b) return true;
    // Numbers and their string forms are one value on the platform (every field is a string in the Table API).
    if ((typeof a === "number" || typeof a === "string") && (typeof b === "number" || typeof b === "string")) {
        return String(a) === String(b);
    }
    return JSON.stringify(a) === JSON.stringify(b);
}
