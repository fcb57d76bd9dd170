/**
 * The provider shape of the one-record clone-configuration resources (ClonePreserver, CloneExclusion,
 * CloneCleanupScript): adopt by name, write what differs, read back as inputs, restore on destroy.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import { toCheckResult } from "../check";
import {
    type CloneClient,
    cloneClient,
    configureClone,
    convergeRecord,
    diffRecordInputs,
    getOrUndefined,
    type RecordMemory,
    type Row,
    restoreRecord,
} from "./records";

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
    refuse?(inputs: I): { property: string; reason: string } | undefined;
}

/** Builds the dynamic provider of a one-record resource from its {@link RecordSpec}. */
export function recordProvider<I extends RecordInputs>(
    spec: RecordSpec<I>,
): pulumi.dynamic.ResourceProvider<I, RecordOutputs<I>> {
    const memoryOf = (o: RecordOutputs<I>): RecordMemory => ({
        sysId: o.sysId,
        created: o.created,
        previous: o.previous ?? {},
    });
    const apply = async (inputs: I, prior?: RecordMemory): Promise<RecordOutputs<I>> => {
        const client: CloneClient = await cloneClient(inputs.connection);
        const { memory } = await convergeRecord(client, spec.table, inputs.name, spec.fields(inputs), prior);
        return { ...inputs, sysId: memory.sysId, created: memory.created, previous: memory.previous };
    };
    return {
        async configure(req) {
            await configureClone(req);
        },
        async check(_olds, news) {
            const result = toCheckResult(spec.schema, news as Record<string, unknown>);
            if (result.failures?.length || !result.inputs || !spec.refuse) return result;
            const refusal = (() => {
                try {
                    return spec.refuse?.(result.inputs as I);
                } catch {
                    // Values still unknown at preview pass through unvalidated; they are checked once known.
                    return undefined;
                }
            })();
            return refusal ? { failures: [refusal] } : result;
        },
        async diff(_id, olds, news) {
            return diffRecordInputs(olds, news, spec.inputKeys);
        },
        async create(inputs) {
            const outs = await apply(inputs);
            return { id: outs.sysId, outs };
        },
        async read(id, props) {
            const stored = props as RecordOutputs<I>;
            const client = await cloneClient(stored.connection);
            const live = await getOrUndefined(client, spec.table, stored.sysId || id);
            // Gone: refresh drops the resource and the next up puts the record back.
            if (!live) return {};
            const inputs = spec.inputsFromLive(live, stored);
            return { id, props: { ...stored, ...inputs }, inputs: inputs as RecordOutputs<I> };
        },
        async update(_id, olds, news) {
            return { outs: await apply(news, memoryOf(olds)) };
        },
        async delete(_id, props) {
            const client = await cloneClient(props.connection);
            await restoreRecord(client, spec.table, memoryOf(props));
        },
    };
}
