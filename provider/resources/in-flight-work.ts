/**
 * `InFlightWork`: declared update sets carried from the holding instance back onto the freshly cloned target:
 * retrieve → preview → problems reported by name → commit in the declared order, or stop before committing anything.
 * Keyed on the clone epoch (a new clone carries them again). Never deletes `sys_update_set` or `sys_update_xml`.
 */
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { sameJson } from "../adopt";
import {
    blockingProblems,
    commitInOrder,
    describeProblem,
    ensureUpdateSource,
    type RetrievedSet,
    retrieveAndPreview,
} from "../cicd/update-sets";
import { type CicdClient, pollSettings, runCicdOperation } from "../client/cicd";
import { ConnectionInput, clientFor, configureFromStack, connectionOptions } from "../connection";
import { ConnectionConfigError, InputError, UpdateSetProblemError } from "../errors";
import { toCheckResult } from "../pulumi/check";

/** Inputs of {@link inFlightWorkProvider}. */
export const InFlightWorkInputs = z.object({
    connection: ConnectionInput,
    updateSets: z
        .array(z.string().trim().min(1, { error: "an update set name must not be empty" }), {
            error: "updateSets must be a list of update set names, in the order they are committed",
        })
        .min(1, { error: "updateSets must name at least one update set" })
        .refine((names) => new Set(names).size === names.length, { error: "updateSets names a set twice" })
        .refine((names) => names.every((n) => !n.includes("^")), { error: "an update set name must not contain '^'" }),
    ignoreEmptySets: z.boolean({ error: "ignoreEmptySets must be true or false" }).default(false),
    backOutOnDestroy: z.boolean({ error: "backOutOnDestroy must be true or false" }).default(false),
    timeoutMinutes: z.number().positive({ error: "timeoutMinutes must be more than 0" }).default(60),
    pollSeconds: z.number().positive({ error: "pollSeconds must be more than 0" }).default(5),
});
/** Normalized inputs. */
export type InFlightWorkInputs = z.infer<typeof InFlightWorkInputs>;

/** One carried set. */
export interface CarriedSet {
    name: string;
    /** The complete set on the holding instance. */
    holdingSysId: string;
    /** Its retrieved copy on the target. */
    remoteSysId: string;
    /** The local complete copy the commit made on the target. */
    localSysId: string;
}

/** Outputs. */
export interface InFlightWorkOutputs extends InFlightWorkInputs {
    carried: CarriedSet[];
    /** Empty in-progress sets this resource marked ignored (put back on destroy). */
    ignoredSets: string[];
    /** Drift found by the last read: sets no longer committed, unresolved problems. Empty after an apply. */
    drift: string[];
}

const INPUT_KEYS = [
    "connection",
    "updateSets",
    "ignoreEmptySets",
    "backOutOnDestroy",
    "timeoutMinutes",
    "pollSeconds",
] as const;

function report(line: string): void {
    console.log(`InFlightWork: ${line}`);
}

/** The holding instance's Basic login, which the target's update source signs in with. */
function holdingLogin(): { username: string; password: string } {
    const creds = connectionOptions("holding").credentials;
    if (creds.kind !== "basic" && !(creds.username && creds.password)) {
        throw new ConnectionConfigError(
            "InFlightWork needs the holding connection's username and password: an update source signs in with Basic auth; " +
                "set servicenow:holdingUsername and servicenow:holdingPassword (--secret)",
        );
    }
    return { username: creds.username ?? "", password: creds.password ?? "" };
}

/** The declared sets on the holding instance (complete, most recent by name), in the declared order. */
async function parkedSets(holding: CicdClient, names: readonly string[]): Promise<{ name: string; sysId: string }[]> {
    const out: { name: string; sysId: string }[] = [];
    const missing: string[] = [];
    for (const name of names) {
        const row = (
            await holding.query("sys_update_set", {
                query: `name=${name}^state=complete^ORDERBYDESCsys_created_on`,
                fields: ["sys_id"],
                limit: 1,
            })
        )[0];
        if (row?.sys_id) out.push({ name, sysId: row.sys_id });
        else missing.push(name);
    }
    if (missing.length > 0) {
        throw new InputError(
            `update set(s) ${missing.map((n) => `"${n}"`).join(", ")} in updateSets are not parked (complete) on the holding instance ${holding.url}; ` +
                "park them before the clone (CloneRun parkUpdateSets) or fix the names",
            { property: "updateSets", value: missing, fix: "park the sets on the holding instance or fix the names" },
        );
    }
    return out;
}

/** Carries every declared set: retrieve and preview all, then commit all in order, or nothing. */
async function carry(inputs: InFlightWorkInputs): Promise<CarriedSet[]> {
    const target = await clientFor(inputs.connection);
    const holding = await clientFor("holding");
    await target.assertWritable("sys_update_set_source");
    const sets = await parkedSets(holding, inputs.updateSets);
    const sourceId = await ensureUpdateSource(target, holding.url, holdingLogin());
    const retrieved: RetrievedSet[] = [];
    for (const s of sets) {
        report(`retrieving "${s.name}" from ${holding.url}`);
        retrieved.push(await retrieveAndPreview(target, sourceId, s, pollSettings(inputs, report)));
    }
    const problems = await blockingProblems(target, retrieved);
    if (problems.length > 0) {
        throw new UpdateSetProblemError(
            `nothing was committed: the preview on ${target.url} found ${problems.length} problem(s):\n  ` +
                `${problems.map(describeProblem).join("\n  ")}\n` +
                "activate what is missing first (PluginState, environment:plugins), or resolve the problems in Retrieved Update Sets, then run up again",
            problems[0]!.set,
            problems.map(describeProblem),
        );
    }
    report(`committing ${retrieved.filter((r) => r.state !== "committed").length} update set(s) in order`);
    const local = await commitInOrder(target, retrieved, pollSettings(inputs, report));
    return retrieved.map((r, i) => ({
        name: r.name,
        holdingSysId: sets[i]!.sysId,
        remoteSysId: r.remoteId,
        localSysId: local.get(r.name) ?? "",
    }));
}

/** Marks the target's empty in-progress sets (not Default) ignored; returns their names. */
async function ignoreEmpty(target: CicdClient): Promise<string[]> {
    const sets = await target.query("sys_update_set", {
        query: "state=in progress^is_default=false^name!=Default",
        fields: ["sys_id", "name"],
    });
    const ignored: string[] = [];
    for (const s of sets) {
        if ((await target.count("sys_update_xml", `update_set=${s.sys_id}`)) > 0) continue;
        await target.update("sys_update_set", s.sys_id ?? "", { state: "ignore" });
        ignored.push(s.name ?? "");
    }
    return ignored;
}

/**
 * What is no longer as carried, one sentence per item: a set whose retrieved copy is not committed any more (backed
 * out, re-retrieved, or gone with a new clone), and the unresolved preview problems of such a copy.
 */
async function carriedDrift(target: CicdClient, carried: readonly CarriedSet[]): Promise<string[]> {
    const drift: string[] = [];
    for (const c of carried) {
        const remote = (
            await target.query("sys_remote_update_set", {
                query: `sys_id=${c.remoteSysId}`,
                fields: ["state"],
                limit: 1,
            })
        )[0];
        if (remote?.state === "committed") continue;
        drift.push(`update set "${c.name}" is no longer committed on ${target.url} (${remote?.state ?? "gone"})`);
        if (!remote) continue;
        const problems = await blockingProblems(target, [
            { name: c.name, originId: c.holdingSysId, remoteId: c.remoteSysId, state: remote.state ?? "" },
        ]);
        for (const p of problems) drift.push(`unresolved preview problem: ${describeProblem(p)}`);
    }
    return drift;
}

async function apply(inputs: InFlightWorkInputs, previouslyIgnored: string[]): Promise<InFlightWorkOutputs> {
    const carried = await carry(inputs);
    const ignoredSets = inputs.ignoreEmptySets
        ? [...new Set([...previouslyIgnored, ...(await ignoreEmpty(await clientFor(inputs.connection)))])]
        : previouslyIgnored;
    return { ...inputs, carried, ignoredSets, drift: [] };
}

/** Dynamic provider for `InFlightWork`. */
export const inFlightWorkProvider: pulumi.dynamic.ResourceProvider<InFlightWorkInputs, InFlightWorkOutputs> = {
    async configure(req) {
        await configureFromStack(req);
    },
    async check(_olds, news) {
        return toCheckResult(InFlightWorkInputs, news as Record<string, unknown>);
    },
    async diff(_id, olds, news) {
        const o = olds as unknown as Record<string, unknown>;
        const n = news as unknown as Record<string, unknown>;
        const replaces = sameJson(o.connection, n.connection) ? [] : ["connection"];
        const changes = INPUT_KEYS.some((k) => !sameJson(o[k], n[k])) || (olds.drift?.length ?? 0) > 0;
        return { changes, replaces };
    },
    async create(inputs) {
        const outs = await apply(inputs, []);
        return { id: `in-flight-${inputs.connection}`, outs };
    },
    async read(id, props) {
        const stored = props as InFlightWorkOutputs;
        const target = await clientFor(stored.connection);
        const drift = await carriedDrift(target, stored.carried ?? []);
        const inputs = Object.fromEntries(INPUT_KEYS.map((k) => [k, stored[k]]));
        return { id, props: { ...stored, drift }, inputs: inputs as unknown as InFlightWorkOutputs };
    },
    async update(_id, olds, news) {
        return { outs: await apply(news, olds.ignoredSets ?? []) };
    },
    async delete(_id, props) {
        const target = await clientFor(props.connection);
        for (const name of props.ignoredSets ?? []) {
            const row = (
                await target.query("sys_update_set", {
                    query: `name=${name}^state=ignore`,
                    fields: ["sys_id"],
                    limit: 1,
                })
            )[0];
            if (row?.sys_id) await target.update("sys_update_set", row.sys_id, { state: "in progress" });
        }
        if (!props.backOutOnDestroy) {
            if ((props.carried ?? []).length > 0) {
                report(
                    `the committed update sets (${props.carried.map((c) => `"${c.name}"`).join(", ")}) stay committed: ` +
                        "destroy cannot undo a commit by itself; set backOutOnDestroy to back them out through update_set/back_out",
                );
            }
            return;
        }
        await target.assertWritable("sys_update_set");
        for (const c of [...(props.carried ?? [])].reverse()) {
            if (!c.localSysId) continue;
            report(`backing out "${c.name}"`);
            await runCicdOperation(
                target.cicd,
                { path: "/api/sn_cicd/update_set/back_out", params: { update_set_id: c.localSysId } },
                { ...pollSettings(props, report), what: `back-out of update set "${c.name}" on ${target.url}` },
            );
        }
    },
};
