/**
 * Demo step: work in flight survives a refresh. A dev instance holds in-progress update sets (two global, one of a
 * scoped app production lacks) and a plugin production lacks; the preview of a requested clone names all of it and,
 * with requireNoLoss, refuses; declared in environment:inFlight and environment:plugins, the work is parked on a
 * holding instance, production is cloned over dev, and the plugin and the sets come back.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { setPluginActive } from "../emulator/cicd/plugins";
import { startEmulator } from "../emulator/index";
import { EnvironmentOperationError, EnvironmentSession } from "../sdk/automation/environment";

/** What the step needs from the demo around it. */
export interface InFlightDemoContext {
    /** Temporary directory the demo removes at the end. */
    tmp: string;
    signal: AbortSignal;
    say: (text?: string) => void;
    /** Registers something to undo at the end. */
    cleanup: (fn: () => Promise<void> | void) => void;
}

const SETS = ["ACME-101 Incident auto-assignment", "ACME-102 Purchase order approvals", "Fleet Tracker 0.4"];

/** Runs the step on its own small emulator (production, a dev instance with work in progress, a holding instance). */
export async function inFlightDemo(ctx: InFlightDemoContext): Promise<void> {
    const { say } = ctx;
    say();
    say("[in flight] Work in progress on dev survives the refresh (CI/CD API: plugins, update sets)");
    const emu = await startEmulator({
        instances: [
            { name: "acme", seed: "production" },
            { name: "acme-dev", seed: "empty", workInProgress: true },
            { name: "acme-sandbox", seed: "empty" },
        ],
        users: 300,
        jobs: 40,
        cloneDurationMs: 3000,
    });
    ctx.cleanup(() => emu.stop());
    // The holding instance can take the parked work: it has the plugin the work needs.
    setPluginActive(emu.instances.get("acme-sandbox")!.db, "com.snc.procurement", true, "2026-01-01 00:00:00");
    const url = (n: string) => emu.instances.get(n)!.url;
    // Its own backend: the main demo's dev stack lives in the other one.
    const state = path.join(ctx.tmp, "in-flight-state");
    fs.mkdirSync(state, { recursive: true });
    const session = await EnvironmentSession.open({
        environment: "dev",
        isolated: true,
        backendUrl: `file://${state}`,
        pulumiHome: path.join(ctx.tmp, "pulumi-home"),
        passphrase: "demo-passphrase",
        signal: ctx.signal,
        config: {
            "servicenow:instanceUrl": { value: url("acme-dev") },
            "servicenow:username": { value: "admin" },
            "servicenow:password": { value: "admin", secret: true },
            "servicenow:productionInstances": { value: "acme" },
            "servicenow:sourceInstanceUrl": { value: url("acme") },
            "servicenow:sourceUsername": { value: "admin" },
            "servicenow:sourcePassword": { value: "admin", secret: true },
            "servicenow:sourceInstanceName": { value: "acme" },
            "servicenow:holdingInstanceUrl": { value: url("acme-sandbox") },
            "servicenow:holdingUsername": { value: "admin" },
            "servicenow:holdingPassword": { value: "admin", secret: true },
            "servicenow:holdingInstanceName": { value: "acme-sandbox" },
            "environment:clone": { value: JSON.stringify({ mode: "request", requireNoLoss: true, pollSeconds: 1 }) },
        },
    });
    ctx.cleanup(() => session.close());

    say("      preview of a requested clone, with requireNoLoss and nothing declared:");
    try {
        await session.preview();
        say("      (unexpected: the preview passed)");
    } catch (error) {
        if (!(error instanceof EnvironmentOperationError)) throw error;
        const reason = error.diagnostics.find((d) => d.includes("would destroy")) ?? error.message;
        const m = /(a clone into \S+ would destroy \d+ piece\(s\) of work): (.*?)\. Declare/s.exec(reason);
        say(`        ${m?.[1] ?? reason}`);
        for (const item of m?.[2]?.split("; ") ?? []) say(`          ${item}`);
        say("      nothing was written (the clone was not requested)");
    }

    say(
        "      declaring the work: environment:plugins activate [com.snc.procurement], environment:inFlight the three sets",
    );
    await session.stack.setConfig("environment:plugins", {
        value: JSON.stringify({ activate: ["com.snc.procurement"] }),
    });
    await session.stack.setConfig("environment:inFlight", {
        value: JSON.stringify({ updateSets: SETS, ignoreEmptySets: true }),
    });
    const t0 = Date.now();
    await session.apply({ refresh: false });
    const dev = emu.instances.get("acme-dev")!.db;
    say(`      parked on acme-sandbox, cloned, carried back in ${Math.round((Date.now() - t0) / 1000)} s:`);
    say(`        com.snc.procurement on dev: ${dev.query("v_plugin", "id=com.snc.procurement")[0]?.active}`);
    for (const name of SETS) {
        const remote = dev.query("sys_remote_update_set", `name=${name}`)[0];
        say(`        "${name}": ${remote?.state ?? "missing"} ${remote?.commit_date ?? ""}`);
    }
    say(
        `        scoped app x_acme_fleet on dev: ${dev.query("sys_app", "scope=x_acme_fleet").length === 1 ? "back" : "missing"}`,
    );
    await session.apply({ refresh: false, expectNoChanges: true });
    say("      a second apply: no changes");
}
