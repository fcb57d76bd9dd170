/**
 * `PluginState`: the plugins an environment needs active after every clone, activated one at a time through the
 * CI/CD API with progress. Destroy leaves them active unless asked to roll back (a rollback deletes data and works
 * only for a short time after an activation).
 */
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { activatePlugin, readPlugins, rollbackPlugin } from "../cicd/plugins";
import { pollSettings } from "../client/cicd";
import { ConnectionInput } from "../connection";
import { CicdOperationError } from "../errors";
import { type SettingsClient, settingsProvider } from "../skeletons/settings";

/** Inputs of {@link pluginStateProvider}. */
export const PluginStateInputs = z.object({
    connection: ConnectionInput,
    plugins: z
        .array(
            z
                .string({ error: "each plugin must be a plugin id, e.g. com.snc.procurement" })
                .trim()
                .min(1, { error: "a plugin id must not be empty" })
                .regex(/^[A-Za-z0-9_.-]+$/, {
                    error: "a plugin id has letters, digits, dots, dashes and underscores only, e.g. com.snc.procurement",
                }),
            { error: "plugins must be a list of plugin ids" },
        )
        .refine((ids) => new Set(ids).size === ids.length, { error: "plugins lists an id twice; list each once" }),
    rollbackOnDestroy: z.boolean({ error: "rollbackOnDestroy must be true or false" }).default(false),
    timeoutMinutes: z
        .number({ error: "timeoutMinutes must be a number of minutes" })
        .positive({ error: "timeoutMinutes must be more than 0; an activation can take many minutes" })
        .default(60),
    pollSeconds: z
        .number({ error: "pollSeconds must be a number of seconds" })
        .positive({ error: "pollSeconds must be more than 0" })
        .default(5),
});
/** Normalized inputs. */
export type PluginStateInputs = z.infer<typeof PluginStateInputs>;

/** Outputs: the inputs, what this resource activated, and what is inactive now (drift). */
export interface PluginStateOutputs extends PluginStateInputs {
    /** Plugins this resource activated (rolled back on destroy with rollbackOnDestroy), in activation order. */
    activated: string[];
    /** Declared plugins found inactive by the last read; empty after an apply. */
    inactive: string[];
}

const INPUT_KEYS = ["connection", "plugins", "rollbackOnDestroy", "timeoutMinutes", "pollSeconds"] as const;

function report(line: string): void {
    console.log(`PluginState: ${line}`);
}

/** Activates every declared plugin that is inactive, in order; returns those it activated. */
async function converge(client: SettingsClient, inputs: PluginStateInputs): Promise<string[]> {
    await client.assertWritable("v_plugin");
    const live = await readPlugins(client, inputs.plugins);
    const activated: string[] = [];
    for (const id of inputs.plugins) {
        if (live.get(id)?.active) continue;
        report(`activating ${id} on ${client.url}`);
        await activatePlugin(client, id, pollSettings(inputs, report));
        activated.push(id);
    }
    return activated;
}

/** Rolls back what this resource activated, latest first, when asked to; otherwise says why it leaves them active. */
async function rollBack(client: SettingsClient, props: PluginStateOutputs): Promise<void> {
    if (!props.rollbackOnDestroy || props.activated.length === 0) {
        if (props.activated.length > 0) {
            report(
                `leaving ${props.activated.join(", ")} active: a rollback deletes the plugin's data; set rollbackOnDestroy to roll back`,
            );
        }
        return;
    }
    await client.assertWritable("v_plugin");
    const refused: string[] = [];
    for (const id of [...props.activated].reverse()) {
        try {
            report(`rolling back ${id} on ${client.url}`);
            await rollbackPlugin(client, id, pollSettings(props, report));
        } catch (error) {
            if (!(error instanceof CicdOperationError)) throw error;
            refused.push(`${id}: ${error.statusMessage}`);
        }
    }
    if (refused.length > 0) {
        throw new CicdOperationError(
            `the platform refused to roll back ${refused.length} plugin(s), which stay active: ${refused.join("; ")}; ` +
                "set rollbackOnDestroy to false to destroy without rolling back",
            { status: "3", statusMessage: refused.join("; "), progressId: "" },
        );
    }
}

/**
 * Dynamic provider for `PluginState`, a spec of the settings skeleton: check resolves every plugin id, apply activates
 * the inactive ones, read reports the declared plugins found inactive (drift that makes the next up run), and destroy
 * rolls back only on request.
 */
export const pluginStateProvider: pulumi.dynamic.ResourceProvider<PluginStateInputs, PluginStateOutputs> =
    settingsProvider<PluginStateInputs, PluginStateOutputs>({
        schema: PluginStateInputs,
        inputKeys: INPUT_KEYS,
        id: (inputs) => `plugins-${inputs.connection}`,
        async lookup(connect, inputs) {
            // Every id must exist on the instance: an unknown one would fail only after the others were activated.
            let live: Awaited<ReturnType<typeof readPlugins>>;
            try {
                live = await readPlugins(await connect(), inputs.plugins);
            } catch {
                return []; // unreachable at preview: create reports it
            }
            return inputs.plugins
                .map((id, i) => ({ id, i }))
                .filter(({ id }) => !live.has(id))
                .map(({ id, i }) => ({
                    property: `plugins[${i}]`,
                    reason: `plugin "${id}" does not exist on the ${inputs.connection} instance (no v_plugin row); fix the id or remove it`,
                }));
        },
        mustUpdate: (olds) => (olds.inactive?.length ?? 0) > 0,
        async apply(client, inputs, prior) {
            const activated = await converge(client, inputs);
            return { ...inputs, activated: [...new Set([...(prior?.activated ?? []), ...activated])], inactive: [] };
        },
        async read(client, stored) {
            const live = await readPlugins(client, stored.plugins);
            const inactive = stored.plugins.filter((p) => !live.get(p)?.active);
            const inputs = Object.fromEntries(INPUT_KEYS.map((k) => [k, stored[k]]));
            return { props: { ...stored, inactive }, inputs };
        },
        restore: rollBack,
    });
