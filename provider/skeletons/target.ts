/**
 * The production fence at check: a check that reads the instance anyway also asks whether it is the declared one, so
 * a wrong `servicenow:instanceName` or a target listed in `productionInstances` fails the preview, not the first write.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { ServiceNowClient } from "../client/client";
import { UnsafeTargetError } from "../errors";

/**
 * The check failure of a connection whose instance the fence would refuse; undefined when it would let writes
 * through. The identity is read once per client (a small read that travels with the check's other lookups), and the
 * same verdict guards every write of the operation.
 */
export async function targetRefusal(client: ServiceNowClient): Promise<pulumi.dynamic.CheckFailure | undefined> {
    try {
        await client.assertTarget();
        return undefined;
    } catch (e) {
        if (e instanceof UnsafeTargetError) return { property: "connection", reason: e.message };
        throw e;
    }
}
