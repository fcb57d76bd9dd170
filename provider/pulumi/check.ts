/**
 * Pulumi's check, in one place: zod parses of a resource's inputs become check failures naming the property, the
 * value received and the fix; values still unknown at preview pass through.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";

/**
 * Pulumi's marker for a value not known until apply (sent to check/diff during preview, even for non-strings).
 */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/**
 * The hidden input the SDK classes add (sdk/stack-references.ts): the paths (`profile`, `exclusions.2`) of references
 * whose value comes from another resource of the same program. At preview such a record may not exist yet although
 * its name is known (the engine previews a create with its inputs as outputs), so check does not look it up; apply
 * resolves it before writing anything. Keys starting with `__` are not shown by the engine.
 */
export const FROM_STACK = "__fromStack";

/** The paths {@link FROM_STACK} lists in a check's raw inputs (empty when absent or malformed). */
export function fromStack(news: Record<string, unknown> | undefined): ReadonlySet<string> {
    const paths = news?.[FROM_STACK];
    return new Set(Array.isArray(paths) ? paths.filter((p): p is string => typeof p === "string") : []);
}

/**
 * True when a value, or anything inside it, is still unknown at preview.
 */
export function containsUnknown(value: unknown): boolean {
    if (value === UNKNOWN) return true;
    if (Array.isArray(value)) return value.some(containsUnknown);
    if (value && typeof value === "object") return Object.values(value).some(containsUnknown);
    return false;
}

/**
 * Turns a zod parse of a resource's inputs into Pulumi check output: normalized inputs, or one failure per bad
 * property whose reason names the value received and what to do.
 *
 * Inputs still unknown at preview are passed through unvalidated; they are checked again once known.
 */
export function toCheckResult<T>(schema: z.ZodType<T>, news: Record<string, unknown>): pulumi.dynamic.CheckResult<T> {
    const { __provider: _ignored, ...inputs } = news;
    if (containsUnknown(inputs)) return { inputs: news as T };
    const parsed = schema.safeParse(inputs);
    if (parsed.success) return { inputs: parsed.data };
    return {
        failures: parsed.error.issues.map((issue) => {
            const property = issue.path.map(String).join(".") || "(inputs)";
            const received = valueAt(inputs, issue.path);
            const shown = received === undefined ? "nothing" : JSON.stringify(received);
            return { property, reason: `${issue.message} (received ${shown})` };
        }),
    };
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
    let cur: unknown = root;
    for (const key of path) {
        if (cur === null || typeof cur !== "object") return undefined;
        cur = (cur as Record<PropertyKey, unknown>)[key];
    }
    return cur;
}

/**
 * The defaults an object schema fills in, key by key: what each field parses `undefined` to (fields without a default
 * are left out). One source for code that must apply defaults before the whole schema can run.
 */
export function schemaDefaults(schema: { shape: Record<string, z.ZodType> }): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(schema.shape)) {
        const parsed = field.safeParse(undefined);
        if (parsed.success && parsed.data !== undefined) out[key] = parsed.data;
    }
    return out;
}
