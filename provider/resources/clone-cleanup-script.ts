/**
 * CloneCleanupScript: one `clone_cleanup_script` record on the clone's source, a spec of the records skeleton.
 */
import { z } from "zod";
import { flag, integer } from "../adopt";
import { scriptSyntaxProblem } from "../clone/script-syntax";
import { SourceConnectionInput } from "../connection";
import { recordName, recordProvider } from "../skeletons/records";

/** Inputs of {@link cloneCleanupScriptProvider}. */
export const CloneCleanupScriptInputs = z
    .object({
        connection: SourceConnectionInput,
        name: recordName("cleanup script's name", '"Point REST messages at the sandbox"'),
        script: z.string({
            error: "script is required: the server-side JavaScript to run on the target after a clone",
        }),
        order: z
            .number({ error: "order must be a whole number; scripts run by ascending order" })
            .int({ error: "order must be a whole number; scripts run by ascending order" })
            .default(100),
        active: z.boolean({ error: "active must be true or false" }).default(true),
        description: z.string().optional(),
    })
    .superRefine((v, ctx) => {
        // Parsed, never run: a typo fails the preview instead of the clone, hours later and on the target.
        const problem = scriptSyntaxProblem(v.script, `${v.name}.js`);
        if (problem) {
            ctx.addIssue({
                code: "custom",
                path: ["script"],
                message: `script "${v.name}" does not parse at line ${problem.line} (${problem.text}): ${problem.message}; fix the script`,
                input: problem.text,
            });
        }
    });
/** Normalized inputs. */
export type CloneCleanupScriptInputs = z.infer<typeof CloneCleanupScriptInputs>;

/**
 * Dynamic provider for `CloneCleanupScript`: one `clone_cleanup_script` record on the clone's source. Active scripts run
 * on the target after the clone, in ascending order.
 */
export const cloneCleanupScriptProvider = recordProvider<CloneCleanupScriptInputs>({
    table: "clone_cleanup_script",
    schema: CloneCleanupScriptInputs,
    inputKeys: ["connection", "name", "script", "order", "active", "description"],
    fields: (i) => ({
        script: i.script,
        order: String(i.order),
        active: String(i.active),
        ...(i.description === undefined ? {} : { description: i.description }),
    }),
    inputsFromLive: (live, i) => ({
        connection: i.connection,
        name: live.name ?? i.name,
        script: live.script ?? "",
        order: integer(live.order, i.order),
        active: flag(live.active),
        ...(i.description === undefined ? {} : { description: live.description ?? "" }),
    }),
});
