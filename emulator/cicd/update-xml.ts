/**
 * The payload of a customer update (`sys_update_xml.payload`): the platform's `<record_update>` XML of one record,
 * written when a change is captured and applied when a retrieved update set is committed.
 *
 * Only the flat shape the platform uses for application files is handled: one element per column, text content.
 */

/** One record as an update carries it. */
export interface RecordUpdate {
    table: string;
    /** `INSERT_OR_UPDATE` or `DELETE`. */
    action: string;
    fields: Record<string, string>;
}

const ENTITIES: Record<string, string> = { "&lt;": "<", "&gt;": ">", "&amp;": "&", "&quot;": '"', "&apos;": "'" };

function escapeXml(value: string): string {
    return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function unescapeXml(value: string): string {
    return value.replace(/&(lt|gt|amp|quot|apos);/g, (m) => ENTITIES[m] ?? m);
}

/** The `<record_update>` XML of a record, as the platform writes it into `sys_update_xml.payload`. */
export function toPayload(update: RecordUpdate): string {
    const cols = Object.entries(update.fields)
        .filter(([k]) => !["sys_created_on", "sys_created_by", "sys_updated_on", "sys_updated_by"].includes(k))
        .map(([k, v]) => `<${k}>${escapeXml(v)}</${k}>`)
        .join("");
    return `<?xml version="1.0" encoding="UTF-8"?><record_update table="${update.table}"><${update.table} action="${update.action}">${cols}</${update.table}></record_update>`;
}

/** Parses a payload; undefined when it is not a `<record_update>` of one record. */
export function parsePayload(xml: string): RecordUpdate | undefined {
    const head =
        /<record_update[^>]*\btable="([^"]+)"[^>]*>\s*<([A-Za-z0-9_]+)\s+action="([^"]*)"\s*>([\s\S]*)<\/\2>\s*<\/record_update>/.exec(
            xml,
        );
    if (!head) return undefined;
    const fields: Record<string, string> = {};
    const col = /<([A-Za-z0-9_]+)(?:\s[^>]*)?(?:\/>|>([\s\S]*?)<\/\1>)/g;
    for (let m = col.exec(head[4]!); m; m = col.exec(head[4]!)) fields[m[1]!] = unescapeXml(m[2] ?? "");
    return { table: head[1]!, action: head[3]!, fields };
}

/** The `sys_update_xml.name` of a record: `<table>_<sys_id>`. */
export function updateName(table: string, sysId: string): string {
    return `${table}_${sysId}`;
}
