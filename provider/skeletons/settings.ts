/**
 * The settings/records skeleton: the one provider shape of every adopt-and-restore resource (system properties, the
 * one-per-connection settings, the clone-configuration records and profiles). A resource supplies a
 * {@link SettingsSpec}; the skeleton owns configure, check (schema, refusals, lookups), diff, transactional create,
 * read, update and delete.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import { type SavedUndo, UndoJournal } from "../adopt/journal";
import type { RecordClient, RecordReader } from "../adopt/row";
import type { ServiceNowClient } from "../client/client";
import { clientFor, configureFromStack, connectionProblem } from "../connection";
import { JOURNAL_NONCE, newNonce, WriteAheadJournal } from "../crash/write-ahead";
import { InputError } from "../errors";
import type { ConnectionName } from "../fence";
import { containsUnknown, toCheckResult } from "../pulumi/check";
import { diffInputs } from "../pulumi/diff";
import { targetRefusal } from "./target";

/** The client a spec receives: the real `ServiceNowClient` (which satisfies the engine's structural types). */
export type SettingsClient = ServiceNowClient & RecordReader;

/** One check failure: the property and the reason (naming the value received and the fix). */
export interface CheckFailure {
    property: string;
    reason: string;
}

/** What makes one adopt-and-restore resource different from another. */
export interface SettingsSpec<I extends { connection: ConnectionName }, O extends object> {
    /** The input schema (zod): normalizes defaults and gives check its failures. */
    schema: z.ZodType<I>;
    /** The input keys compared by diff. */
    inputKeys: readonly string[];
    /** Input keys whose change means another thing is managed, so a replacement (default: `connection`). */
    replaceKeys?: readonly string[];
    /** The resource id, from the inputs and the outputs of create. */
    id(inputs: I, outs: O): string;
    /**
     * What the resource manages on its instance, from the inputs alone, stable across runs: the key of its write-ahead
     * journal. Default: the id computed without outputs (right for singletons, whose id is their natural key).
     */
    journalKey?(inputs: I): string;
    /** Replaces the schema-only check, for inputs that need more care (e.g. secrets that must not be echoed). */
    check?(news: Record<string, unknown>): pulumi.dynamic.CheckResult<I> | Promise<pulumi.dynamic.CheckResult<I>>;
    /** Refusals that need more than the schema but no instance (e.g. protected records). */
    refuse?(inputs: I): CheckFailure | undefined;
    /**
     * Lookups at check, on the instance, before anything is written: every name the inputs reference must resolve.
     * Throw {@link InputError} (or return failures) for a reference that does not. `connect` opens the resource's
     * connection; a lookup with nothing to resolve need not call it. `news` are the raw inputs, for the hidden ones
     * such as FROM_STACK (provider/pulumi/check.ts).
     */
    lookup?(connect: () => Promise<SettingsClient>, inputs: I, news: Record<string, unknown>): Promise<CheckFailure[]>;
    /** Whether the resource must update although no input changed (e.g. a secret the outputs keep only hashed). */
    mustUpdate?(olds: O, news: I): boolean;
    /**
     * Converges the instance on the inputs. Before each write it notes in `journal` what it is about to change: when
     * a create throws, the skeleton undoes the journal, so a failed create leaves nothing behind.
     *
     * @param prior the outputs of the last apply (absent on create).
     */
    apply(client: SettingsClient, inputs: I, prior: O | undefined, journal: UndoJournal): Promise<O>;
    /** Live state shaped like the outputs and the inputs that would produce it; undefined when the thing is gone. */
    read(client: SettingsClient, props: O, id: string): Promise<{ props: O; inputs: unknown } | undefined>;
    /** Puts back what the outputs remember having changed. */
    restore(client: SettingsClient, props: O): Promise<void>;
}

/** Builds the dynamic provider of an adopt-and-restore resource from its {@link SettingsSpec}. */
export function settingsProvider<I extends { connection: ConnectionName }, O extends object>(
    spec: SettingsSpec<I, O>,
): pulumi.dynamic.ResourceProvider<I, O> {
    const connect = async (connection: ConnectionName): Promise<SettingsClient> =>
        (await clientFor(connection)) as SettingsClient;
    const connectionOf = (props: O): ConnectionName => (props as unknown as { connection: ConnectionName }).connection;
    const journalOf = (client: SettingsClient, inputs: I): WriteAheadJournal<SavedUndo> =>
        new WriteAheadJournal(
            client.url,
            `${inputs.connection}|${spec.journalKey ? spec.journalKey(inputs) : spec.id(inputs, {} as O)}`,
        );
    const nonceOf = (props: O | undefined): unknown => (props as Record<string, unknown> | undefined)?.[JOURNAL_NONCE];
    /**
     * Undoes what a run that never returned its outputs left in the journal (a create or update killed part-way), so
     * the apply that follows adopts the values from before that run, not the ones it wrote.
     */
    const undoInterrupted = async (client: SettingsClient, wal: WriteAheadJournal<SavedUndo>, stored?: O) => {
        const entry = wal.load();
        if (!entry || (stored && entry.nonce === nonceOf(stored))) return;
        await UndoJournal.from(entry.data).undoStrictly(client);
        wal.remove();
    };
    /** Applies with a journal made durable before each write; the outputs carry the nonce that confirms it later. */
    const applyJournaled = async (
        client: SettingsClient,
        inputs: I,
        prior: O | undefined,
        transactional: boolean,
    ): Promise<O> => {
        const wal = journalOf(client, inputs);
        await undoInterrupted(client, wal, prior);
        const nonce = newNonce();
        const journal = new UndoJournal((saved) => wal.save(nonce, saved));
        const outs = transactional
            ? await applyTransactionally(client, (j) => spec.apply(client, inputs, prior, j), { journal, wal })
            : await spec.apply(client, inputs, prior, journal);
        return { ...outs, [JOURNAL_NONCE]: nonce };
    };
    return {
        async configure(req) {
            await configureFromStack(req);
        },
        async check(_olds, news) {
            const result = spec.check ? await spec.check(news) : toCheckResult(spec.schema, news);
            if (result.failures?.length || !result.inputs) return result;
            const inputs = result.inputs as I;
            if (spec.refuse) {
                const refusal = (() => {
                    try {
                        return spec.refuse?.(inputs);
                    } catch {
                        // Values still unknown at preview pass through unvalidated; they are checked once known.
                        return undefined;
                    }
                })();
                if (refusal) return { failures: [refusal] };
            }
            const problem = containsUnknown(inputs.connection) ? undefined : connectionProblem(inputs.connection);
            if (problem) return { failures: [{ property: "connection", reason: problem }] };
            if (spec.lookup && !containsUnknown(inputs)) {
                // A lookup that reads the instance also asks whether it is the declared one (its identity read
                // travels with the lookup's first reads).
                let refusal: Promise<pulumi.dynamic.CheckFailure | undefined> | undefined;
                const connectChecked = async () => {
                    const client = await connect(inputs.connection);
                    refusal ??= targetRefusal(client);
                    return client;
                };
                try {
                    const failures = await spec.lookup(connectChecked, inputs, news);
                    const wrongInstance = await refusal;
                    if (wrongInstance) return { failures: [wrongInstance] };
                    if (failures.length > 0) return { failures };
                } catch (e) {
                    const wrongInstance = await refusal?.catch(() => undefined);
                    if (wrongInstance) return { failures: [wrongInstance] };
                    if (!(e instanceof InputError)) throw e;
                    return { failures: [{ property: e.property, reason: e.message }] };
                }
            }
            return result;
        },
        async diff(_id, olds, news) {
            const result = diffInputs(olds, news, spec.inputKeys, spec.replaceKeys ?? ["connection"]);
            if (!spec.mustUpdate) return result;
            return { ...result, changes: result.changes || spec.mustUpdate(olds, news) };
        },
        async create(inputs) {
            const client = await connect(inputs.connection);
            const outs = await applyJournaled(client, inputs, undefined, true);
            return { id: spec.id(inputs, outs), outs };
        },
        async read(id, stored) {
            const props = stored as O;
            const client = await connect(connectionOf(props));
            const live = await spec.read(client, props, id);
            // Gone: refresh drops the resource and the next up puts it back.
            if (!live) return {};
            const nonce = nonceOf(props);
            if (nonce === undefined) return { id, props: live.props, inputs: live.inputs as O };
            // State holds the outputs of the run that wrote the journal: the journal has done its job.
            const wal = journalOf(client, props as unknown as I);
            if (wal.load()?.nonce === nonce) wal.remove();
            return { id, props: { ...live.props, [JOURNAL_NONCE]: nonce }, inputs: live.inputs as O };
        },
        async update(_id, olds, news) {
            const client = await connect(news.connection);
            return { outs: await applyJournaled(client, news, olds, false) };
        },
        async delete(_id, props) {
            const client = await connect(connectionOf(props));
            const wal = journalOf(client, props as unknown as I);
            // A killed update may have written values its outputs never recorded: undo those first, then the rest.
            await undoInterrupted(client, wal, props);
            await spec.restore(client, props);
            wal.remove();
        },
    };
}

/**
 * Runs a create's apply with a fresh undo journal and undoes the journal when it throws: a failed create leaves nothing
 * behind. (A failed update keeps what it did: its outputs already remember the earlier state, and the next up
 * converges.)
 */
export async function applyTransactionally<O>(
    client: RecordClient,
    apply: (journal: UndoJournal) => Promise<O>,
    { journal = new UndoJournal(), wal }: { journal?: UndoJournal; wal?: WriteAheadJournal<SavedUndo> } = {},
): Promise<O> {
    try {
        return await apply(journal);
    } catch (err) {
        try {
            await journal.undoStrictly(client);
            // Everything is back: nothing left for a later run to undo.
            wal?.remove();
        } catch {
            // The apply's own error is the one the user must see; the journal stays on disk for the next run.
        }
        throw err;
    }
}

/** The id of a one-per-connection resource, e.g. `target:email-policy`, or `target:property:<name>` with a key. */
export function singletonId(kind: string, connection: ConnectionName, key = ""): string {
    return key ? `${connection}:${kind}:${key}` : `${connection}:${kind}`;
}
