/**
 * Update sets between two instances through the CI/CD API, as the client sees them: the update source that points
 * one instance at another, retrieve with preview, the problems a preview found, commit in a declared order, and the
 * state of what was carried. Shared by parking (target → holding, before a clone) and InFlightWork (holding → target,
 * after it).
 */
import { type CicdClient, type PollOptions, pollUntil, runCicdOperation } from "../client/cicd";
import { CicdTimeoutError, UpdateSetProblemError } from "../errors";

/** A record as the Table API returns it. */
type Rec = Record<string, string>;

/** Credentials an update source signs in to its instance with (Basic: the platform's update sources have no OAuth). */
export interface SourceLogin {
    username: string;
    password: string;
}

/** Name the provider gives the update sources it creates, so it finds (and refreshes) its own on the next run. */
export function updateSourceName(url: string): string {
    return `pulumi-servicenow-clone: ${url.replace(/^https?:\/\//, "")}`;
}

/**
 * Finds or creates, on `on`, the active update source that reads from `from`, with the given login (refreshed every
 * time: the password may have been rotated). Returns its sys_id.
 */
export async function ensureUpdateSource(on: CicdClient, fromUrl: string, login: SourceLogin): Promise<string> {
    const name = updateSourceName(fromUrl);
    const values = {
        name,
        url: fromUrl,
        username: login.username,
        password: login.password,
        type: "Development",
        active: "true",
        short_description: "Created by pulumi-servicenow-clone to move update sets around a clone",
    };
    const existing = await on.query("sys_update_set_source", { query: `name=${name}`, fields: ["sys_id"], limit: 1 });
    if (existing[0]?.sys_id) {
        await on.update("sys_update_set_source", existing[0].sys_id, values);
        return existing[0].sys_id;
    }
    return (await on.insert("sys_update_set_source", values)).sys_id ?? "";
}

/** A retrieved set on the receiving instance. */
export interface RetrievedSet {
    name: string;
    /** sys_id of the set on the instance it came from. */
    originId: string;
    /** sys_id of the `sys_remote_update_set`. */
    remoteId: string;
    /** Its state after the retrieve (`previewed`, or `committed` when it was carried before). */
    state: string;
}

/** The retrieved copy of a set on `on`, if it was retrieved from that source before. */
export async function findRetrieved(on: CicdClient, originId: string, sourceId: string): Promise<Rec | undefined> {
    const rows = await on.query("sys_remote_update_set", {
        query: `remote_sys_id=${originId}^update_source=${sourceId}^ORDERBYDESCsys_created_on`,
        fields: ["sys_id", "name", "state", "update_set"],
        limit: 1,
    });
    return rows[0];
}

/**
 * Retrieves one complete set from the update source and previews it; a set already committed from that source is
 * left as it is (never retrieved twice).
 */
export async function retrieveAndPreview(
    on: CicdClient,
    sourceId: string,
    set: { sysId: string; name: string },
    poll: Omit<PollOptions, "what">,
): Promise<RetrievedSet> {
    let before = await findRetrieved(on, set.sysId, sourceId);
    if (before?.sys_id && (before.state === "committing" || before.state === "previewing")) {
        // An operation a killed run started is still going on the instance: let it end, then go on from its result.
        const id = before.sys_id;
        before = await pollUntil(
            async () =>
                (
                    await on.query("sys_remote_update_set", {
                        query: `sys_id=${id}`,
                        fields: ["sys_id", "state"],
                        limit: 1,
                    })
                )[0],
            (r) => r?.state !== "committing" && r?.state !== "previewing",
            {
                timeoutMs: poll.timeoutMs,
                initialPollMs: poll.initialPollMs,
                maxPollMs: poll.maxPollMs,
                onTimeout: () =>
                    new CicdTimeoutError(
                        `update set "${set.name}" on ${on.url} stayed ${before?.state}; run again later`,
                        "",
                    ),
            },
        );
    }
    if (before?.state === "committed") {
        return { name: set.name, originId: set.sysId, remoteId: before.sys_id ?? "", state: "committed" };
    }
    if (before?.sys_id && (before.state === "loaded" || before.state === "previewed")) {
        // Retrieved before (a run that stopped at a problem, or a commit that failed half-way): preview that copy
        // again rather than retrieving a new one, so its commit reuses the local copy a failed commit already made.
        const remoteId = before.sys_id;
        try {
            await runCicdOperation(
                on.cicd,
                { path: `/api/sn_cicd/update_set/preview/${remoteId}` },
                { ...poll, what: `preview of update set "${set.name}" on ${on.url}` },
            );
        } catch (e) {
            // A commit a killed run had queued (still Pending when this run read the set) runs before this preview
            // on the platform's one-at-a-time queue; the preview then fails on a set that is committed, the goal.
            const now = (
                await on.query("sys_remote_update_set", { query: `sys_id=${remoteId}`, fields: ["state"], limit: 1 })
            )[0];
            if (now?.state === "committed")
                return { name: set.name, originId: set.sysId, remoteId, state: "committed" };
            throw e;
        }
        return { name: set.name, originId: set.sysId, remoteId, state: "previewed" };
    }
    const done = await runCicdOperation(
        on.cicd,
        {
            path: "/api/sn_cicd/update_set/retrieve",
            params: {
                update_set_id: set.sysId,
                update_source_id: sourceId,
                auto_preview: "true",
                cleanup_retrieved: "true",
            },
        },
        { ...poll, what: `retrieve of update set "${set.name}" on ${on.url}` },
    );
    let remoteId = done.links.results?.id ?? "";
    if (!remoteId) remoteId = (await findRetrieved(on, set.sysId, sourceId))?.sys_id ?? "";
    const row = remoteId
        ? (await on.query("sys_remote_update_set", { query: `sys_id=${remoteId}`, fields: ["state"], limit: 1 }))[0]
        : undefined;
    if (!row) {
        throw new UpdateSetProblemError(
            `retrieve of update set "${set.name}" on ${on.url} succeeded but no retrieved set was found; retrieve it in Retrieved Update Sets and run again`,
            set.name,
            [],
        );
    }
    if (row.state !== "previewed" && row.state !== "committed") {
        await runCicdOperation(
            on.cicd,
            { path: `/api/sn_cicd/update_set/preview/${remoteId}` },
            { ...poll, what: `preview of update set "${set.name}" on ${on.url}` },
        );
    }
    return { name: set.name, originId: set.sysId, remoteId, state: row.state ?? "" };
}

/** One unresolved preview problem, named for a person: the set, the update, what is missing and why. */
export interface PreviewProblem {
    set: string;
    update: string;
    type: string;
    description: string;
    missing: string;
}

/** The unresolved error problems of retrieved sets (warnings and resolved problems do not block a commit). */
export async function blockingProblems(on: CicdClient, sets: readonly RetrievedSet[]): Promise<PreviewProblem[]> {
    const out: PreviewProblem[] = [];
    for (const s of sets) {
        if (s.state === "committed") continue;
        const rows = await on.query("sys_update_preview_problem", {
            query: `remote_update_set=${s.remoteId}^type=error^statusISEMPTY`,
            fields: ["remote_update", "type", "description", "missing_item", "missing_item_table"],
        });
        for (const p of rows) {
            const update = p.remote_update
                ? (
                      await on.query("sys_update_xml", {
                          query: `sys_id=${p.remote_update}`,
                          fields: ["name", "target_name"],
                          limit: 1,
                      })
                  )[0]
                : undefined;
            out.push({
                set: s.name,
                update: update ? `${update.name}${update.target_name ? ` (${update.target_name})` : ""}` : "(the set)",
                type: p.type ?? "error",
                description: p.description ?? "",
                missing: p.missing_item
                    ? `${p.missing_item}${p.missing_item_table ? ` in ${p.missing_item_table}` : ""}`
                    : "",
            });
        }
    }
    return out;
}

/** One line per problem, e.g. `update set "X": sys_script_… (Rule): Could not find … — missing proc_po in sys_db_object`. */
export function describeProblem(p: PreviewProblem): string {
    return `update set "${p.set}": ${p.update}: ${p.description}${p.missing ? ` — missing ${p.missing}` : ""}`;
}

/**
 * Commits retrieved sets in the given order (one `commitMultiple`, which the platform runs in the order given), skipping
 * those already committed. Returns the local copies' sys_ids by set name.
 */
export async function commitInOrder(
    on: CicdClient,
    sets: readonly RetrievedSet[],
    poll: Omit<PollOptions, "what">,
): Promise<Map<string, string>> {
    const pending = sets.filter((s) => s.state !== "committed");
    if (pending.length > 0) {
        await runCicdOperation(
            on.cicd,
            {
                path: "/api/sn_cicd/update_set/commitMultiple",
                params: { remote_update_set_ids: pending.map((s) => s.remoteId).join(",") },
            },
            { ...poll, what: `commit of update set(s) ${pending.map((s) => `"${s.name}"`).join(", ")} on ${on.url}` },
        );
    }
    const local = new Map<string, string>();
    for (const s of sets) {
        const row = (
            await on.query("sys_remote_update_set", { query: `sys_id=${s.remoteId}`, fields: ["update_set"], limit: 1 })
        )[0];
        local.set(s.name, row?.update_set ?? "");
    }
    return local;
}
