/**
 * The shim every SDK class hands Pulumi: a few serialized lines that load the real provider from the installed
 * package at call time, and the clone-epoch input every post-clone resource takes.
 */
import type * as pulumi from "@pulumi/pulumi";
import { PROVIDERS, type ProviderKey } from "../registry";

/**
 * The input every post-clone resource accepts: the completion of the clone its policy follows (usually
 * `cloneRun.epoch`). When it changes — the instance was cloned again — the resource re-asserts its policy on the next
 * `up` even though none of its own inputs changed, and `preview` shows `cloneEpoch` as the reason.
 */
export const CLONE_EPOCH = "cloneEpoch";

/**
 * A dynamic provider that forwards every call to a provider implemented in this package, loaded at call time.
 *
 * Pulumi serializes a dynamic provider's code into every resource's state and runs that copy for read, refresh and
 * delete. Serializing the real implementation would copy the whole REST client into state (bloating it and freezing
 * old code into old resources). This shim serializes to a few lines that `require` the installed package by name, so
 * state stays small and a fixed provider reaches existing resources on the next run.
 *
 * It also gives every resource the {@link CLONE_EPOCH} input without the resource knowing about it.
 *
 * @param key the provider's key in the {@link PROVIDERS} registry (its file under `dist/provider/resources/`).
 * @example super(shimProvider("user-lockout"), name, props, opts, "servicenow", "UserLockout")
 */
export function shimProvider(key: ProviderKey): pulumi.dynamic.ResourceProvider {
    return packageShimProvider(`provider/resources/${key}`, PROVIDERS[key]);
}

/**
 * Like {@link shimProvider}, for a provider anywhere in the package's compiled output.
 *
 * @param distPath path under `dist/` without extension, e.g. `"test/fixtures/smoke/provider"`.
 * @param exportName the exported `ResourceProvider` object in that module.
 */
export function packageShimProvider(distPath: string, exportName: string): pulumi.dynamic.ResourceProvider {
    // Everything below is serialized by value; it must capture nothing but these two strings and the helpers
    // required inside the functions.
    const load = (): pulumi.dynamic.ResourceProvider => {
        const mod = require(`pulumi-servicenow-clone/dist/${distPath}`);
        const provider = mod[exportName];
        if (!provider) throw new Error(`pulumi-servicenow-clone: dist/${distPath} has no export ${exportName}`);
        return provider;
    };
    const epoch = (): typeof import("./shim") => require("pulumi-servicenow-clone/dist/provider/pulumi/shim");
    return {
        async configure(req) {
            await load().configure?.(req);
            // Settings read from the stack config at run time must be there before check or read runs.
            await (
                require("pulumi-servicenow-clone/dist/provider/connection") as typeof import("../connection")
            ).connectionsReady();
        },
        async check(olds, news) {
            const p = load();
            const { split, withEpoch, defined } = epoch();
            const [oldRest] = split(olds);
            const [rest, value] = split(news);
            const result = p.check ? await p.check(oldRest, rest) : { inputs: rest };
            if (result.failures?.length)
                return { ...result, failures: epoch().readableFailures(result.failures, rest) };
            return result.inputs ? { ...result, inputs: defined(withEpoch(result.inputs, value)) } : result;
        },
        async diff(id, olds, news) {
            const p = load();
            const { split, epochChanged } = epoch();
            const [oldRest, oldValue] = split(olds);
            const [rest, value] = split(news);
            const result = p.diff ? await p.diff(id, oldRest, rest) : {};
            return epochChanged(oldValue, value) ? { ...result, changes: true } : result;
        },
        async create(inputs) {
            const { split, withEpoch, defined } = epoch();
            const [rest, value] = split(inputs);
            const result = await load().create(rest);
            return { ...result, outs: defined(withEpoch(result.outs ?? {}, value)) };
        },
        async read(id, props) {
            const p = load();
            const { split, withEpoch, defined } = epoch();
            const [rest, value] = split(props ?? {});
            if (!p.read) return { id, props };
            const result = await p.read(id, rest);
            return {
                ...result,
                ...(result.props ? { props: defined(withEpoch(result.props, value)) } : {}),
                ...("inputs" in result && result.inputs ? { inputs: defined(withEpoch(result.inputs, value)) } : {}),
            };
        },
        async update(id, olds, news) {
            const p = load();
            const { split, withEpoch, defined } = epoch();
            if (!p.update) throw new Error(`pulumi-servicenow-clone: dist/${distPath} cannot be updated in place`);
            const [oldRest] = split(olds);
            const [rest, value] = split(news);
            const result = await p.update(id, oldRest, rest);
            return { ...result, outs: defined(withEpoch(result.outs ?? {}, value)) };
        },
        async delete(id, props) {
            const [rest] = epoch().split(props);
            await load().delete?.(id, rest);
        },
    };
}

/**
 * Separates the clone epoch from a resource's own inputs or outputs.
 *
 * @returns the remaining properties and the epoch (undefined when absent).
 */
export function split(props: Record<string, unknown>): [Record<string, unknown>, unknown] {
    if (!props || !(CLONE_EPOCH in props)) return [props, undefined];
    const { [CLONE_EPOCH]: value, ...rest } = props;
    return [rest, value];
}

/** Puts the clone epoch back next to a resource's own properties (omitted when absent, as protobuf requires). */
export function withEpoch<T extends object>(props: T, value: unknown): T {
    return value === undefined ? props : { ...props, [CLONE_EPOCH]: value };
}

/** True when the instance was cloned again since the resource last asserted its policy (or it may be, at preview). */
export function epochChanged(oldValue: unknown, newValue: unknown): boolean {
    return (oldValue ?? null) !== (newValue ?? null);
}

/**
 * Drops `undefined` values, at any depth, from what goes back to the engine: its protobuf encoding rejects them
 * ("Unexpected struct type"), and an optional property a provider leaves unset is easily written as `key: undefined`.
 */
export function defined<T>(value: T): T {
    if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : defined(v))) as T;
    if (value === null || typeof value !== "object" || value.constructor !== Object) return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = defined(v);
    return out as T;
}

/**
 * Check failures as the engine prints them: it shows `property <p> value <inputs[p]>`, looking `p` up as a top-level
 * key of the program's inputs only, so an item path such as `rules.0.from`, or an input the program left to its
 * default, printed `value {<nil>}`; and it prints a list or an object in its own notation (`{[{map[table:{sys_user}
 * …]}]}`), the whole list for one bad item. So a failure on a top-level property the program gave stays on it (the
 * engine prints that value); an item's failure, or one on a property the program did not give (e.g. a connection
 * setting from stack config), is reported on the resource, the reason starting with the item's path.
 *
 * @param given the inputs the program gave (before defaults).
 */
export function readableFailures(
    failures: readonly pulumi.dynamic.CheckFailure[],
    given: Record<string, unknown> = {},
): pulumi.dynamic.CheckFailure[] {
    return failures.map((f) => {
        const top = /^[^.[]+/.exec(f.property)?.[0] ?? f.property;
        const path = f.property.replace(/\.(\d+)(?=\.|$)/g, "[$1]");
        // The reason already names it when the path or property stands as a word followed by a space or a colon.
        const names = (p: string) => new RegExp(`(^|\\s)${p.replace(/[.[\]]/g, "\\$&")}[ :]`).test(f.reason);
        const named = names(path) || names(f.property);
        const onProperty = top in given && top === f.property;
        const reason = !named && !onProperty ? `${path}: ${f.reason}` : f.reason;
        return { property: onProperty ? top : "", reason };
    });
}
