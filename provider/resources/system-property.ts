import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { toCheckResult } from "../check";
import {
    applyProperties,
    ConnectionInput,
    configureFromStack,
    connect,
    diffInputs,
    type PropertyMemory,
    type RecordClient,
    readProperties,
    restoreProperties,
    singletonId,
} from "../properties";

/** Inputs of {@link systemPropertyProvider}. */
export const SystemPropertyInputs = z.object({
    connection: ConnectionInput,
    name: z
        .string({ error: "name is required: the sys_properties name, e.g. glide.ui.session_timeout" })
        .regex(/^[A-Za-z0-9_.-]+$/, {
            error: "name must be a sys_properties name (letters, digits, '.', '_' or '-'), e.g. glide.ui.session_timeout",
        }),
    value: z.string({
        error: 'value is required and is always a string on the platform; write booleans as "true"/"false"',
    }),
    type: z
        .string()
        .min(1, { error: 'type must be a sys_properties type such as "string", "true|false" or "integer"' })
        .default("string"),
});
/** Normalized inputs. */
export type SystemPropertyInputs = z.infer<typeof SystemPropertyInputs>;

/** Outputs: the inputs as live, plus what destroy needs to put back. */
export interface SystemPropertyOutputs extends SystemPropertyInputs {
    /** The value before this resource first wrote it; null when the resource created the property. */
    previousValue: string | null;
    /** True when the property did not exist and this resource created it (destroy deletes it). */
    created: boolean;
}

const INPUT_KEYS = ["connection", "name", "value"] as const;

/** Converges one property and returns the outputs to keep. */
export async function applySystemProperty(
    client: RecordClient,
    inputs: SystemPropertyInputs,
    prior?: Pick<SystemPropertyOutputs, "previousValue">,
): Promise<SystemPropertyOutputs> {
    const memory: PropertyMemory = prior ? { [inputs.name]: prior.previousValue } : {};
    const applied = await applyProperties(client, { [inputs.name]: inputs.value }, memory, {
        [inputs.name]: inputs.type,
    });
    const previousValue = applied.memory[inputs.name] ?? null;
    return { ...inputs, previousValue, created: previousValue === null };
}

/** Dynamic provider for `SystemProperty`. */
export const systemPropertyProvider: pulumi.dynamic.ResourceProvider<SystemPropertyInputs, SystemPropertyOutputs> = {
    async configure(req) {
        await configureFromStack(req);
    },
    async check(_olds, news) {
        return toCheckResult(SystemPropertyInputs, news);
    },
    async diff(_id, olds, news) {
        // type only matters when the property is created; changing it later is not a reason to write.
        return diffInputs(olds, news, INPUT_KEYS, ["connection", "name"]);
    },
    async create(inputs) {
        const client = await connect(inputs.connection);
        const outs = await applySystemProperty(client, inputs);
        return { id: singletonId("property", inputs.connection, inputs.name), outs };
    },
    async read(id, stored) {
        const props = stored as SystemPropertyOutputs;
        const client = await connect(props.connection);
        const live = (await readProperties(client, [props.name])).get(props.name);
        // A deleted property reads as null so the next up re-creates it.
        const value = (live?.value ?? null) as string;
        const next = { ...props, value };
        const inputs: SystemPropertyInputs = {
            connection: props.connection,
            name: props.name,
            value,
            type: props.type,
        };
        return { id, props: next, inputs: inputs as SystemPropertyOutputs };
    },
    async update(_id, olds, news) {
        const client = await connect(news.connection);
        return { outs: await applySystemProperty(client, news, olds) };
    },
    async delete(_id, props) {
        const client = await connect(props.connection);
        await restoreProperties(client, { [props.name]: props.previousValue });
    },
};
