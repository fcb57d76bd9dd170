/**
 * Ownership on the instance: each bulk policy leaves a claim on the instance it writes (a system property under
 * `x_pulumi_sn.claim.`), naming its stack, its kind, its table and its scope. Another stack's policy of the same kind
 * whose scope selects some of the same records is reported at `preview`, naming that stack, unless it opts in with
 * `allowOverlap`. Claims live on the instance, not in a local file, so stacks run from different machines see each other.
 *
 * Why it matters: the second of two overlapping lockouts finds the shared users already locked, owns none of them, and
 * destroying the first unlocks them behind the second's back.
 */
import { createHash } from "node:crypto";
import type { ServiceNowClient } from "../client/client";
import { OncePerOperation } from "../client/once-per-operation";

/** Prefix of every claim property. */
export const CLAIM_PREFIX = "x_pulumi_sn.claim.";

/** What a claim says. */
export interface Claim {
    /** `<project>/<stack>` of the stack whose resource made the claim. */
    owner: string;
    /** The resource kind, e.g. `userlockout`. */
    kind: string;
    /** The table the policy walks. */
    table: string;
    /** The policy's encoded query. */
    scope: string;
}

/** Another stack's claim whose scope shares records with ours. */
export interface Overlap {
    claim: Claim;
    /** Records both scopes select. */
    shared: number;
}

/** The property name of a claim: one per stack, kind and scope. */
export function claimName(c: Pick<Claim, "owner" | "kind" | "scope">): string {
    const digest = createHash("sha256").update(`${c.owner}\n${c.scope}`).digest("hex").slice(0, 20);
    return `${CLAIM_PREFIX}${c.kind}.${digest}`;
}

const operationClaims = new OncePerOperation<(Claim & { sysId: string })[]>();

/**
 * The claims of one kind as this operation first read them: a client lives for one operation, and the refresh and
 * the check of `preview --refresh` ask the same question (the refresh asks it early, with its other small reads).
 */
export function claimsOnce(client: ServiceNowClient, kind: string): Promise<(Claim & { sysId: string })[]> {
    return operationClaims.get(client, kind, () => readClaims(client, kind));
}

/** The claims of one kind on the instance, with their property sys_ids. */
export async function readClaims(client: ServiceNowClient, kind: string): Promise<(Claim & { sysId: string })[]> {
    const rows = await client.query("sys_properties", {
        query: `nameSTARTSWITH${CLAIM_PREFIX}${kind}.`,
        fields: ["sys_id", "value"],
        limit: 1000,
        coalesce: true,
    });
    const out: (Claim & { sysId: string })[] = [];
    for (const r of rows) {
        try {
            out.push({ ...(JSON.parse(r.value ?? "") as Claim), sysId: r.sys_id ?? "" });
        } catch {
            // Not one of ours (or hand-edited): ignored rather than trusted.
        }
    }
    return out;
}

/**
 * Other stacks' claims of the same kind whose scopes select records ours selects too (one count request per claim).
 *
 * Both encoded queries are joined with `^`: an `^OR` binds to the term before it, so the join keeps each query's
 * meaning; a query with `^NQ` is compared as a whole by counting each side's NQ groups separately.
 */
export async function overlaps(client: ServiceNowClient, mine: Claim): Promise<Overlap[]> {
    const out: Overlap[] = [];
    for (const other of await claimsOnce(client, mine.kind)) {
        if (other.owner === mine.owner || other.table !== mine.table) continue;
        let shared = 0;
        for (const a of mine.scope.split("^NQ"))
            for (const b of other.scope.split("^NQ"))
                shared += await client.count(mine.table, [a, b].filter((q) => q.trim() !== "").join("^"));
        if (shared > 0) out.push({ claim: other, shared });
    }
    return out;
}

/** Leaves (or updates) our claim on the instance; written before the policy's first write. */
export async function writeClaim(client: ServiceNowClient, claim: Claim): Promise<void> {
    const name = claimName(claim);
    const value = JSON.stringify(claim);
    const existing = await client.query("sys_properties", {
        query: `name=${name}`,
        fields: ["sys_id", "value"],
        limit: 1,
    });
    if (existing[0]?.sys_id) {
        if (existing[0].value !== value) await client.update("sys_properties", existing[0].sys_id, { value });
        return;
    }
    await client.insert("sys_properties", {
        name,
        value,
        type: "string",
        description: "Written by pulumi-servicenow-clone: which stack manages the records this scope selects",
    });
}

/** Removes our claim (destroy); a claim already gone is fine. */
export async function removeClaim(
    client: ServiceNowClient,
    claim: Pick<Claim, "owner" | "kind" | "scope">,
): Promise<void> {
    const rows = await client.query("sys_properties", {
        query: `name=${claimName(claim)}`,
        fields: ["sys_id"],
        limit: 5,
    });
    for (const r of rows) if (r.sys_id) await client.remove("sys_properties", r.sys_id);
}

/** The check failure text for overlapping claims: names each other stack and the way to proceed knowingly. */
export function overlapMessage(mine: Claim, found: readonly Overlap[], instance: string): string {
    const list = found
        .map((o) => `stack "${o.claim.owner}" (scope "${o.claim.scope}", ${o.shared} record(s) in both)`)
        .join("; ");
    return (
        `scope "${mine.scope}" selects ${mine.table} records that another stack's ${mine.kind} already manages on ` +
        `${instance}: ${list}. Narrow the scope so they do not overlap, or set allowOverlap: true to proceed knowingly ` +
        `(destroying either then undoes records the other still wants; the other's next preview shows them as drift)`
    );
}
