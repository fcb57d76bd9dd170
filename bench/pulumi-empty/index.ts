/**
 * The benchmark's empty program: two dynamic resources, as many as test/fixtures/bulk declares, through the same
 * provider shim, with a provider that sends no request.
 */
import * as pulumi from "@pulumi/pulumi";
import { packageShimProvider } from "../../provider/shim";

class Noop extends pulumi.dynamic.Resource {
    constructor(name: string, policy: Record<string, unknown>) {
        super(
            packageShimProvider("bench/pulumi-empty/provider", "noopProvider"),
            name,
            { name, policy },
            {},
            "bench",
            "Noop",
        );
    }
}

const users = new Noop("uat-access", { allowRoles: ["admin"], allowGroups: ["UAT Participants"], allowUsers: [] });
const jobs = new Noop("uat-jobs", { allowNames: [] });

export const ids = [users.id, jobs.id];
