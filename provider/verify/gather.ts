/**
 * Reads what the built-in post-clone checks judge, with read-only Table API queries only, and runs them: the clone
 * epoch they are keyed on, the email properties, the outbound endpoints, the text indexes, the MID servers, the active
 * scheduled scripts with the environment's job allow-list, and who can sign in against its access allow-list.
 */
import type { ServiceNowClient } from "../client/client";
import { hostOf, readEndpoints } from "../resources/integration-endpoints";
import { allowedJobs, ScheduledJobStateInputs } from "../resources/scheduled-job-state";
import { allowedUsers, UserLockoutInputs } from "../resources/user-lockout";
import {
    type CheckId,
    type CheckLimits,
    type CheckOutcome,
    checkEmail,
    checkEndpoints,
    checkJobGuards,
    checkLockout,
    checkMidServers,
    checkTextIndexes,
} from "./checks";

/** The clone the checks are keyed on: the latest one completed into the instance. */
export interface CloneEpoch {
    cloneId: string;
    /** UTC `YYYY-MM-DD HH:MM:SS`. */
    started: string;
    completed: string;
}

/** What the environment declares that the checks compare against. */
export interface ChecksSpec {
    /** Hosts no active endpoint may point at (the environment's production hosts and instances). */
    productionHosts: readonly string[];
    /** The environment's access policy (UserLockout inputs); without it the lockout check is not run. */
    access?: Partial<UserLockoutInputs>;
    /** The environment's job allow-list (ScheduledJobState inputs). */
    jobs?: Partial<ScheduledJobStateInputs>;
    /** Per check: threshold and severity. */
    limits?: Partial<Record<CheckId, CheckLimits>>;
}

/**
 * The latest completed clone into the instance, from the copy of the request the target keeps, or undefined when the
 * instance records none.
 */
export async function readCloneEpoch(client: ServiceNowClient): Promise<CloneEpoch | undefined> {
    const [row] = await client.query("sn_instance_clone_request", {
        query: "state=Completed^ORDERBYDESCcompleted",
        fields: ["sys_id", "started", "completed"],
        limit: 1,
    });
    if (!row) return undefined;
    return { cloneId: row.sys_id ?? "", started: row.started ?? "", completed: row.completed ?? "" };
}

/** Runs every built-in check that applies; reads only. */
export async function runChecks(
    client: ServiceNowClient,
    spec: ChecksSpec,
    epoch: CloneEpoch | undefined,
): Promise<CheckOutcome[]> {
    const limits = spec.limits ?? {};
    const out: CheckOutcome[] = [];

    const props = await client.query("sys_properties", {
        query: "nameINglide.email.smtp.active,glide.email.test.user",
        fields: ["name", "value"],
    });
    out.push(
        checkEmail(
            Object.fromEntries(props.map((p) => [p.name ?? "", p.value ?? ""])),
            limits["email-cannot-reach-users"],
        ),
    );

    const endpoints = (await readEndpoints(client)).map((e) => ({
        table: e.table,
        name: e.name,
        url: e.value,
        active: e.active,
    }));
    out.push(checkEndpoints(endpoints, spec.productionHosts, hostOf, limits["no-production-endpoints"]));

    const indexes = await client.query("ts_index_name", {
        query: "ORDERBYname",
        fields: ["name", "state", "last_indexed", "active"],
    });
    out.push(
        checkTextIndexes(
            indexes.map((r) => ({
                table: r.name ?? "",
                state: r.state ?? "",
                lastIndexed: r.last_indexed ?? "",
                active: r.active !== "false",
            })),
            // Without a clone on record, anything indexed counts: there is no copy to rebuild.
            epoch?.started ?? "",
            limits["text-indexes-rebuilt"],
        ),
    );

    const agents = await client.query("ecc_agent", { query: "ORDERBYname", fields: ["name", "status"] });
    out.push(
        checkMidServers(
            agents.map((a) => ({ name: a.name ?? "", status: a.status ?? "" })),
            limits["mid-servers-up"],
        ),
    );

    const scripts: { sysId: string; name: string; script: string }[] = [];
    for await (const page of client.pages("sysauto_script", { query: "active=true", fields: ["name", "script"] })) {
        for (const r of page) scripts.push({ sysId: r.sys_id ?? "", name: r.name ?? "", script: r.script ?? "" });
    }
    const jobInputs = ScheduledJobStateInputs.parse({ ...spec.jobs, connection: "target" });
    const allowedJobIds = (await allowedJobs(client, jobInputs)).exempt;
    out.push(checkJobGuards(scripts, allowedJobIds, limits["scheduled-jobs-guarded"]));

    if (spec.access) {
        const accessInputs = UserLockoutInputs.parse({ ...spec.access, connection: "target" });
        const allowed = (await allowedUsers(client, accessInputs)).exempt;
        const canSignIn: { sysId: string; userName: string }[] = [];
        const scope = accessInputs.scope ? `${accessInputs.scope}^locked_out=false` : "active=true^locked_out=false";
        for await (const page of client.pages("sys_user", { query: scope, fields: ["user_name"] })) {
            for (const r of page) canSignIn.push({ sysId: r.sys_id ?? "", userName: r.user_name ?? "" });
        }
        out.push(checkLockout(canSignIn, allowed, limits["lockout-holds"]));
    }
    return out;
}
