/**
 * One-record resources (ClonePreserver, CloneExclusion, CloneCleanupScript) as specs of the settings skeleton: adopt
 * the record by name, write what differs, read it back as inputs, restore it on destroy.
 */
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { convergeRecord, getOrUndefined, type RecordMemory, restoreRecord } from "../adopt/records";
import type { Row } from "../adopt/row";
import { type CheckFailure, type SettingsSpec, settingsProvider } from "./settings";

/** Inputs every record resource has. */
export interface RecordInputs {
    connection: "source" | "target";
    name: string;
}

/** Outputs of a record resource: its inputs as live, and what destroy needs. */
export type RecordOutputs<I> = I & {
    /** sys_id of the record. */
    sysId: string;
    /** True when the resource inserted the record (destroy deletes it); false when it adopted an existing one. */
    created: boolean;
    /** The adopted record's values before the resource first wrote them (destroy restores these). */
    previous: Row;
};

/** How one resource maps its inputs to a table's fields and back. */
export interface RecordSpec<I extends RecordInputs> {
    /** The table, e.g. `clone_data_preserver`. */
    table: string;
    /** The input schema (zod): normalizes defaults and gives check its failures. */
    schema: z.ZodType<I>;
    /** The input keys (compared by diff). */
    inputKeys: readonly (keyof I & string)[];
    /** Field values the record must have, `name` excluded. */
    fields(inputs: I): Row;
    /** The inputs that would produce the live record (so a refresh shows drift per property). */
    inputsFromLive(live: Readonly<Row>, inputs: I): I;
    /** Extra refusals that need more than the schema (e.g. protected records); return a reason to refuse. */
    refuse?(inputs: I): CheckFailure | undefined;
    /** Lookups at check on the instance (tables that must exist, queries against their dictionary). */
    lookup?: SettingsSpec<I, RecordOutputs<I>>["lookup"];
}

/**
 * A record name as it is used in encoded queries: `^` would split the query (ServiceNow escapes it as `^^`, which
 * not every instance honours in Table API queries), so it is refused rather than silently matching another record.
 */
export function recordName(what: string, example: string) {
    return z
        .string({ error: `name is required: the ${what}, e.g. ${example}` })
        .trim()
        .min(1, { error: `name must not be empty: give the ${what}, e.g. ${example}` })
        .refine((v) => !v.includes("^"), { error: "name must not contain '^', which separates encoded-query terms" });
}

/** The record memory kept in a record resource's outputs. */
export function memoryOf(table: string, o: { sysId: string; created: boolean; previous?: Row }): RecordMemory {
    return { table, sysId: o.sysId, created: o.created, previous: o.previous ?? {} };
}

/** Builds the dynamic provider of a one-record resource from its {@link RecordSpec}. */
export function recordProvider<I extends RecordInputs>(
    spec: RecordSpec<I>,
): pulumi.dynamic.ResourceProvider<I, RecordOutputs<I>> {
    return settingsProvider<I, RecordOutputs<I>>({
        schema: spec.schema,
        inputKeys: spec.inputKeys,
        replaceKeys: ["connection", "name"],
        id: (_inputs, outs) => outs.sysId,
        journalKey: (inputs) => `${spec.table}:${inputs.name}`,
        refuse: spec.refuse,
        ...(spec.lookup ? { lookup: spec.lookup } : {}),
        async apply(client, inputs, prior, journal) {
            const priorMemory = prior ? memoryOf(spec.table, prior) : undefined;
            const { memory } = await convergeRecord(
                client,
                spec.table,
                inputs.name,
                spec.fields(inputs),
                priorMemory,
                journal,
            );
            return { ...inputs, sysId: memory.sysId, created: memory.created, previous: memory.previous };
        },
        async read(client, stored, id) {
            const live = await getOrUndefined(client, spec.table, stored.sysId || id);
            if (!live) return undefined;
            const inputs = spec.inputsFromLive(live, stored);
            return { props: { ...stored, ...inputs }, inputs };
        },
        async restore(client, props) {
            await restoreRecord(client, memoryOf(spec.table, props));
        },
    });
}
