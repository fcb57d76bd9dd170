import type * as pulumi from "@pulumi/pulumi";

/**
 * A dynamic provider that forwards every call to a provider implemented in this package, loaded at call time.
 *
 * Pulumi serializes a dynamic provider's code into every resource's state and runs that copy for read, refresh and
 * delete. Serializing the real implementation would copy the whole REST client into state (bloating it and freezing
 * old code into old resources). This shim serializes to a few lines that `require` the installed package by name, so
 * state stays small and a fixed provider reaches existing resources on the next run.
 *
 * @param resourceModule file name under `dist/provider/resources/` without extension, e.g. `"user-lockout"`.
 * @param exportName the exported `ResourceProvider` object in that module, e.g. `"userLockoutProvider"`.
 * @example super(shimProvider("user-lockout", "userLockoutProvider"), name, props, opts, "servicenow", "UserLockout")
 */
export function shimProvider(resourceModule: string, exportName: string): pulumi.dynamic.ResourceProvider {
    return packageShimProvider(`provider/resources/${resourceModule}`, exportName);
}

/**
 * Like {@link shimProvider}, for a provider anywhere in the package's compiled output.
 *
 * @param distPath path under `dist/` without extension, e.g. `"test/fixtures/smoke/provider"`.
 * @param exportName the exported `ResourceProvider` object in that module.
 */
export function packageShimProvider(distPath: string, exportName: string): pulumi.dynamic.ResourceProvider {
    // Everything below is serialized by value; it must capture nothing but these two strings.
    const load = (): pulumi.dynamic.ResourceProvider => {
        const mod = require(`pulumi-servicenow-clone/dist/${distPath}`);
        const provider = mod[exportName];
        if (!provider) throw new Error(`pulumi-servicenow-clone: dist/${distPath} has no export ${exportName}`);
        return provider;
    };
    return {
        async configure(req) {
            await load().configure?.(req);
        },
        async check(olds, news) {
            const p = load();
            return p.check ? p.check(olds, news) : { inputs: news };
        },
        async diff(id, olds, news) {
            const p = load();
            return p.diff ? p.diff(id, olds, news) : {};
        },
        async create(inputs) {
            return load().create(inputs);
        },
        async read(id, props) {
            const p = load();
            return p.read ? p.read(id, props) : { id, props };
        },
        async update(id, olds, news) {
            const p = load();
            if (!p.update) throw new Error(`pulumi-servicenow-clone: dist/${distPath} cannot be updated in place`);
            return p.update(id, olds, news);
        },
        async delete(id, props) {
            await load().delete?.(id, props);
        },
    };
}
