import * as assert from "node:assert/strict";
import { InstanceDb } from "../../emulator/db";
import { columnsFor, type RenderOptions, renderRow, rowSerializer } from "../../emulator/render";
import { seedInstance } from "../../emulator/seed";

describe("record rendering", () => {
    const db = new InstanceDb({ name: "r" });
    seedInstance(db, { kind: "production", users: 30, jobs: 12 });

    for (const table of ["sys_user", "sys_user_has_role", "sysauto", "sys_properties"]) {
        for (const excludeLink of [false, true]) {
            for (const fields of [undefined, ["sys_id", "user", "role.name", "name", "nonsense"]]) {
                it(`writes the same JSON through the fast path as the general renderer (${table}, excludeLink=${excludeLink}, fields=${fields ? "some" : "all"})`, () => {
                    const info = db.tableInfo(table);
                    const opts: RenderOptions = {
                        displayValue: "false",
                        excludeLink,
                        baseUrl: "https://x.example",
                        fields,
                    };
                    const fast = rowSerializer(db, info, opts)!;
                    const cols = columnsFor(db, info, fields);
                    for (const row of db.query(table, "", { limit: 20 })) {
                        assert.equal(fast(row).toString("utf8"), JSON.stringify(renderRow(db, row, cols, opts)));
                    }
                });
            }
        }
    }
});
