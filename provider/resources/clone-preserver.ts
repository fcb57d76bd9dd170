/**
 * ClonePreserver: one `clone_data_preserver` record on the clone's source, a spec of the records skeleton.
 */
import { z } from "zod";
import { flag } from "../adopt";
import { SourceConnectionInput } from "../connection";
import { checkQuery } from "../query/check";
import { checkTable } from "../query/names";
import { recordName, recordProvider } from "../skeletons/records";

/**
 * Preservers the platform ships that "must not be modified or deleted" (ServiceNow docs, Create a data preserver):
 * without them a clone would overwrite the target's identity, its semaphores and its email accounts.
 */
export const PROTECTED_PRESERVERS: readonly string[] = ["Core Instance Properties", "Semaphores", "Email Accounts"];

/** Inputs of {@link clonePreserverProvider}. */
export const ClonePreserverInputs = z.object({
    connection: SourceConnectionInput,
    name: recordName("data preserver's name", '"Keep QA integration endpoints"').refine(
        (v) => !PROTECTED_PRESERVERS.some((p) => p.toLowerCase() === v.toLowerCase()),
        {
            error:
                `the platform's ${PROTECTED_PRESERVERS.map((p) => `"${p}"`).join(", ")} preservers must not be ` +
                "modified or deleted; give your preserver another name (a CloneProfile can still list the platform's by name)",
        },
    ),
    table: z
        .string({ error: "table is required: the table whose target rows survive the clone, e.g. sys_rest_message" })
        .regex(/^[A-Za-z0-9_]+$/, {
            error: "table must be a table name such as sys_rest_message (letters, digits, '_')",
        }),
    condition: z
        .string()
        .refine((v) => !/MATCH_RGX/.test(v), {
            error: "condition uses the regex operator, which preserver conditions do not support; use STARTSWITH, LIKE or IN",
        })
        .default(""),
    theme: z.boolean({ error: "theme must be true or false" }).default(false),
    description: z.string().optional(),
});
/** Normalized inputs. */
export type ClonePreserverInputs = z.infer<typeof ClonePreserverInputs>;

/**
 * Dynamic provider for `ClonePreserver`: one `clone_data_preserver` record on the clone's source. The target's rows of
 * `table` that match `condition` are put back after the copy, so the target keeps them.
 */
export const clonePreserverProvider = recordProvider<ClonePreserverInputs>({
    table: "clone_data_preserver",
    schema: ClonePreserverInputs,
    inputKeys: ["connection", "name", "table", "condition", "theme", "description"],
    // A misspelt table preserves nothing, and a misspelt field in the condition preserves every row or none.
    async lookup(connect, i) {
        const client = await connect();
        const missing = await checkTable(client, i.table, "table");
        return missing.length > 0 ? missing : checkQuery(client, i.table, i.condition, "condition");
    },
    fields: (i) => ({
        table: i.table,
        condition: i.condition,
        theme: String(i.theme),
        ...(i.description === undefined ? {} : { description: i.description }),
    }),
    inputsFromLive: (live, i) => ({
        connection: i.connection,
        name: live.name ?? i.name,
        table: live.table ?? "",
        condition: live.condition ?? "",
        theme: flag(live.theme),
        ...(i.description === undefined ? {} : { description: live.description ?? "" }),
    }),
});
