/**
 * The bulk skeleton: the dynamic-provider shape of the query-scoped bulk resources (UserLockout, ScheduledJobState).
 * Each resource supplies only its schema, its flag, its allow-list lookup (run at check) and its count outputs' names.
 */
import { randomUUID } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import { converge, inspect, type MissingEntry, type PolicyCounts, revertAll } from "../bulk/policy";
import type { ChangeRecord, CoveredChanges, FlagField } from "../bulk/reconcile";
import type { ServiceNowClient } from "../client/client";
import { inLane } from "../client/fair-limit";
import { OncePerOperation } from "../client/once-per-operation";
import { type ConnectionName, clientFor, configureFromStack, connectionProblem } from "../connection";
import { type Claim, claimsOnce, overlapMessage, overlaps, removeClaim, writeClaim } from "../crash/ownership";
import { JOURNAL_NONCE, newNonce, WriteAheadJournal } from "../crash/write-ahead";
import { AllowListError, PartialWriteError } from "../errors";
import { containsUnknown, toCheckResult } from "../pulumi/check";
import { sameInputs } from "../pulumi/diff";
import { checkQuery } from "../query/check";
import { tableColumns } from "../query/dictionary";
import { targetRefusal } from "./target";

/** The inputs every bulk resource has: the connection it writes through and the encoded query of its scope. */
export interface BulkPolicyInputs {
    connection: ConnectionName;
    scope: string;
    /** Proceed although another stack's policy of the same kind manages some of the same records. */
    allowOverlap?: boolean;
}

/**
 * The hidden input the SDK classes add: `<project>/<stack>` of the stack declaring the resource, written into its claim
 * on the instance so another stack's preview can name it (see provider/crash/ownership.ts).
 */
export const OWNER = "owner";

/** What a bulk resource resolves its allow-lists to: the exempt sys_ids, and each entry that matched nothing. */
export interface AllowedRecords {
    exempt: Set<string>;
    missing: MissingEntry[];
}

/** The output property each of the generic {@link PolicyCounts} is published under, e.g. `lockedCount`. */
export type CountNames = { readonly [K in keyof PolicyCounts]: string };

/** What makes one bulk resource different from another. */
export interface BulkPolicySpec<I extends BulkPolicyInputs> {
    /** The inputs schema; it also re-normalizes the inputs kept in outputs. */
    schema: z.ZodType<I>;
    /** The input properties, in the order they are compared and copied into outputs. */
    inputKeys: readonly (keyof I & string)[];
    /** Prefix of every resource id, e.g. `userlockout` gives `userlockout-<uuid>`. */
    idPrefix: string;
    /** The field the policy forces. */
    flag: FlagField;
    /** Resolves the allow-lists on the instance. */
    allowed(c: ServiceNowClient, inputs: I): Promise<AllowedRecords>;
    /** The output names of the counts. */
    countNames: CountNames;
    /**
     * Names a few of the records found drifted, so a report can say who or what, not only how many: the field that
     * names a record (e.g. `user_name`) and the output it is published under (e.g. `unlockedUsers`).
     */
    driftSample?: { field: string; output: string };
    /** Inputs holding encoded queries of the flag's table, checked against its dictionary at check. */
    queries?: readonly (keyof I & string)[];
}

/** How many drifted records a read names (a count says how many there are in all). */
export const DRIFT_SAMPLE_SIZE = 5;

/**
 * Builds the dynamic provider of a bulk resource: check resolves the allow-lists, create and update converge,
 * read inspects without writing, delete reverts exactly what was recorded.
 *
 * A diff reports changes when the inputs changed or when the last read found drift (a drift or pending-revert count
 * above zero), so `up` after `refresh` repairs it. A changed connection replaces the resource, deleting first so the
 * old instance is reverted before the new one is touched.
 */
export function bulkPolicyProvider<I extends BulkPolicyInputs, O extends I & ChangeRecord>(
    spec: BulkPolicySpec<I>,
): pulumi.dynamic.ResourceProvider<I, O> {
    const { schema, inputKeys, idPrefix, flag, allowed, countNames, driftSample } = spec;

    const client = async (inputs: Pick<I, "connection">): Promise<ServiceNowClient> => clientFor(inputs.connection);

    const inputsOf = (props: I): I =>
        schema.parse(Object.fromEntries(inputKeys.map((k) => [k, (props as Record<string, unknown>)[k]])));

    const outputs = (inputs: I, record: ChangeRecord, counts: PolicyCounts, sample: string[] = []): O =>
        ({
            ...inputsOf(inputs),
            changes: record.changes,
            changesAsOf: record.changesAsOf,
            ...(record.changesCount === undefined ? {} : { changesCount: record.changesCount }),
            [countNames.changedCount]: counts.changedCount,
            [countNames.exemptCount]: counts.exemptCount,
            [countNames.driftCount]: counts.driftCount,
            [countNames.pendingRevertCount]: counts.pendingRevertCount,
            ...(driftSample ? { [driftSample.output]: sample } : {}),
        }) as unknown as O;

    /** The names of the first few drifted records (one query), sorted. */
    const namesOf = async (c: ServiceNowClient, sysIds: readonly string[]): Promise<string[]> => {
        if (!driftSample || sysIds.length === 0) return [];
        const rows = await c.query(flag.table, {
            query: `sys_idIN${sysIds.slice(0, DRIFT_SAMPLE_SIZE).join(",")}`,
            fields: [driftSample.field],
            limit: DRIFT_SAMPLE_SIZE,
        });
        return rows.map((r) => r[driftSample.field] ?? "").sort();
    };

    // The allow-lists are resolved once per operation and inputs: check, read, create and update of one `up` or
    // `preview --refresh` share the answer.
    const resolutions = new OncePerOperation<AllowedRecords>();
    const allowedOnce = (c: ServiceNowClient, inputs: I): Promise<AllowedRecords> =>
        resolutions.get(c, JSON.stringify(inputKeys.map((k) => (inputs as Record<string, unknown>)[k] ?? null)), () =>
            allowed(c, inputs),
        );

    // Each call runs in a lane of its own: the connection's request limit is shared fairly between the resources of
    // one operation, so one resource's queued batch calls never hold up another's reads.
    let calls = 0;
    const lane = <T>(fn: () => Promise<T>): Promise<T> => inLane(`${idPrefix}#${++calls}`, fn);

    const requireAllowed = async (c: ServiceNowClient, inputs: I): Promise<Set<string>> => {
        const { exempt, missing } = await allowedOnce(c, inputs);
        if (missing.length > 0) throw new AllowListError(missing.map((m) => m.reason).join("; "));
        return exempt;
    };

    const count = (props: O, name: string): number => ((props as Record<string, unknown>)[name] as number) ?? 0;

    // The write-ahead journal of one policy: what it manages on which instance (see provider/crash/write-ahead.ts).
    const journalOf = (c: ServiceNowClient, inputs: Pick<I, "connection" | "scope">) =>
        new WriteAheadJournal<CoveredChanges>(c.url, `${inputs.connection}|${idPrefix}|${inputs.scope}`);
    const nonceOf = (props: O): unknown => (props as Record<string, unknown>)[JOURNAL_NONCE];
    /** The journal entry of a run that never returned its outputs (absent when state already has them). */
    const interrupted = (wal: WriteAheadJournal<CoveredChanges>, stored?: O): CoveredChanges | undefined => {
        const entry = wal.load();
        if (!entry) return undefined;
        if (stored && entry.nonce === nonceOf(stored)) return undefined;
        return entry.data;
    };
    const withNonce = (outs: O, nonce: string): O => ({ ...outs, [JOURNAL_NONCE]: nonce }) as O;
    const ownerOf = (props: object): string => String((props as Record<string, unknown>)[OWNER] ?? "");
    const withOwner = <T extends object>(props: T, owner: string): T => (owner ? { ...props, [OWNER]: owner } : props);
    const claimOf = (inputs: I, owner: string): Claim => ({
        owner,
        kind: idPrefix,
        table: flag.table,
        scope: inputs.scope,
    });

    return {
        async configure(req) {
            await configureFromStack(req);
        },

        async check(_olds, news) {
            const owner = ownerOf(news);
            const checked = toCheckResult(schema, news as unknown as Record<string, unknown>);
            const result = checked.inputs ? { ...checked, inputs: withOwner(checked.inputs, owner) } : checked;
            if (result.failures?.length || containsUnknown(result.inputs)) return result;
            const inputs = result.inputs!;
            const problem = connectionProblem(inputs.connection);
            if (problem) return { failures: [{ property: "connection", reason: problem }] };
            const c = await client(inputs);
            // The instance's identity, the dictionary check of the queries and the allow-lists are independent
            // reads: they go out at once, each step of them in one Batch API call (the allow-lists' answer and the
            // identity are kept for the operation either way).
            const allowing = lane(() => allowedOnce(c, inputs));
            allowing.catch(() => undefined);
            // Another stack's claim on the same records (read with the rest; judged last).
            const overlapping = owner && !inputs.allowOverlap ? overlaps(c, claimOf(inputs, owner)) : undefined;
            overlapping?.catch(() => undefined);
            const [wrongInstance, problems] = await Promise.all([
                targetRefusal(c),
                Promise.all(
                    (spec.queries ?? []).map((key) => {
                        const query = (inputs as Record<string, unknown>)[key];
                        return typeof query === "string" ? checkQuery(c, flag.table, query, key) : [];
                    }),
                ).then((p) => p.flat()),
            ]);
            if (wrongInstance) return { failures: [wrongInstance] };
            if (problems.length > 0) return { failures: problems };
            const { missing } = await allowing;
            if (missing.length > 0)
                return { failures: missing.map((m) => ({ property: m.property, reason: m.reason })) };
            if (overlapping) {
                const found = await overlapping;
                if (found.length > 0)
                    return {
                        failures: [{ property: "scope", reason: overlapMessage(claimOf(inputs, owner), found, c.url) }],
                    };
            }
            return result;
        },

        async diff(_id, olds, news) {
            const replaces = olds.connection === news.connection ? [] : ["connection"];
            const drifted = count(olds, countNames.driftCount) > 0 || count(olds, countNames.pendingRevertCount) > 0;
            return { changes: !sameInputs(inputKeys, olds, news) || drifted, replaces, deleteBeforeReplace: true };
        },

        create: (inputs) =>
            lane(async () => {
                const id = `${idPrefix}-${randomUUID()}`;
                const c = await client(inputs);
                const exempt = await requireAllowed(c, inputs);
                // A create killed part-way left its plan on disk: those rows are ours, not "already locked by someone".
                const wal = journalOf(c, inputs);
                const nonce = newNonce();
                const owner = ownerOf(inputs);
                if (owner) await writeClaim(c, claimOf(inputs, owner));
                const done = await converge(c, flag, inputs.scope, exempt, interrupted(wal), (covering) =>
                    wal.save(nonce, covering),
                );
                const outs = withOwner(withNonce(outputs(inputs, done.record, done.counts), nonce), owner);
                if (done.error) throw done.wroteAny ? new PartialWriteError(id, outs, done.error) : done.error;
                return { id, outs };
            }),

        read: (id, props) =>
            lane(async () => {
                if (!props) return { id };
                const inputs = inputsOf(props);
                const c = await client(inputs);
                // The check that follows a refresh in the same operation (`preview --refresh`) asks for the identity,
                // the dictionary and the other stacks' claims too: asked now, they travel with this read's lookups
                // instead of after its walk.
                c.assertTarget().catch(() => undefined);
                if (ownerOf(props)) claimsOnce(c, idPrefix).catch(() => undefined);
                if ((spec.queries ?? []).some((k) => (inputs as Record<string, unknown>)[k]))
                    tableColumns(c, flag.table).catch(() => undefined);
                const exempt = allowedOnce(c, inputs).then((a) => a.exempt);
                const { counts, plan } = await inspect(c, flag, inputs.scope, exempt, props);
                const sample = await namesOf(
                    c,
                    plan.enforce.map((w) => w.sysId),
                );
                // State holds the outputs of the run that wrote the journal: the journal has done its job.
                const wal = journalOf(c, inputs);
                if (nonceOf(props) !== undefined && wal.load()?.nonce === nonceOf(props)) wal.remove();
                const next = withOwner(outputs(inputs, props, counts, sample), ownerOf(props));
                return {
                    id,
                    props: nonceOf(props) === undefined ? next : withNonce(next, String(nonceOf(props))),
                    inputs: withOwner(inputs, ownerOf(props)) as unknown as O,
                };
            }),

        update: (id, olds, news) =>
            lane(async () => {
                const c = await client(news);
                const exempt = await requireAllowed(c, news);
                const wal = journalOf(c, news);
                const nonce = newNonce();
                // Rows an interrupted earlier run changed count as ours too, so they are reverted when they leave scope.
                const previous = [olds, interrupted(wal, olds), interrupted(journalOf(c, olds), olds)];
                const owner = ownerOf(news);
                if (owner && (ownerOf(olds) !== owner || olds.scope !== news.scope)) {
                    await writeClaim(c, claimOf(news, owner));
                    if (ownerOf(olds)) await removeClaim(c, claimOf(olds, ownerOf(olds)));
                }
                const done = await converge(c, flag, news.scope, exempt, previous, (covering) =>
                    wal.save(nonce, covering),
                );
                const outs = withOwner(withNonce(outputs(news, done.record, done.counts), nonce), owner);
                if (done.error) throw done.wroteAny ? new PartialWriteError(id, outs, done.error) : done.error;
                return { outs };
            }),

        delete: (_id, props) =>
            lane(async () => {
                const c = await client(inputsOf(props));
                const wal = journalOf(c, inputsOf(props));
                // A killed update may have changed rows its outputs never listed: revert what the journal covers too.
                await revertAll(c, flag, [props, interrupted(wal, props)]);
                wal.remove();
                if (ownerOf(props)) await removeClaim(c, claimOf(inputsOf(props), ownerOf(props)));
            }),
    };
}
