/**
 * The set-up the work-in-flight integration specs share: an emulator with production, a dev instance holding work in
 * progress and a holding instance that can take it, and the connection config of a stack on it.
 */
import type { ConfigMap } from "@pulumi/pulumi/automation";
import { setPluginActive } from "../../emulator/cicd/plugins";
import { WORK_PLUGIN } from "../../emulator/cicd/work-in-progress";
import { type RunningEmulator, startEmulator } from "../../emulator/index";

/**
 * Starts `prod` (production), `dev` (empty, with work in progress), `holding` (empty, with the plugin the work
 * needs active, so it can take the parked sets) and any extra empty targets.
 *
 * @param opts.cicdStepMs wall time of one CI/CD operation step (slower: a kill lands inside an operation).
 */
export async function startInFlightEmulator(opts: {
    password: string;
    cicdStepMs: number;
    extraTargets?: readonly string[];
}): Promise<RunningEmulator> {
    const emu = await startEmulator({
        instances: [
            { name: "prod", seed: "production" },
            { name: "dev", seed: "empty", workInProgress: true },
            { name: "holding", seed: "empty" },
            ...(opts.extraTargets ?? []).map((name) => ({ name, seed: "empty" as const })),
        ],
        users: 60,
        jobs: 20,
        adminPassword: opts.password,
        cloneDurationMs: 1500,
        cicdStepMs: opts.cicdStepMs,
    });
    setPluginActive(emu.instances.get("holding")!.db, WORK_PLUGIN, true, "2026-01-01 00:00:00");
    return emu;
}

/** The target, source (prod) and holding connections of a stack on `target`, passwords as secrets. */
export function inFlightConnections(emu: RunningEmulator, password: string, target = "dev"): ConfigMap {
    return {
        "servicenow:instanceUrl": { value: emu.instances.get(target)!.url },
        "servicenow:username": { value: "admin" },
        "servicenow:password": { value: password, secret: true },
        "servicenow:instanceName": { value: target },
        "servicenow:sourceInstanceUrl": { value: emu.instances.get("prod")!.url },
        "servicenow:sourceUsername": { value: "admin" },
        "servicenow:sourcePassword": { value: password, secret: true },
        "servicenow:sourceInstanceName": { value: "prod" },
        "servicenow:holdingInstanceUrl": { value: emu.instances.get("holding")!.url },
        "servicenow:holdingUsername": { value: "admin" },
        "servicenow:holdingPassword": { value: password, secret: true },
        "servicenow:holdingInstanceName": { value: "holding" },
        "servicenow:productionInstances": { value: "prod" },
    };
}
