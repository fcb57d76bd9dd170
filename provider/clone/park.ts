/**
 * Parking in-flight update sets on the holding instance just before a clone: each named in-progress set on the
 * target is completed (only a complete set can be retrieved), the holding instance retrieves it from the target,
 * previews and commits it. If the holding instance cannot take a set, parking stops naming the problem and the
 * clone is not requested, so nothing is lost.
 */

import {
    blockingProblems,
    commitInOrder,
    describeProblem,
    ensureUpdateSource,
    type RetrievedSet,
    retrieveAndPreview,
    type SourceLogin,
} from "../cicd/update-sets";
import type { CicdClient, PollOptions } from "../client/cicd";
import { InputError, UpdateSetProblemError } from "../errors";

/** One parked set. */
export interface ParkedSet {
    name: string;
    /** The set's sys_id on the target before the clone. */
    targetSysId: string;
    /** The local complete copy on the holding instance. */
    holdingSysId: string;
}

/**
 * Parks the named sets (in that order) on the holding instance.
 *
 * @param targetLogin the user the holding instance signs in to the target with (the target connection's Basic login).
 * @throws InputError naming a set that does not exist on the target or is ignored
 * @throws UpdateSetProblemError naming each update the holding instance cannot take
 */
export async function parkUpdateSets(
    target: CicdClient,
    holding: CicdClient,
    names: readonly string[],
    targetLogin: SourceLogin,
    poll: Omit<PollOptions, "what">,
): Promise<ParkedSet[]> {
    if (names.length === 0) return [];
    // Both ends take writes (sets completed on the target, retrieved and committed on the holding instance): fence first.
    await target.assertWritable("sys_update_set");
    await holding.assertWritable("sys_update_set_source");
    const found: { name: string; sysId: string; state: string }[] = [];
    for (const name of names) {
        const row = (
            await target.query("sys_update_set", {
                query: `name=${name}^ORDERBYDESCsys_updated_on`,
                fields: ["sys_id", "name", "state"],
                limit: 1,
            })
        )[0];
        if (!row?.sys_id || row.state === "ignore") {
            throw new InputError(
                `update set "${name}" in parkUpdateSets ${row ? "is ignored" : "does not exist"} on ${target.url}; ` +
                    "remove it from the list or fix the name",
                { property: "parkUpdateSets", value: name, fix: "remove it from the list or fix the name" },
            );
        }
        found.push({ name, sysId: row.sys_id, state: row.state ?? "" });
    }
    for (const s of found) {
        if (s.state !== "complete") await target.update("sys_update_set", s.sysId, { state: "complete" });
    }
    const sourceId = await ensureUpdateSource(holding, target.url, targetLogin);
    const retrieved: RetrievedSet[] = [];
    for (const s of found) {
        poll.progress?.(`parking update set "${s.name}" on ${holding.url}`);
        retrieved.push(await retrieveAndPreview(holding, sourceId, { sysId: s.sysId, name: s.name }, poll));
    }
    const problems = await blockingProblems(holding, retrieved);
    if (problems.length > 0) {
        throw new UpdateSetProblemError(
            `the holding instance ${holding.url} cannot take ${problems.length} update(s), so the clone was not requested:\n  ` +
                `${problems.map(describeProblem).join("\n  ")}\n` +
                "activate what is missing on the holding instance (it must have the plugins the work needs) and run again",
            problems[0]!.set,
            problems.map(describeProblem),
        );
    }
    const local = await commitInOrder(holding, retrieved, poll);
    return found.map((s) => ({ name: s.name, targetSysId: s.sysId, holdingSysId: local.get(s.name) ?? "" }));
}
