import * as assert from "node:assert/strict";
import {
    cloneOptions,
    expandExclusions,
    isAlwaysCopiedAttachment,
    orderScripts,
    tableFate,
} from "../../emulator/clone/plan";

const families: Record<string, string[]> = {
    sysauto: ["sysauto", "sysauto_script", "sysauto_report"],
    sys_db_object: ["sys_db_object"],
};
const familyOf = (t: string) => families[t] ?? [t];

describe("clone plan", () => {
    it("expands a .* exclusion to the table and its children, and a plain name to that table only", () => {
        assert.deepEqual([...expandExclusions(["sysauto.*", "syslog"], familyOf)].sort(), [
            "sysauto",
            "sysauto_report",
            "sysauto_script",
            "syslog",
        ]);
        assert.deepEqual([...expandExclusions(["sysauto"], familyOf)], ["sysauto"]);
    });

    it("never excludes sys_db_object", () => {
        assert.deepEqual([...expandExclusions(["sys_db_object.*", "sys_db_object", " "], familyOf)], []);
    });

    it("keeps MID Server and clone machinery tables, empties excluded and audit tables, copies the rest", () => {
        const defaults = cloneOptions({});
        const excluded = new Set(["wf_context", "ecc_agent"]);
        assert.equal(tableFate("ecc_agent", defaults, excluded), "keep");
        assert.equal(tableFate("ecc_agent_issue", defaults, excluded), "keep");
        assert.equal(tableFate("sn_instance_clone_request", defaults, excluded), "keep");
        assert.equal(tableFate("instance", defaults, excluded), "keep");
        assert.equal(tableFate("wf_context", defaults, excluded), "empty");
        assert.equal(tableFate("sys_audit_delete", defaults, excluded), "empty");
        assert.equal(tableFate("syslog_transaction", defaults, excluded), "empty");
        assert.equal(tableFate("sys_user", defaults, excluded), "copy");
        assert.equal(tableFate("ecc_queue", defaults, excluded), "copy");
        assert.equal(tableFate("syslog", cloneOptions({ exclude_audit_log_data: "false" }), excluded), "copy");
    });

    it("reads request options with the clone form's defaults", () => {
        assert.deepEqual(cloneOptions({ exclude_attachments: "", preserve_in_progress_update_sets_days: "" }), {
            excludeAuditLogData: true,
            excludeAttachments: true,
            preserveTheme: true,
            preserveInProgressUpdateSetsDays: 0,
        });
        assert.deepEqual(
            cloneOptions({
                exclude_audit_log_data: "false",
                exclude_attachments: "false",
                preserve_theme: "false",
                preserve_in_progress_update_sets_days: "5",
            }),
            {
                excludeAuditLogData: false,
                excludeAttachments: false,
                preserveTheme: false,
                preserveInProgressUpdateSetsDays: 5,
            },
        );
    });

    it("orders cleanup scripts by order, then by name", () => {
        const s = (name: string, order: number) => ({ sysId: name, name, order, script: "" });
        assert.deepEqual(
            orderScripts([s("b", 200), s("z", 100), s("a", 200)]).map((x) => x.name),
            ["z", "a", "b"],
        );
    });

    it("copies the attachments the platform keeps even when attachment data is excluded", () => {
        assert.equal(isAlwaysCopiedAttachment({ table_name: "sys_certificate" }), true);
        assert.equal(isAlwaysCopiedAttachment({ table_name: "ZZ_YYincident" }), true);
        assert.equal(isAlwaysCopiedAttachment({ table_name: "incident" }), false);
    });
});
