/**
 * CloneRun's side of governance: the change instance's client, the pending clone requests into the target, the
 * preview check of the start, and a governed request built from CloneRun's own request and wait. The rules and the
 * change's walk are in governance.ts; this only connects them to the connections and the clone tables.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { Row } from "../adopt";
import { clientFor, connectionOptions } from "../connection";
import { firstAvailableStart } from "./first-available";
import {
    type ChangeApi,
    type ChangeRef,
    type GovernanceInputs,
    governedClone,
    iso,
    type PendingClone,
    parseGlideTime,
    planStart,
} from "./governance";
import { type CloneClient, findTargetRegistration, REQUEST_TABLE, sleep } from "./run";

/** Which connection holds the change records. */
export type ChangeConnection = "source" | "target";

/** The Change Management API on a connection's instance; writes go through that client's fence. */
export async function changeApiOf(connection: ChangeConnection): Promise<ChangeApi> {
    const client = await clientFor(connection);
    return { call: (method, path, body) => client.changeApi(method, path, body) };
}

/** Clone requests into the target that have not started (the requests the platform keeps five days apart). */
export async function pendingClones(source: CloneClient, targetRef: string): Promise<PendingClone[]> {
    const rows = await source.query(REQUEST_TABLE, {
        query: `target_instance=${targetRef}^stateINRequested,Scheduled`,
        fields: ["sys_id", "state", "scheduled", "sys_created_on"],
        limit: 1000,
    });
    return rows.map((r) => {
        const scheduled = parseGlideTime(r.scheduled);
        return {
            sysId: r.sys_id ?? "",
            state: r.state ?? "",
            at: Number.isFinite(scheduled) ? scheduled : parseGlideTime(r.sys_created_on),
        };
    });
}

/**
 * At preview: refuses a start within the platform's minimum gap of another clone into the target, naming it.
 * Reads only. An instance that cannot be read does not fail the preview (the request would be refused at apply).
 */
export async function governancePreview(
    g: GovernanceInputs,
    target: string,
): Promise<pulumi.dynamic.CheckFailure | undefined> {
    let pending: PendingClone[];
    try {
        const source = await clientFor("source");
        const registration = await findTargetRegistration(source, target);
        pending = await pendingClones(source, registration.sys_id ?? "");
    } catch {
        return undefined;
    }
    const plan = planStart(g, Date.now(), pending);
    if (plan.kind === "start") return undefined;
    return { property: g.scheduledStart ? "governance.scheduledStart" : "governance", reason: plan.message };
}

/** What a governed request adds to CloneRun's outputs. */
export interface GovernedChange extends ChangeRef {
    /** The clone's scheduled start, ISO 8601. */
    scheduledStart: string;
}

/**
 * Requests the clone under change control (see governedClone): `fields` are CloneRun's request fields, `wait` its
 * wait-or-cancel. Returns the clone row and the change.
 */
export async function requestGoverned(
    g: GovernanceInputs,
    ctx: {
        source: CloneClient;
        target: string;
        targetRef: string;
        fields: Record<string, string>;
        wait: (id: string) => Promise<Row>;
        report: (line: string) => void;
    },
): Promise<{ row: Row; change: GovernedChange }> {
    const changeApi = await changeApiOf(g.changeConnection);
    let sourceName = ctx.source.url;
    try {
        sourceName = connectionOptions("source").instanceName ?? sourceName;
    } catch {
        // The URL names the source well enough.
    }
    let row: Row | undefined;
    const result = await governedClone(
        g,
        { target: ctx.target, source: sourceName },
        {
            changeApi,
            pendingClones: () => pendingClones(ctx.source, ctx.targetRef),
            requestClone: async (extra) => {
                const request = await ctx.source.insert(REQUEST_TABLE, { ...ctx.fields, ...extra });
                ctx.report(`requested clone ${request.sys_id} into ${ctx.target} on ${ctx.source.url}`);
                return request.sys_id ?? "";
            },
            cloneState: async (id) => (await ctx.source.getRecord(REQUEST_TABLE, id, ["state"])).state ?? "",
            waitForClone: async (id) => {
                row = await ctx.wait(id);
                return row;
            },
            firstSlot: (change, from, pending) =>
                firstAvailableStart(changeApi, change, g, from, pending, { now: Date.now, sleep: (ms) => sleep(ms) }),
            report: ctx.report,
            now: Date.now,
            sleep: (ms) => sleep(ms),
        },
    );
    return { row: row!, change: { ...result.change, scheduledStart: iso(result.start) } };
}
