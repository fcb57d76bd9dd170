/**
 * The provider shape of the one-per-connection settings resources (EmailPolicy, InstanceBranding, IntegrationEndpoints,
 * LdapServerState, MidServerState): connect, apply, read back as inputs, restore on destroy.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import { toCheckResult } from "./check";
import {
    type ConnectionName,
    configureFromStack,
    connect,
    diffInputs,
    type RecordClient,
    singletonId,
} from "./properties";

/** What makes one singleton resource different from another. */
export interface SingletonSpec<I extends { connection: ConnectionName }, O extends I> {
    /** The id's kind, e.g. `email-policy` gives `target:email-policy`. */
    kind: string;
    /** The input schema (zod): normalizes defaults and gives check its failures. */
    schema: z.ZodType<I>;
    /** The input keys (compared by diff; a changed `connection` replaces the resource). */
    inputKeys: readonly string[];
    /** Converges the instance on the inputs; `olds` is absent on create. */
    apply(client: RecordClient, inputs: I, olds?: O): Promise<O>;
    /** Live state shaped like the outputs, and the inputs that would produce it. */
    read(client: RecordClient, props: O): Promise<{ props: O; inputs: unknown }>;
    /** Puts back what the outputs remember having changed. */
    restore(client: RecordClient, props: O): Promise<void>;
    /** Replaces the schema-only check, for inputs that need more care (e.g. secrets that must not be echoed). */
    check?(news: I): Promise<pulumi.dynamic.CheckResult<I>>;
    /** Whether the resource must update although no input changed (e.g. refresh found drift the inputs cannot show). */
    mustUpdate?(olds: O, news: I): boolean;
}

/** Builds the dynamic provider of a singleton settings resource from its {@link SingletonSpec}. */
export function singletonProvider<I extends { connection: ConnectionName }, O extends I>(
    spec: SingletonSpec<I, O>,
): pulumi.dynamic.ResourceProvider<I, O> {
    return {
        async configure(req) {
            await configureFromStack(req);
        },
        async check(_olds, news) {
            return spec.check
                ? spec.check(news)
                : toCheckResult(spec.schema, news as unknown as Record<string, unknown>);
        },
        async diff(_id, olds, news) {
            const result = diffInputs(olds, news, spec.inputKeys, ["connection"]);
            if (!spec.mustUpdate) return result;
            return { ...result, changes: result.changes || spec.mustUpdate(olds, news) };
        },
        async create(inputs) {
            const client = await connect(inputs.connection);
            const outs = await spec.apply(client, inputs);
            return { id: singletonId(spec.kind, inputs.connection), outs };
        },
        async read(id, stored) {
            const props = stored as O;
            const client = await connect(props.connection);
            const { props: next, inputs } = await spec.read(client, props);
            return { id, props: next, inputs: inputs as O };
        },
        async update(_id, olds, news) {
            const client = await connect(news.connection);
            return { outs: await spec.apply(client, news, olds) };
        },
        async delete(_id, props) {
            const client = await connect(props.connection);
            await spec.restore(client, props);
        },
    };
}
