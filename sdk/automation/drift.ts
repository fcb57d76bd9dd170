/**
 * Drift: what a refresh found different on the live instance from what the stack last recorded, per resource and
 * per property, computed from the engine's events.
 *
 * Dynamic providers cannot send a detailed diff to the engine, so the events' `diffs`/`detailedDiff` are usually
 * empty; the property view is computed here from the stored outputs (`metadata.old.outputs`) and the live ones the
 * provider's read returned (`metadata.new.outputs`). Keys starting with `__` are engine bookkeeping and skipped.
 */
import type { EngineEvent, StepEventMetadata } from "@pulumi/pulumi/automation";
import { formatJunit, type JunitCase } from "./junit";

/** One property that differs: the value the stack recorded and the value found live. */
export interface PropertyDrift {
    /** Property path, e.g. `sending`, `rules[1].to`, `previous.glide.email.smtp.active` shown as `previous["glide…"]`. */
    path: string;
    /** Value the stack recorded at its last apply (`undefined`: the property was not there). */
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
    /** `changed`: properties differ; `deleted`: the resource no longer exists on the instance. */
    change: "changed" | "deleted";
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
 * Builds the per-resource drift of a refresh from its engine events.
 *
 * A resource counts as drifted when the engine says so (a refresh step whose op or diff marks a change, or a delete):
 * the provider's own `diff` decides what is drift, so a report-only output that moved (a MID server went Down) is
 * not reported as drift when the provider ignores it.
 *
 * @param events every engine event of a `refresh --preview-only` (or a `preview --refresh`).
 */
export function driftFromEvents(events: readonly EngineEvent[]): { checked: number; resources: ResourceDrift[] } {
    const byUrn = new Map<string, StepEventMetadata>();
    for (const e of events) {
        const meta = e.resOutputsEvent?.metadata ?? e.resourcePreEvent?.metadata;
        if (!meta || isBookkeeping(meta.type)) continue;
        // The outputs event follows the pre event of the same step and carries the engine's verdict (op) and the
        // refreshed state, so the last event per URN wins.
        byUrn.set(meta.urn, meta);
    }
    const resources: ResourceDrift[] = [];
    for (const meta of byUrn.values()) {
        const drift = resourceDrift(meta);
        if (drift) resources.push(drift);
    }
    return { checked: byUrn.size, resources };
}

/** The drift one step reports, or undefined when the resource is as recorded. */
export function resourceDrift(meta: StepEventMetadata): ResourceDrift | undefined {
    const base = { urn: meta.urn, type: shortType(meta.type), name: urnName(meta.urn) };
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
        lines.push(`  ${r.type} "${r.name}": ${r.change === "deleted" ? "gone from the instance" : "changed"}`);
        for (const p of r.properties) {
            lines.push(`    ${p.path}: expected ${showValue(p.expected)}, found ${showValue(p.actual)}`);
        }
    }
    lines.push("Run apply to put the instance back.");
    return `${lines.join("\n")}\n`;
}

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
            message: r.change === "deleted" ? "gone from the instance" : `${r.properties.length} property(ies) drifted`,
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
