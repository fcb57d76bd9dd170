/**
 * A dynamic provider that talks to nothing: every call answers at once with outputs shaped like a bulk resource's,
 * so the benchmark can time Pulumi and Node alone.
 */
import type * as pulumi from "@pulumi/pulumi";

const outputsOf = (inputs: Record<string, unknown>) => ({
    ...inputs,
    changes: "",
    changesAsOf: "",
    changedCount: 0,
    exemptCount: 0,
    driftCount: 0,
    pendingRevertCount: 0,
});

/** Creates, reads and diffs without any request; ids are the resource names given as input. */
export const noopProvider: pulumi.dynamic.ResourceProvider = {
    async check(_olds, news) {
        return { inputs: news };
    },
    async diff(_id, olds, news) {
        return { changes: JSON.stringify(olds.policy) !== JSON.stringify(news.policy) };
    },
    async create(inputs) {
        return { id: `noop-${inputs.name}`, outs: outputsOf(inputs) };
    },
    async read(id, props) {
        return { id, props };
    },
    async update(_id, _olds, news) {
        return { outs: outputsOf(news) };
    },
    async delete() {},
};
