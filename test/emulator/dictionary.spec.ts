/**
 * The emulator serves the data dictionary as the platform does: `sys_dictionary` rows for the columns each table
 * declares, inherited columns on the parent's rows, and `sys_db_object.super_class` linking a table to its parent.
 */
import * as assert from "node:assert/strict";
import type { RunningEmulator } from "../../emulator";
import { call, start, urlOf } from "./helpers";

describe("the data dictionary", () => {
    let emu: RunningEmulator;
    let url: string;
    before(async () => {
        emu = await start({ users: 20, jobs: 10 });
        url = urlOf(emu);
    });
    after(async () => emu.stop());

    const rows = async (path: string) => ((await call(url, path)).json as { result: Record<string, string>[] }).result;

    it("lists each table's own columns with their types and references", async () => {
        const user = await rows(
            "/api/now/table/sys_dictionary?sysparm_query=name=sys_user&sysparm_fields=element,internal_type,reference",
        );
        const byName = new Map(user.map((r) => [r.element, r]));
        assert.equal(byName.get("user_name")?.internal_type, "string");
        assert.equal(byName.get("locked_out")?.internal_type, "boolean");
        assert.equal(byName.get("manager")?.reference, "sys_user");
        assert.ok(byName.has("sys_id"), "a table that extends nothing carries the system columns");
    });

    it("keeps inherited columns on the parent, reachable through super_class", async () => {
        const own = await rows(
            "/api/now/table/sys_dictionary?sysparm_query=name=customer_contact&sysparm_fields=element",
        );
        assert.deepEqual(
            own.map((r) => r.element),
            ["account"],
        );
        const [table] = await rows(
            "/api/now/table/sys_db_object?sysparm_query=name=customer_contact&sysparm_fields=super_class&sysparm_exclude_reference_link=true",
        );
        const [parent] = await rows(
            `/api/now/table/sys_db_object?sysparm_query=sys_id=${table!.super_class}&sysparm_fields=name`,
        );
        assert.equal(parent?.name, "sys_user");
    });
});
