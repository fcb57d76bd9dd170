/**
 * Which resource of the program manages which record: two resources on one record (two SystemProperty resources on
 * one property, or one next to the EmailPolicy that owns it) would undo each other's writes and restore the wrong
 * value on destroy, so the second one fails the program (and so the preview), naming both.
 */
import * as pulumi from "@pulumi/pulumi";
import { DuplicateResourceError } from "../provider/errors";

/** Record key to the resource that claimed it, for this program run. */
const owners = new Map<string, string>();

/**
 * Claims records for a resource; throws when another resource of the program claimed one of them already.
 *
 * @param owner the resource as a person names it, e.g. `SystemProperty "session-timeout"`.
 * @param connection the resource's connection input (`target` when omitted).
 * @param records `table` and the record's name, e.g. `["sys_properties", "glide.ui.session_timeout"]`; values may be
 *   outputs, checked once known.
 */
export function claimRecords(
    owner: string,
    connection: pulumi.Input<string> | undefined,
    records: readonly [table: string, name: pulumi.Input<string>][],
): void {
    const claim = (conn: string, table: string, name: string) => {
        const key = `${conn}\u0000${table}\u0000${name}`;
        const prior = owners.get(key);
        if (prior !== undefined && prior !== owner) {
            throw new DuplicateResourceError(
                `${owner} and ${prior} both manage ${table} "${name}" on the ${conn} connection: they would undo each ` +
                    "other's writes and destroy would restore the wrong value; keep one of them",
            );
        }
        owners.set(key, owner);
    };
    for (const [table, name] of records) {
        if (typeof name === "string" && (connection === undefined || typeof connection === "string")) {
            claim(connection ?? "target", table, name);
        } else {
            pulumi.all([connection ?? "target", name]).apply(([c, n]) => claim(c, table, n));
        }
    }
}
