/**
 * SystemProperty: one `sys_properties` row adopted and converged on a value; destroy puts the previous value back, or
 * deletes the property when the resource created it.
 */
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import {
    applyProperties,
    type PropertyMemory,
    type RecordClient,
    readProperties,
    restoreProperties,
    type UndoJournal,
} from "../adopt";
import { ConnectionInput } from "../connection";
import { settingsProvider, singletonId } from "../skeletons/settings";

/** The values of `sys_properties.type` (a boolean property is `boolean`, labelled "true | false" in forms). */
export const PROPERTY_TYPES = [
    "string",
    "integer",
    "boolean",
    "choicelist",
    "color",
    "date_format",
    "image",
    "password",
    "password2",
    "short_string",
    "time_format",
    "timezone",
    "uploaded_image",
] as const;

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
    // The choice values of sys_properties.type (the ServiceNow SDK's Property types). The Table API would store any
    // string, leaving a property the platform's forms cannot edit, so a misspelt type fails here instead.
    type: z
        .enum(PROPERTY_TYPES, { error: `type must be one of the sys_properties types: ${PROPERTY_TYPES.join(", ")}` })
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
    journal?: UndoJournal,
): Promise<SystemPropertyOutputs> {
    const memory: PropertyMemory = prior ? { [inputs.name]: prior.previousValue } : {};
    const applied = await applyProperties(
        client,
        { [inputs.name]: inputs.value },
        memory,
        { [inputs.name]: inputs.type },
        journal,
    );
    const previousValue = applied.memory[inputs.name] ?? null;
    return { ...inputs, previousValue, created: previousValue === null };
}

/** Dynamic provider for `SystemProperty`. */
export const systemPropertyProvider: pulumi.dynamic.ResourceProvider<SystemPropertyInputs, SystemPropertyOutputs> =
    settingsProvider<SystemPropertyInputs, SystemPropertyOutputs>({
        schema: SystemPropertyInputs,
        // type only matters when the property is created; changing it later is not a reason to write.
        inputKeys: INPUT_KEYS,
        replaceKeys: ["connection", "name"],
        id: (inputs) => singletonId("property", inputs.connection, inputs.name),
        apply: applySystemProperty,
        async read(client, props) {
            const live = (await readProperties(client, [props.name])).get(props.name);
            // A deleted property reads as null so the next up re-creates it.
            const value = (live?.value ?? null) as string;
            const inputs: SystemPropertyInputs = {
                connection: props.connection,
                name: props.name,
                value,
                type: props.type,
            };
            return { props: { ...props, value }, inputs };
        },
        async restore(client, props) {
            await restoreProperties(client, { [props.name]: props.previousValue });
        },
    });
