/**
 * CloneProfile: a `clone_profile` on the clone's source and its links to exclusions, preservers and cleanup scripts,
 * as a spec of the settings skeleton (adopt by name, converge the links, restore them on destroy).
 */
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import {
    convergeRecord,
    differingFields,
    findByName,
    flag,
    getOrUndefined,
    integer,
    isSysId,
    type RecordMemory,
    type Row,
    restoreRecord,
    sameJson,
    type UndoJournal,
} from "../adopt";
import type { CloneClient } from "../clone/run";
import { SourceConnectionInput } from "../connection";
import { InputError } from "../errors";
import { fromStack } from "../pulumi/check";
import { closestNames, didYouMean } from "../query/names";
import { recordName } from "../skeletons/records";
import { type CheckFailure, settingsProvider } from "../skeletons/settings";

/** The platform's own profile: "a System Profile that can't be modified". */
export const SYSTEM_PROFILE = "System Profile";

/** The preserver that keeps the target's identity (instance_name and friends) through a clone. */
export const CORE_INSTANCE_PROPERTIES = "Core Instance Properties";

const Ref = z
    .string({ error: "each entry must be a record's name or sys_id" })
    .trim()
    .min(1, { error: "entries must not be empty: give a record's name or its sys_id" })
    .refine((v) => !v.includes("^"), { error: "names must not contain '^', which separates encoded-query terms" });

/** One cleanup script of a profile: a name or sys_id, or that with its own order and active flag. */
export const ProfileScriptInput = z.union([
    Ref,
    z.object({
        script: Ref,
        order: z.number().int({ error: "order must be a whole number" }).optional(),
        active: z.boolean({ error: "active must be true or false" }).default(true),
    }),
]);
/** One cleanup script entry. */
export type ProfileScriptInput = z.infer<typeof ProfileScriptInput>;

/** Inputs of {@link cloneProfileProvider}. */
export const CloneProfileInputs = z
    .object({
        connection: SourceConnectionInput,
        name: recordName("clone profile's name", '"Refresh QA from production"').refine(
            (v) => v.toLowerCase() !== SYSTEM_PROFILE.toLowerCase(),
            { error: `the platform's "${SYSTEM_PROFILE}" can't be modified; give your profile another name` },
        ),
        description: z.string().optional(),
        exclusions: z.array(Ref).default([]),
        preservers: z.array(Ref).default([]),
        cleanupScripts: z.array(ProfileScriptInput).default([]),
        allowWithoutCoreInstanceProperties: z.boolean().default(false),
    })
    .superRefine((v, ctx) => {
        for (const key of ["exclusions", "preservers"] as const) {
            const seen = new Set<string>();
            v[key].forEach((ref, i) => {
                if (seen.has(ref.toLowerCase())) {
                    ctx.addIssue({
                        code: "custom",
                        path: [key, i],
                        message: `"${ref}" is listed twice in ${key}; list each once`,
                    });
                }
                seen.add(ref.toLowerCase());
            });
        }
        const scripts = new Set<string>();
        v.cleanupScripts.forEach((s, i) => {
            const ref = (typeof s === "string" ? s : s.script).toLowerCase();
            if (scripts.has(ref)) {
                ctx.addIssue({
                    code: "custom",
                    path: ["cleanupScripts", i],
                    message: `"${ref}" is listed twice in cleanupScripts; list each once`,
                });
            }
            scripts.add(ref);
        });
        if (
            !v.allowWithoutCoreInstanceProperties &&
            !v.preservers.some((p) => p.toLowerCase() === CORE_INSTANCE_PROPERTIES.toLowerCase())
        ) {
            ctx.addIssue({
                code: "custom",
                path: ["preservers"],
                message:
                    `preservers does not list "${CORE_INSTANCE_PROPERTIES}", so a clone with this profile would give the ` +
                    "target production's instance_name and properties; add it, or set allowWithoutCoreInstanceProperties",
            });
        }
    });
/** Normalized inputs. */
export type CloneProfileInputs = z.infer<typeof CloneProfileInputs>;

/** A cleanup script link as stored: which script, its order in this profile and whether it runs. */
export interface ScriptLink {
    sysId: string;
    order: number;
    active: boolean;
}

/** The items a profile links to, by sys_id. */
export interface ProfileLinks {
    exclusions: string[];
    preservers: string[];
    cleanupScripts: ScriptLink[];
}

/** Outputs: the inputs as live, the resolved sys_ids, and what destroy needs. */
export interface CloneProfileOutputs extends CloneProfileInputs {
    /** sys_id of the profile. */
    sysId: string;
    /** True when the resource inserted the profile (destroy deletes it and its links). */
    created: boolean;
    /** The adopted profile's field values before the first write. */
    previous: Row;
    /** The adopted profile's links before the first write (null when created). */
    previousLinks: ProfileLinks | null;
    /** The inputs' references resolved to sys_ids, in the inputs' order. */
    resolved: ProfileLinks;
}

const TABLE = "clone_profile";
const ITEM_TABLES = {
    exclusions: { link: "clone_profile_exclusions", field: "exclusion", item: "clone_data_exclude" },
    preservers: { link: "clone_profile_preservers", field: "preserver", item: "clone_data_preserver" },
    cleanupScripts: { link: "clone_profile_cleanup_scripts", field: "cleanup_script", item: "clone_cleanup_script" },
} as const;
const INPUT_KEYS = [
    "connection",
    "name",
    "description",
    "exclusions",
    "preservers",
    "cleanupScripts",
    "allowWithoutCoreInstanceProperties",
] as const;

/** The order each cleanup script gets: its own, else its position (100, 200, ...) so the list order is the run order. */
export function scriptOrders(
    scripts: readonly ProfileScriptInput[],
): { ref: string; order: number; active: boolean }[] {
    return scripts.map((s, i) =>
        typeof s === "string"
            ? { ref: s, order: (i + 1) * 100, active: true }
            : { ref: s.script, order: s.order ?? (i + 1) * 100, active: s.active },
    );
}

/** The record one reference (a sys_id or a name) names, if it exists. */
async function findRef(client: CloneClient, kind: keyof typeof ITEM_TABLES, ref: string): Promise<Row | undefined> {
    const table = ITEM_TABLES[kind].item;
    return isSysId(ref) ? await getOrUndefined(client, table, ref) : await findByName(client, table, ref);
}

const MISSING_FIX = "create it first (declare it in this stack and pass its name or sysId output) or fix the name";

/** What a reference that matches nothing gets told: the table, the instance, the closest names and the fix. */
async function missingRef(client: CloneClient, kind: keyof typeof ITEM_TABLES, ref: string): Promise<string> {
    const table = ITEM_TABLES[kind].item;
    const near = isSysId(ref) ? "" : didYouMean(await closestNames(client, table, ref));
    return `${kind} entry "${ref}" of a clone profile does not exist in ${table} on ${client.url}${near}; ${MISSING_FIX}`;
}

/** Resolves one reference (a sys_id or a name) to a sys_id, or says plainly what is missing. */
async function resolveRef(client: CloneClient, kind: keyof typeof ITEM_TABLES, ref: string): Promise<string> {
    const row = await findRef(client, kind, ref);
    if (!row?.sys_id) {
        throw new InputError(await missingRef(client, kind, ref), { property: kind, value: ref, fix: MISSING_FIX });
    }
    return row.sys_id;
}

/**
 * Check's lookup: every reference must name an existing record, except those the program itself creates (marked
 * FROM_STACK by the SDK), which apply resolves before writing anything.
 */
async function lookupRefs(
    client: CloneClient,
    inputs: CloneProfileInputs,
    news: Record<string, unknown>,
): Promise<CheckFailure[]> {
    const later = fromStack(news);
    const refs: [keyof typeof ITEM_TABLES, string[]][] = [
        ["exclusions", inputs.exclusions],
        ["preservers", inputs.preservers],
        ["cleanupScripts", scriptOrders(inputs.cleanupScripts).map((s) => s.ref)],
    ];
    const failures: CheckFailure[] = [];
    for (const [kind, list] of refs) {
        if (later.has(kind)) continue;
        for (const [i, ref] of list.entries()) {
            if (later.has(`${kind}.${i}`) || (await findRef(client, kind, ref))?.sys_id) continue;
            failures.push({
                property: `${kind}.${i}`,
                reason: `${await missingRef(client, kind, ref)} (received ${JSON.stringify(ref)})`,
            });
        }
    }
    return failures;
}

/** Reads a profile's links (oldest first). */
export async function readLinks(
    client: CloneClient,
    profileId: string,
): Promise<{ links: ProfileLinks; rows: Row[][] }> {
    const rows = await Promise.all(
        (["exclusions", "preservers", "cleanupScripts"] as const).map((k) =>
            client.query(ITEM_TABLES[k].link, { query: `profile=${profileId}^ORDERBYsys_created_on`, limit: 10000 }),
        ),
    );
    const [ex, pr, sc] = rows as [Row[], Row[], Row[]];
    return {
        links: {
            exclusions: ex.map((r) => r.exclusion ?? ""),
            preservers: pr.map((r) => r.preserver ?? ""),
            cleanupScripts: sc
                .map((r) => ({
                    sysId: r.cleanup_script ?? "",
                    order: integer(r.order, 100),
                    active: r.active !== "false",
                }))
                .sort((a, b) => a.order - b.order),
        },
        rows: rows as Row[][],
    };
}

/** Makes a profile's link rows say exactly `desired`: deletes the extra, updates order/active, inserts the missing. */
export async function convergeLinks(client: CloneClient, profileId: string, desired: ProfileLinks): Promise<void> {
    const { rows } = await readLinks(client, profileId);
    const sets: [keyof typeof ITEM_TABLES, Row[], string[]][] = [
        ["exclusions", rows[0]!, desired.exclusions],
        ["preservers", rows[1]!, desired.preservers],
    ];
    for (const [kind, live, want] of sets) {
        const { link, field } = ITEM_TABLES[kind];
        const kept = new Set<string>();
        for (const row of live) {
            const id = row[field] ?? "";
            if (want.includes(id) && !kept.has(id)) kept.add(id);
            else await client.remove(link, row.sys_id ?? "");
        }
        for (const id of want) if (!kept.has(id)) await client.insert(link, { profile: profileId, [field]: id });
    }
    const { link, field } = ITEM_TABLES.cleanupScripts;
    const kept = new Set<string>();
    for (const row of rows[2]!) {
        const id = row[field] ?? "";
        const want = desired.cleanupScripts.find((s) => s.sysId === id);
        if (!want || kept.has(id)) {
            await client.remove(link, row.sys_id ?? "");
            continue;
        }
        kept.add(id);
        const changes = differingFields(row, { order: String(want.order), active: String(want.active) });
        if (Object.keys(changes).length > 0) await client.update(link, row.sys_id ?? "", changes);
    }
    for (const s of desired.cleanupScripts) {
        if (!kept.has(s.sysId)) {
            await client.insert(link, {
                profile: profileId,
                [field]: s.sysId,
                order: String(s.order),
                active: String(s.active),
            });
        }
    }
}

/** Converges a profile and its links; returns the outputs to keep. */
export async function applyProfile(
    client: CloneClient,
    inputs: CloneProfileInputs,
    prior?: CloneProfileOutputs,
    journal?: UndoJournal,
): Promise<CloneProfileOutputs> {
    const existing = prior
        ? await getOrUndefined(client, TABLE, prior.sysId)
        : await findByName(client, TABLE, inputs.name);
    if (existing && flag(existing.read_only)) {
        throw new InputError(
            `clone profile "${inputs.name}" on ${client.url} is read-only (like the platform's ${SYSTEM_PROFILE}) and ` +
                "can't be modified; give this resource another name to create your own profile",
            { property: "name", value: inputs.name, fix: "give this resource another name to create your own profile" },
        );
    }
    const scripts = scriptOrders(inputs.cleanupScripts);
    // Resolve every reference before writing anything: a typo must not leave a half-built profile.
    const resolved: ProfileLinks = {
        exclusions: await Promise.all(inputs.exclusions.map((r) => resolveRef(client, "exclusions", r))),
        preservers: await Promise.all(inputs.preservers.map((r) => resolveRef(client, "preservers", r))),
        cleanupScripts: await Promise.all(
            scripts.map(async (s) => ({
                sysId: await resolveRef(client, "cleanupScripts", s.ref),
                order: s.order,
                active: s.active,
            })),
        ),
    };
    const priorMemory: RecordMemory | undefined =
        prior && existing
            ? { table: TABLE, sysId: prior.sysId, created: prior.created, previous: prior.previous ?? {} }
            : undefined;
    const fields: Row = inputs.description === undefined ? {} : { description: inputs.description };
    const { memory } = await convergeRecord(client, TABLE, inputs.name, fields, priorMemory, journal);
    // The first sight of an adopted profile's links is what destroy puts back.
    let previousLinks: ProfileLinks | null = null;
    if (!memory.created) {
        previousLinks = prior?.previousLinks ?? (await readLinks(client, memory.sysId)).links;
    }
    await convergeLinks(client, memory.sysId, resolved);
    return {
        ...inputs,
        sysId: memory.sysId,
        created: memory.created,
        previous: memory.previous,
        previousLinks,
        resolved,
    };
}

/** The inputs that would give the live links: the program's own references where they still match. */
async function inputsFromLive(
    client: CloneClient,
    stored: CloneProfileOutputs,
    live: Row,
    links: ProfileLinks,
): Promise<CloneProfileInputs> {
    const names = async (
        kind: keyof typeof ITEM_TABLES,
        ids: readonly string[],
        refs: readonly string[],
        resolved: readonly string[],
    ) =>
        Promise.all(
            ids.map(async (id) => {
                const i = resolved.indexOf(id);
                if (i >= 0 && refs[i] !== undefined) return refs[i]!;
                const row = await getOrUndefined(client, ITEM_TABLES[kind].item, id);
                return row?.name || id;
            }),
        );
    const sameSet = (a: readonly string[], b: readonly string[]) =>
        a.length === b.length && [...a].sort().join() === [...b].sort().join();
    const resolved = stored.resolved ?? { exclusions: [], preservers: [], cleanupScripts: [] };
    const exclusions = sameSet(links.exclusions, resolved.exclusions)
        ? stored.exclusions
        : await names("exclusions", links.exclusions, stored.exclusions, resolved.exclusions);
    const preservers = sameSet(links.preservers, resolved.preservers)
        ? stored.preservers
        : await names("preservers", links.preservers, stored.preservers, resolved.preservers);
    const wanted = [...resolved.cleanupScripts].sort((a, b) => a.order - b.order);
    let cleanupScripts: ProfileScriptInput[] = stored.cleanupScripts;
    if (!sameJson(wanted, links.cleanupScripts)) {
        const refs = scriptOrders(stored.cleanupScripts).map((s) => s.ref);
        const ids = resolved.cleanupScripts.map((s) => s.sysId);
        const shown = await names(
            "cleanupScripts",
            links.cleanupScripts.map((s) => s.sysId),
            refs,
            ids,
        );
        cleanupScripts = links.cleanupScripts.map((s, i) => ({ script: shown[i]!, order: s.order, active: s.active }));
    }
    return {
        connection: stored.connection,
        name: live.name ?? stored.name,
        ...(stored.description === undefined ? {} : { description: live.description ?? "" }),
        exclusions,
        preservers,
        cleanupScripts,
        allowWithoutCoreInstanceProperties: stored.allowWithoutCoreInstanceProperties,
    };
}

/**
 * Dynamic provider for `CloneProfile`: a `clone_profile` on the clone's source and its links to exclusions,
 * preservers and cleanup scripts (in order). An existing profile is adopted by name; destroy restores its links.
 */
export const cloneProfileProvider: pulumi.dynamic.ResourceProvider<CloneProfileInputs, CloneProfileOutputs> =
    settingsProvider<CloneProfileInputs, CloneProfileOutputs>({
        schema: CloneProfileInputs,
        inputKeys: INPUT_KEYS,
        replaceKeys: ["connection", "name"],
        id: (_inputs, outs) => outs.sysId,
        journalKey: (inputs) => `${TABLE}:${inputs.name}`,
        lookup: async (connect, inputs, news) => {
            const refs = [...inputs.exclusions, ...inputs.preservers, ...inputs.cleanupScripts];
            return refs.length > 0 ? lookupRefs(await connect(), inputs, news) : [];
        },
        apply: applyProfile,
        async read(client, stored, id) {
            const live = await getOrUndefined(client, TABLE, stored.sysId || id);
            if (!live) return undefined;
            const { links } = await readLinks(client, live.sys_id ?? id);
            const inputs = await inputsFromLive(client, stored, live, links);
            return { props: { ...stored, ...inputs }, inputs };
        },
        async restore(client, props) {
            const live = await getOrUndefined(client, TABLE, props.sysId);
            if (!live) return;
            if (props.created) {
                await convergeLinks(client, props.sysId, { exclusions: [], preservers: [], cleanupScripts: [] });
            } else if (props.previousLinks) {
                await convergeLinks(client, props.sysId, props.previousLinks);
            }
            await restoreRecord(client, {
                table: TABLE,
                sysId: props.sysId,
                created: props.created,
                previous: props.previous ?? {},
            });
        },
    });
