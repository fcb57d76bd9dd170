/**
 * The SDK's `Args` interfaces match the provider schemas they feed: checked at compile time (tsc -b checks this file),
 * so a property added to a schema and not to its SDK class, or typed differently, fails the build.
 */
import * as assert from "node:assert/strict";
import type * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import { PROVIDERS } from "../../provider/registry";
import type { ChangeClosureInputs } from "../../provider/resources/change-closure";
import type { CloneCleanupScriptInputs } from "../../provider/resources/clone-cleanup-script";
import type { CloneExclusionInputs } from "../../provider/resources/clone-exclusion";
import type { ClonePreserverInputs } from "../../provider/resources/clone-preserver";
import type { CloneProfileInputs } from "../../provider/resources/clone-profile";
import type { CloneRunInputs } from "../../provider/resources/clone-run";
import type { DataMaskingInputs } from "../../provider/resources/data-masking";
import type { EmailPolicyInputs } from "../../provider/resources/email-policy";
import type { InFlightWorkInputs } from "../../provider/resources/in-flight-work";
import type { InstanceBrandingInputs } from "../../provider/resources/instance-branding";
import type { IntegrationEndpointsInputs } from "../../provider/resources/integration-endpoints";
import type { LdapServerStateInputs } from "../../provider/resources/ldap-server-state";
import type { MidServerStateInputs } from "../../provider/resources/mid-server-state";
import type { PluginStateInputs } from "../../provider/resources/plugin-state";
import type { PostCloneChecksInputs } from "../../provider/resources/post-clone-checks";
import type { ScheduledJobStateInputs } from "../../provider/resources/scheduled-job-state";
import type { SystemPropertyInputs } from "../../provider/resources/system-property";
import type { UserLockoutInputs } from "../../provider/resources/user-lockout";
import type { ChangeClosureArgs } from "../../sdk/change-closure";
import type { CloneCleanupScriptArgs } from "../../sdk/clone-cleanup-script";
import type { CloneExclusionArgs } from "../../sdk/clone-exclusion";
import type { ClonePreserverArgs } from "../../sdk/clone-preserver";
import type { CloneProfileArgs } from "../../sdk/clone-profile";
import type { CloneRunArgs } from "../../sdk/clone-run";
import type { DataMaskingArgs } from "../../sdk/data-masking";
import type { EmailPolicyArgs } from "../../sdk/email-policy";
import type { InFlightWorkArgs } from "../../sdk/in-flight-work";
import type { InstanceBrandingArgs } from "../../sdk/instance-branding";
import type { IntegrationEndpointsArgs } from "../../sdk/integration-endpoints";
import type { LdapServerStateArgs } from "../../sdk/ldap-server-state";
import type { MidServerStateArgs } from "../../sdk/mid-server-state";
import type { PluginStateArgs } from "../../sdk/plugin-state";
import type { PostCloneChecksArgs } from "../../sdk/post-clone-checks";
import type { ScheduledJobStateArgs } from "../../sdk/scheduled-job-state";
import type { SystemPropertyArgs } from "../../sdk/system-property";
import type { UserLockoutArgs } from "../../sdk/user-lockout";

/** An Args interface as the provider receives it: outputs resolved, the shim's cloneEpoch left out. */
type Resolved<A> = Unwrapped<Omit<A, "cloneEpoch">>;
type Unwrapped<A> = { [K in keyof A]: pulumi.Unwrap<A[K]> };

/** True when the two types have the same keys and each side's values are accepted by the other. */
type Matches<A, S extends z.ZodType> = [keyof Resolved<A>] extends [keyof z.input<S>]
    ? [keyof z.input<S>] extends [keyof Resolved<A>]
        ? Resolved<A> extends z.input<S>
            ? z.input<S> extends Resolved<A>
                ? true
                : false
            : false
        : false
    : false;

const checks = {
    ChangeClosure: true as Matches<ChangeClosureArgs, typeof ChangeClosureInputs>,
    CloneCleanupScript: true as Matches<CloneCleanupScriptArgs, typeof CloneCleanupScriptInputs>,
    CloneExclusion: true as Matches<CloneExclusionArgs, typeof CloneExclusionInputs>,
    ClonePreserver: true as Matches<ClonePreserverArgs, typeof ClonePreserverInputs>,
    CloneProfile: true as Matches<CloneProfileArgs, typeof CloneProfileInputs>,
    CloneRun: true as Matches<CloneRunArgs, typeof CloneRunInputs>,
    // The class adds knownCloneEpoch itself (a copy of cloneEpoch the provider's check can see).
    DataMasking: true as Matches<DataMaskingArgs & { knownCloneEpoch?: string }, typeof DataMaskingInputs>,
    EmailPolicy: true as Matches<EmailPolicyArgs, typeof EmailPolicyInputs>,
    InFlightWork: true as Matches<InFlightWorkArgs, typeof InFlightWorkInputs>,
    InstanceBranding: true as Matches<InstanceBrandingArgs, typeof InstanceBrandingInputs>,
    IntegrationEndpoints: true as Matches<IntegrationEndpointsArgs, typeof IntegrationEndpointsInputs>,
    LdapServerState: true as Matches<LdapServerStateArgs, typeof LdapServerStateInputs>,
    MidServerState: true as Matches<MidServerStateArgs, typeof MidServerStateInputs>,
    PluginState: true as Matches<PluginStateArgs, typeof PluginStateInputs>,
    PostCloneChecks: true as Matches<PostCloneChecksArgs, typeof PostCloneChecksInputs>,
    ScheduledJobState: true as Matches<ScheduledJobStateArgs, typeof ScheduledJobStateInputs>,
    SystemProperty: true as Matches<SystemPropertyArgs, typeof SystemPropertyInputs>,
    UserLockout: true as Matches<UserLockoutArgs, typeof UserLockoutInputs>,
} satisfies Record<string, true>;

// The check can fail: another resource's schema does not match (tsc reports an unused directive if it ever did).
// @ts-expect-error UserLockoutArgs are not ScheduledJobState's inputs
const mismatch: true = true as Matches<UserLockoutArgs, typeof ScheduledJobStateInputs>;

describe("the SDK's Args", () => {
    it("match their provider schemas (a compile-time check; this only lists what was checked)", () => {
        // One check per registered provider: a new resource without its Args check fails here.
        assert.equal(Object.keys(checks).length, Object.keys(PROVIDERS).length);
        assert.equal(mismatch, true);
    });
});
