/**
 * The stack a resource belongs to, as the bulk resources write it into their claim on the instance, so another
 * stack's preview can say who already manages the records (provider/crash/ownership.ts).
 */
import * as pulumi from "@pulumi/pulumi";

/** `<project>/<stack>` of the program being run. */
export function stackOwner(): string {
    return `${pulumi.getProject()}/${pulumi.getStack()}`;
}
