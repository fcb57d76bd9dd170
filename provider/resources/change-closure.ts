/**
 * ChangeClosure: closes the change request of a governed clone once the environment has converged, with the clone id,
 * its duration, what converging changed (the drift the clone brought) and the verification summary as close notes.
 * Its own small provider: it writes one change record through the Change Management API and never undoes it (an
 * audit record stays), so it has nothing to adopt or restore.
 */
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { closeChange, closeNotes, fieldValue, getChange, State } from "../clone/governance";
import { type ChangeConnection, changeApiOf } from "../clone/governed-run";
import { configureFromStack } from "../connection";
import { toCheckResult } from "../pulumi/check";

/** Inputs of {@link changeClosureProvider}. */
export const ChangeClosureInputs = z.object({
    changeSysId: z.string().regex(/^[0-9a-f]{32}$/, { error: "changeSysId must be a change request's sys_id" }),
    changeNumber: z.string().default(""),
    changeConnection: z.enum(["source", "target"]).default("source"),
    cloneId: z.string().min(1, { error: "cloneId must be the clone request's sys_id" }),
    target: z.string().min(1),
    durationSeconds: z.number().min(0).default(0),
    drift: z.array(z.string()).default([]),
    verification: z.string().optional(),
});
/** Normalized inputs. */
export type ChangeClosureInputs = z.infer<typeof ChangeClosureInputs>;

/** Outputs: the inputs, the change's state and the notes it was closed with. */
export interface ChangeClosureOutputs extends ChangeClosureInputs {
    state: string;
    closeNotes: string;
}

const STATE_LABELS: Record<string, string> = { [State.Closed]: "Closed", [State.Canceled]: "Canceled" };

/** Dynamic provider for `ChangeClosure`. */
export const changeClosureProvider: pulumi.dynamic.ResourceProvider<ChangeClosureInputs, ChangeClosureOutputs> = {
    async configure(req) {
        await configureFromStack(req);
    },
    async check(_olds, news) {
        return toCheckResult(ChangeClosureInputs, news);
    },
    async diff(_id, olds, news) {
        const replaces = (["changeSysId", "cloneId"] as const).filter((k) => olds[k] !== news[k]);
        return { changes: replaces.length > 0, replaces, deleteBeforeReplace: false };
    },
    async create(inputs) {
        const api = await changeApiOf(inputs.changeConnection as ChangeConnection);
        const notes = closeNotes({
            cloneId: inputs.cloneId,
            target: inputs.target,
            durationSeconds: inputs.durationSeconds,
            drift: inputs.drift,
            verification: inputs.verification,
        });
        const ref = { sysId: inputs.changeSysId, number: inputs.changeNumber };
        await closeChange(api, ref, notes);
        console.log(`ChangeClosure: change ${inputs.changeNumber || inputs.changeSysId} closed successful`);
        return { id: inputs.changeSysId, outs: { ...inputs, state: "Closed", closeNotes: notes } };
    },
    async read(id, props) {
        const api = await changeApiOf((props?.changeConnection ?? "source") as ChangeConnection);
        const rec = await getChange(api, { sysId: id, number: props?.changeNumber ?? "" });
        const state = fieldValue(rec, "state");
        return {
            id,
            props: { ...props!, state: STATE_LABELS[state] ?? state, closeNotes: fieldValue(rec, "close_notes") },
        };
    },
    async delete() {
        // A closed change is an audit record: destroying the stack leaves it as it is.
    },
};
