/**
 * Change Management tables: `change_request` and `change_task` under `task`, standard change templates and their
 * versions, and approval records.
 */
import { type FieldDef, fields, type TableDef } from "../schema";
import { scheduleTables } from "./schedule";
import { CHANGE_STATE_LABELS } from "./state-model";

function withChoices(list: FieldDef[], choices: Record<string, Record<string, string>>): FieldDef[] {
    return list.map((f) => (choices[f.name] ? { ...f, choices: choices[f.name] } : f));
}

/** Roles the Change Management API documents for writes; the tables follow the same rule. */
const changeWrite = { write: ["itil", "change_manager"] };

/** The tables of the Change Management application; spread into `platformTables()`. */
export function changeTables(): TableDef[] {
    return [
        ...scheduleTables(),
        {
            name: "change_request",
            label: "Change Request",
            parent: "task",
            numberPrefix: "CHG",
            acl: changeWrite,
            fields: withChoices(
                fields(
                    "type=normal",
                    "state:integer=-5",
                    "approval=not requested",
                    "approval_set:glide_date_time",
                    "requested_by:ref:sys_user",
                    "start_date:glide_date_time",
                    "end_date:glide_date_time",
                    "work_start:glide_date_time",
                    "work_end:glide_date_time",
                    "close_code",
                    "close_notes",
                    "closed_at:glide_date_time",
                    "closed_by:ref:sys_user",
                    "justification",
                    "implementation_plan",
                    "backout_plan",
                    "test_plan",
                    "risk:integer=3",
                    "impact:integer=3",
                    "category=Other",
                    "work_notes",
                    "std_change_producer_version:ref:std_change_producer_version",
                    "chg_model",
                    "on_hold:boolean=false",
                    "cmdb_ci:ref:cmdb_ci",
                ),
                {
                    type: { standard: "Standard", normal: "Normal", emergency: "Emergency" },
                    state: { ...CHANGE_STATE_LABELS },
                    approval: {
                        "not requested": "Not Yet Requested",
                        requested: "Requested",
                        approved: "Approved",
                        rejected: "Rejected",
                    },
                    close_code: {
                        successful: "Successful",
                        successful_issues: "Successful with issues",
                        unsuccessful: "Unsuccessful",
                    },
                    risk: { "1": "Very High", "2": "High", "3": "Moderate", "4": "Low" },
                    impact: { "1": "1 - High", "2": "2 - Medium", "3": "3 - Low" },
                },
            ),
        },
        {
            name: "change_task",
            label: "Change Task",
            parent: "task",
            numberPrefix: "CTASK",
            acl: changeWrite,
            fields: fields(
                "change_request:ref:change_request",
                "change_task_type=implementation",
                "planned_start_date:glide_date_time",
                "planned_end_date:glide_date_time",
                "close_code",
                "close_notes",
            ),
        },
        {
            name: "std_change_record_producer",
            label: "Standard Change Template",
            acl: { write: ["admin"] },
            fields: fields(
                "name",
                "short_description",
                "template",
                "active:boolean=true",
                "current_version:ref:std_change_producer_version",
            ),
        },
        {
            name: "std_change_producer_version",
            label: "Standard Change Template Version",
            acl: { write: ["admin"] },
            fields: fields("name", "std_change_producer:ref:std_change_record_producer", "version:integer=1"),
        },
        {
            name: "sysapproval_approver",
            label: "Approval",
            display: "sysapproval",
            acl: changeWrite,
            fields: withChoices(
                fields(
                    "sysapproval:ref:task",
                    "document_id",
                    "source_table",
                    "approver:ref:sys_user",
                    "state=requested",
                    "comments",
                ),
                {
                    state: {
                        requested: "Requested",
                        approved: "Approved",
                        rejected: "Rejected",
                        not_required: "No Longer Required",
                    },
                },
            ),
        },
    ];
}
