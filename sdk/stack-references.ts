/**
 * Marks the references of a resource's arguments that come from another resource of the same program, so the
 * provider's check does not fail a first preview on a record the program is about to create (provider/pulumi/check.ts,
 * FROM_STACK).
 */
import * as pulumi from "@pulumi/pulumi";
import { FROM_STACK } from "../provider/pulumi/check";

export { FROM_STACK };

/**
 * The paths of `keys` in `args` whose value is an Output (another resource's property, or a value derived from one):
 * `key` for a whole value, `key.<i>` for a list entry, also when the entry is an object whose `itemKey` is an Output.
 *
 * @example fromStackPaths({ exclusions: [pii.name, "sys_email"] }, ["exclusions"]) // ["exclusions.0"]
 */
export function fromStackPaths(args: object, keys: readonly string[], itemKey?: string): string[] {
    const values = args as Record<string, unknown>;
    const paths: string[] = [];
    for (const key of keys) {
        const value = values[key];
        if (pulumi.Output.isInstance(value)) paths.push(key);
        else if (Array.isArray(value)) {
            value.forEach((item, i) => {
                const inner =
                    itemKey && item && typeof item === "object"
                        ? (item as Record<string, unknown>)[itemKey]
                        : undefined;
                if (pulumi.Output.isInstance(item) || pulumi.Output.isInstance(inner)) paths.push(`${key}.${i}`);
            });
        }
    }
    return paths;
}

/** The hidden input to spread into a resource's props: `{ __fromStack: [...] }`, or nothing when no path is marked. */
export function fromStackInput(args: object, keys: readonly string[], itemKey?: string): Record<string, string[]> {
    const paths = fromStackPaths(args, keys, itemKey);
    return paths.length > 0 ? { [FROM_STACK]: paths } : {};
}
