/**
 * CloneRun's part in carrying work in flight: its extra inputs, the loss report a requested clone prints at preview
 * (and `requireNoLoss` turns into a check failure), and what runs just before the request (park the declared update
 * sets on the holding instance; record the target's active plugins).
 */
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { activePluginIds } from "../cicd/plugins";
import { pollSettings } from "../client/cicd";
import { type ConnectionName, type ConnectionOverrides, clientFor, connectionOptions } from "../connection";
import { ConnectionConfigError } from "../errors";
import { formatLossReport, noLossFailure, readLossReport, withCarried } from "./loss-report";
import { type ParkedSet, parkUpdateSets } from "./park";

/** CloneRun's inputs about work in flight (spread into its schema). */
export const InFlightCloneInputs = {
    requireNoLoss: z.boolean({ error: "requireNoLoss must be true or false" }).default(false),
    parkUpdateSets: z
        .array(z.string().trim().min(1, { error: "an update set name must not be empty" }), {
            error: "parkUpdateSets must be a list of in-progress update set names on the target",
        })
        .refine((names) => names.every((n) => !n.includes("^")), { error: "an update set name must not contain '^'" })
        .default([]),
    capturePlugins: z.boolean({ error: "capturePlugins must be true or false" }).default(false),
    carriedPlugins: z
        .array(z.string().trim().min(1), { error: "carriedPlugins must be a list of plugin ids" })
        .default([]),
};
/** The keys above: inputs that change what happens around a new clone, never a reason to request one. */
export const IN_FLIGHT_KEYS = ["requireNoLoss", "parkUpdateSets", "capturePlugins", "carriedPlugins"] as const;

/** The inputs the in-flight steps read: CloneRun's, or the CLI's equivalent for `sn-clone apply --clone`. */
export type InFlightInputs = {
    mode: string;
    preserveInProgressUpdateSetsDays: number;
    pollSeconds: number;
    timeoutMinutes: number;
} & {
    [K in (typeof IN_FLIGHT_KEYS)[number]]: K extends "requireNoLoss" | "capturePlugins" ? boolean : string[];
};

/** CloneRun's outputs about work in flight. */
export interface InFlightCloneOutputs {
    /** The target's active plugins just before the clone (with capturePlugins); feed PluginState. */
    pluginsBeforeClone: string[];
    /** The update sets parked on the holding instance before the clone. */
    parkedUpdateSets: ParkedSet[];
}

/** Where the in-flight steps say what they do: CloneRun's progress lines by default, the CLI's display otherwise. */
export type Say = (line: string) => void;

/**
 * Settings given in code per connection (the Automation API's clone, which reads them from the stack config and may
 * run beside other environments in one process); none: the provider process's stack config and the environment.
 */
export type SettingsOf = (name: ConnectionName) => ConnectionOverrides | undefined;

const fromStack: SettingsOf = () => undefined;

function report(line: string): void {
    console.log(`CloneRun: ${line}`);
}

/** What a clone about to be requested would destroy, with the declared work counted as carried. */
export interface LossAssessment {
    /** The report as lines for a person (empty when the clone destroys nothing). */
    lines: string[];
    /** The `requireNoLoss` failure naming each lost item, or undefined when nothing is lost. */
    failure?: string;
}

/**
 * Reads what a requested clone would destroy on the target (and the source's apps and plugins), counting the work the
 * inputs declare as carried. Reads only. The one engine behind CloneRun's preview and `sn-clone apply --clone`.
 *
 * @throws ServiceNowError subclasses when the target or the source cannot be read.
 */
export async function assessLoss(inputs: InFlightInputs, settings: SettingsOf = fromStack): Promise<LossAssessment> {
    const target = await clientFor("target", settings("target"));
    const base = await readLossReport(target, await clientFor("source", settings("source")), {
        preserveInProgressUpdateSetsDays: inputs.preserveInProgressUpdateSetsDays,
    });
    const loss = withCarried(base, {
        updateSets: inputs.parkUpdateSets,
        plugins: inputs.carriedPlugins,
        allPlugins: inputs.capturePlugins,
    });
    return { lines: formatLossReport(loss), failure: noLossFailure(loss) };
}

/**
 * At check, for a clone about to be requested: reads what it would destroy on the target, prints the report, and with
 * `requireNoLoss` returns one failure naming each lost item (nothing is written either way).
 */
export async function checkLoss(inputs: InFlightInputs): Promise<pulumi.dynamic.CheckFailure[]> {
    if (inputs.mode !== "request") return [];
    let lines: string[];
    let failure: string | undefined;
    try {
        ({ lines, failure } = await assessLoss(inputs));
    } catch (error) {
        if (!inputs.requireNoLoss) {
            report(`could not read what the clone would destroy on the target: ${(error as Error).message}`);
            return [];
        }
        return [
            {
                property: "requireNoLoss",
                reason: `requireNoLoss needs to read the target and the source first, and could not: ${(error as Error).message}`,
            },
        ];
    }
    for (const line of lines) report(line);
    return inputs.requireNoLoss && failure ? [{ property: "requireNoLoss", reason: failure }] : [];
}

/** Just before the request: records the target's active plugins and parks the declared sets on the holding instance. */
export async function beforeRequest(
    inputs: InFlightInputs,
    say: Say = report,
    settings: SettingsOf = fromStack,
): Promise<InFlightCloneOutputs> {
    const target = await clientFor("target", settings("target"));
    const pluginsBeforeClone = inputs.capturePlugins ? await activePluginIds(target) : [];
    if (inputs.capturePlugins) say(`active plugins on the target before the clone: ${pluginsBeforeClone.join(", ")}`);
    if (inputs.parkUpdateSets.length === 0) return { pluginsBeforeClone, parkedUpdateSets: [] };
    const creds = connectionOptions("target", settings("target")).credentials;
    if (!creds.username || !creds.password) {
        throw new ConnectionConfigError(
            "parkUpdateSets needs the target connection's username and password: the holding instance signs in to the " +
                "target through an update source, which uses Basic auth; set servicenow:username and servicenow:password",
        );
    }
    const parkedUpdateSets = await parkUpdateSets(
        target,
        await clientFor("holding", settings("holding")),
        inputs.parkUpdateSets,
        { username: creds.username, password: creds.password },
        pollSettings(inputs, say),
    );
    say(`parked ${parkedUpdateSets.length} update set(s) on the holding instance`);
    return { pluginsBeforeClone, parkedUpdateSets };
}

/** The in-flight outputs an update keeps from the resource's previous state (no new clone, nothing re-parked). */
export function keptInFlightOutputs(olds: Partial<InFlightCloneOutputs>): InFlightCloneOutputs {
    return { pluginsBeforeClone: olds.pluginsBeforeClone ?? [], parkedUpdateSets: olds.parkedUpdateSets ?? [] };
}
