/**
 * The demo's rows for this area: the Next Experience banner users see, and how much personal data is still real
 * (qa masks it through environment:masking; dev does not).
 */
import type { RunningInstance } from "../emulator/index";

/** Checklist rows, label to value, for the before/after table. */
export function maskingRows(i: RunningInstance): Record<string, string> {
    const db = i.db;
    const banners = db.query("sys_ux_banner_announcement", "active=true").map((r) => r.heading ?? "");
    const people = db.count("sys_user", "web_service_access_only=false^emailISNOTEMPTY");
    const real = db.count("sys_user", "web_service_access_only=false^emailISNOTEMPTY^emailNOT LIKE.invalid");
    return {
        "Banner announcement": banners.join(", ") || "(none)",
        "People with a real email": `${real} of ${people}`,
    };
}
