/**
 * The Next Experience banner announcement InstanceBranding manages: "From the San Diego release on, configure banner
 * announcements instead of updating glide.product.description" (reference/servicenow-api.md §4.1). One record of
 * `sys_ux_banner_announcement`, found by name, adopted when it exists and created when not; with `exclusive`, every
 * other active announcement (production's, copied by the clone) is switched off. Destroy puts each back.
 */
import { z } from "zod";
import {
    applyRecordChanges,
    type RecordClient,
    type RecordMemory,
    type RecordTarget,
    type Row,
    restoreRecordChanges,
    type UndoJournal,
} from "../adopt";

/** The banner announcement table (Next Experience). */
export const BANNER_ANNOUNCEMENT_TABLE = "sys_ux_banner_announcement";

/** The announcement an environment shows. */
export const BannerAnnouncementInput = z.strictObject({
    heading: z
        .string()
        .min(1, { error: 'bannerAnnouncement.heading must be the text users see, e.g. "ACME QA: test data only"' }),
    summary: z.string().default(""),
    color: z
        .enum(["info", "warning", "critical", "positive"], {
            error: "bannerAnnouncement.color must be one of info, warning, critical, positive",
        })
        .default("warning"),
    name: z
        .string()
        .min(1, { error: "bannerAnnouncement.name identifies the record; omit it for the default" })
        .default("Environment notice"),
    /** Every other active announcement is switched off while this one is managed. @default true */
    exclusive: z.boolean().default(true),
});
/** A normalized announcement. */
export type BannerAnnouncementInput = z.infer<typeof BannerAnnouncementInput>;

const FIELDS = ["sys_id", "name", "heading", "summary", "color", "active"];

/** Plans the announcements: ours active with the text, and (exclusive) the others off. Pure. */
export function planBannerAnnouncement(
    rows: readonly Row[],
    wanted: BannerAnnouncementInput,
): { ours: Row | undefined; targets: RecordTarget[] } {
    const ours = rows.find((r) => r.name === wanted.name);
    const targets: RecordTarget[] = [];
    if (ours) {
        targets.push({
            table: BANNER_ANNOUNCEMENT_TABLE,
            sysId: ours.sys_id ?? "",
            label: ours.name,
            live: ours,
            desired: { active: "true", heading: wanted.heading, summary: wanted.summary, color: wanted.color },
        });
    }
    if (wanted.exclusive) {
        for (const r of rows) {
            if (r !== ours && r.active === "true") {
                targets.push({
                    table: BANNER_ANNOUNCEMENT_TABLE,
                    sysId: r.sys_id ?? "",
                    label: r.name,
                    live: r,
                    desired: { active: "false" },
                });
            }
        }
    }
    return { ours, targets };
}

/**
 * Converges the announcements; returns the merged memory and our record's sys_id. With `wanted` undefined, puts back
 * whatever was changed before (the announcement is no longer managed).
 */
export async function convergeBannerAnnouncement(
    client: RecordClient,
    wanted: BannerAnnouncementInput | undefined,
    memory: readonly RecordMemory[],
    journal: UndoJournal,
): Promise<{ memory: RecordMemory[]; sysId?: string }> {
    if (!wanted) {
        if (memory.length > 0) await restoreRecordChanges(client, memory);
        return { memory: [] };
    }
    const rows = await client.query(BANNER_ANNOUNCEMENT_TABLE, { query: "ORDERBYsys_id", fields: FIELDS, limit: 1000 });
    const plan = planBannerAnnouncement(rows, wanted);
    // A record of ours under an old name is no longer ours: put it back (delete it if we created it).
    const stale = memory.filter((m) => m.sysId !== plan.ours?.sys_id && m.created);
    let next = memory.filter((m) => !stale.includes(m));
    if (stale.length > 0) await restoreRecordChanges(client, stale);
    next = await applyRecordChanges(client, plan.targets, next, journal);
    if (plan.ours) return { memory: next, sysId: plan.ours.sys_id };
    const created = await client.insert(BANNER_ANNOUNCEMENT_TABLE, {
        name: wanted.name,
        heading: wanted.heading,
        summary: wanted.summary,
        color: wanted.color,
        active: "true",
    });
    const entry: RecordMemory = {
        table: BANNER_ANNOUNCEMENT_TABLE,
        sysId: created.sys_id ?? "",
        label: wanted.name,
        previous: {},
        created: true,
    };
    next = [...next, entry];
    // Noted at once, so a create that fails later deletes the announcement it inserted.
    journal.noteRecords(next);
    return { memory: next, sysId: entry.sysId };
}

/**
 * The announcement as live: ours switched off or gone reads as an empty heading, so the diff names it; `exclusive`
 * reads false while another announcement is active.
 */
export async function readBannerAnnouncement(
    client: RecordClient,
    declared: BannerAnnouncementInput,
    sysId: string | undefined,
): Promise<BannerAnnouncementInput> {
    const rows = await client.query(BANNER_ANNOUNCEMENT_TABLE, { query: "ORDERBYsys_id", fields: FIELDS, limit: 1000 });
    const ours = rows.find((r) => r.sys_id === sysId);
    const live = ours && ours.active === "true" ? ours : undefined;
    return {
        name: ours?.name ?? declared.name,
        heading: live?.heading ?? "",
        summary: live?.summary ?? "",
        color: (live?.color as BannerAnnouncementInput["color"] | undefined) ?? declared.color,
        exclusive: declared.exclusive ? !rows.some((r) => r.sys_id !== sysId && r.active === "true") : false,
    };
}
