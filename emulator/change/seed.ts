/**
 * Change Management seed data every instance carries: the standard change template a governed clone uses by
 * default, with its published version.
 */
import type { Row } from "../values";

/** Name of the seeded standard change template for clone refreshes. */
export const CLONE_TEMPLATE_NAME = "Refresh a non-production instance by clone";
/** Fixed sys_ids, so documentation and tests can name the template. */
export const CLONE_TEMPLATE_ID = "c10e7e3a5f3a4b6c8d9e0f1a2b3c4d5e";
const CLONE_TEMPLATE_VERSION_ID = "c10e7e3a5f3a4b6c8d9e0f1a2b3c4d5f";

/** Adds the seeded Change Management rows through the seed's row builder. */
export function seedChangeManagement(add: (table: string, values: Record<string, string>) => Row): void {
    add("std_change_record_producer", {
        sys_id: CLONE_TEMPLATE_ID,
        name: CLONE_TEMPLATE_NAME,
        short_description: "Refresh a non-production instance from production by clone",
        template: [
            "short_description=Refresh a non-production instance from production by clone",
            "category=Other",
            "risk=4",
            "impact=3",
            "implementation_plan=Request the clone in the Clone Admin Console; apply the post-clone policy; verify",
            "backout_plan=Roll back the clone from the Clone Admin Console within 7 days",
            "test_plan=Post-clone checks and drift preview on the target",
        ].join("^"),
        active: "true",
        current_version: CLONE_TEMPLATE_VERSION_ID,
    });
    add("std_change_producer_version", {
        sys_id: CLONE_TEMPLATE_VERSION_ID,
        name: `${CLONE_TEMPLATE_NAME} - 1`,
        std_change_producer: CLONE_TEMPLATE_ID,
        version: "1",
    });
}
