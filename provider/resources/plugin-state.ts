/**
 * `PluginState`: the plugins an environment needs active after every clone, activated one at a time through the
 * CI/CD API with progress. Destroy leaves them active unless asked to roll back (a rollback deletes data and works
 * only for a short time after an activation).
 */
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { sameJson } from "../adopt";
import { activatePlugin, readPlugins, rollbackPlugin } from "../cicd/plugins";
import { pollSettings } from "../client/cicd";
import { ConnectionInput, clientFor, configureFromStack } from "../connection";
import { CicdOperationError } from "../errors";
import { toCheckResult } from "../pulumi/check";

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
async function converge(inputs: PluginStateInputs): Promise<string[]> {
    const client = await clientFor(inputs.connection);
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

/** Dynamic provider for `PluginState`. */
export const pluginStateProvider: pulumi.dynamic.ResourceProvider<PluginStateInputs, PluginStateOutputs> = {
    async configure(req) {
        await configureFromStack(req);
    },
    async check(_olds, news) {
        const result = toCheckResult(PluginStateInputs, news as Record<string, unknown>);
        if (!result.inputs || result.failures?.length) return result;
        const inputs = result.inputs as PluginStateInputs;
        // Every id must exist on the instance: an unknown one would fail only after the others were activated.
        let live: Awaited<ReturnType<typeof readPlugins>>;
        try {
            live = await readPlugins(await clientFor(inputs.connection), inputs.plugins);
        } catch {
            return result; // unreachable at preview: create reports it
        }
        const failures = inputs.plugins
            .map((id, i) => ({ id, i }))
            .filter(({ id }) => !live.has(id))
            .map(({ id, i }) => ({
                property: `plugins[${i}]`,
                reason: `plugin "${id}" does not exist on the ${inputs.connection} instance (no v_plugin row); fix the id or remove it`,
            }));
        return failures.length ? { failures } : result;
    },
    async diff(_id, olds, news) {
        const o = olds as unknown as Record<string, unknown>;
        const n = news as unknown as Record<string, unknown>;
        const replaces = sameJson(o.connection, n.connection) ? [] : ["connection"];
        const changes = INPUT_KEYS.some((k) => !sameJson(o[k], n[k])) || (olds.inactive?.length ?? 0) > 0;
        return { changes, replaces };
    },
    async create(inputs) {
        const activated = await converge(inputs);
        return { id: `plugins-${inputs.connection}`, outs: { ...inputs, activated, inactive: [] } };
    },
    async read(id, props) {
        const stored = props as PluginStateOutputs;
        const live = await readPlugins(await clientFor(stored.connection), stored.plugins);
        const inactive = stored.plugins.filter((p) => !live.get(p)?.active);
        const inputs = Object.fromEntries(INPUT_KEYS.map((k) => [k, stored[k]]));
        return { id, props: { ...stored, inactive }, inputs: inputs as unknown as PluginStateOutputs };
    },
    async update(_id, olds, news) {
        const activated = await converge(news);
        return { outs: { ...news, activated: [...new Set([...(olds.activated ?? []), ...activated])], inactive: [] } };
    },
    async delete(_id, props) {
        if (!props.rollbackOnDestroy || props.activated.length === 0) {
            if (props.activated.length > 0) {
                report(
                    `leaving ${props.activated.join(", ")} active: a rollback deletes the plugin's data; set rollbackOnDestroy to roll back`,
                );
            }
            return;
        }
        const client = await clientFor(props.connection);
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
    },
};
