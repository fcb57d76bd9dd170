/**
 * The dynamic provider behind {@link EnvironmentConfigCheck}: its `check` validates the environment's stack config so
 * a mistake is reported by the engine as a check failure naming the config key, before anything is written.
 *
 * Loaded through the package shim, so nothing but a module path is serialized into state.
 */
import type * as pulumi from "@pulumi/pulumi";
import { parseEnvironmentConfig } from "./config";

/** Inputs: the raw `environment:*` config, by key without the namespace. */
export interface EnvironmentConfigInputs {
    config: Record<string, unknown>;
}

/** Dynamic provider that only validates; a valid config never reaches create (the program registers it only on errors). */
export const environmentConfigProvider: pulumi.dynamic.ResourceProvider<
    EnvironmentConfigInputs,
    EnvironmentConfigInputs
> = {
    async check(_olds, news) {
        const parsed = parseEnvironmentConfig(news.config ?? {});
        if (parsed.ok) return { inputs: news };
        return { failures: parsed.problems.map((p) => ({ property: p.key, reason: p.reason })) };
    },
    async create(inputs) {
        // Reached only if the config became valid between the program's parse and check: record nothing useful.
        return { id: "environment-config", outs: inputs };
    },
};
