/**
 * CloneExclusion: one `clone_data_exclude` record on the clone's source, a spec of the records skeleton.
 */
import { z } from "zod";
import { SourceConnectionInput } from "../connection";
import { checkTable } from "../query/names";
import { recordName, recordProvider } from "../skeletons/records";

/** Inputs of {@link cloneExclusionProvider}. */
export const CloneExclusionInputs = z.object({
    connection: SourceConnectionInput,
    name: recordName(
        "table to leave empty on the target",
        "u_payroll or sys_audit_delete, or x_acme_pii.* with children",
    )
        .regex(/^[A-Za-z0-9_]+(\.\*)?$/, {
            error: "name must be a table name, optionally followed by .* to include the tables that extend it (the dot is required), e.g. x_acme_pii.*",
        })
        .refine((v) => v !== "sys_db_object" && v !== "sys_db_object.*", {
            error: "sys_db_object can't be excluded from a clone (the platform refuses it); remove this exclusion",
        }),
    description: z.string().optional(),
});
/** Normalized inputs. */
export type CloneExclusionInputs = z.infer<typeof CloneExclusionInputs>;

/**
 * Dynamic provider for `CloneExclusion`: one `clone_data_exclude` record on the clone's source. The named table (and
 * with `.*` its extensions) ends empty but usable on the target.
 */
export const cloneExclusionProvider = recordProvider<CloneExclusionInputs>({
    table: "clone_data_exclude",
    schema: CloneExclusionInputs,
    inputKeys: ["connection", "name", "description"],
    fields: (i): Record<string, string> => (i.description === undefined ? {} : { description: i.description }),
    // A misspelt table excludes nothing: the data meant to stay in production would be copied.
    lookup: async (connect, i) => checkTable(await connect(), i.name.replace(/\.\*$/, ""), "name"),
    inputsFromLive: (live, i) => ({
        connection: i.connection,
        name: live.name ?? i.name,
        ...(i.description === undefined ? {} : { description: live.description ?? "" }),
    }),
});
