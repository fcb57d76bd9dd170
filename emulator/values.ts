import { createHash, randomBytes } from "node:crypto";

/**
 * A record as the emulator stores it: every value a string, as the platform returns them.
 *
 * Stored rows are frozen; copy before changing one.
 */
export type Row = Readonly<Record<string, string>>;

/** A fresh random sys_id: 32 lowercase hex characters, as the platform generates them. */
export function newSysId(): string {
    return randomBytes(16).toString("hex");
}

/** True when a value has the shape of a platform sys_id. */
export function isSysId(value: string): boolean {
    return /^[0-9a-f]{32}$/.test(value);
}

/** Formats an instant as the platform stores date-times: UTC `YYYY-MM-DD HH:MM:SS`. */
export function glideDateTime(at: Date | number = Date.now()): string {
    const d = typeof at === "number" ? new Date(at) : at;
    return d.toISOString().slice(0, 19).replace("T", " ");
}

/** Parses a stored `YYYY-MM-DD HH:MM:SS` UTC date-time into epoch milliseconds (NaN when malformed). */
export function parseGlideDateTime(value: string): number {
    return Date.parse(`${value.replace(" ", "T")}Z`);
}

/**
 * Coerces a JSON input value to the string the platform would store.
 *
 * References may arrive as `{value}` or `{value, link}` objects (clients echo what they read).
 */
export function toStoredString(value: unknown): string {
    if (value === null || value === undefined) return "";
    if (typeof value === "string") return value;
    if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
    if (typeof value === "object" && "value" in (value as Record<string, unknown>)) {
        return toStoredString((value as Record<string, unknown>).value);
    }
    return JSON.stringify(value);
}

/** Marks a stored one-way secret, so a value already hashed is not hashed twice. */
const SECRET_PREFIX = "sha256:";

/**
 * One-way form of a password-type value, as stored (the platform never returns these either).
 *
 * Unsalted SHA-256 is enough for an emulator whose data never holds real credentials.
 */
export function hashSecret(plain: string): string {
    if (plain === "" || plain.startsWith(SECRET_PREFIX)) return plain;
    return SECRET_PREFIX + createHash("sha256").update(plain).digest("hex");
}

/** True when `plain` is the secret whose stored form is `stored`. */
export function secretMatches(stored: string | undefined, plain: string): boolean {
    return stored !== undefined && stored !== "" && stored === hashSecret(plain);
}
