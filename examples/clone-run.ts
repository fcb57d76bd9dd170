/**
 * Example: a QA environment stack — clone production into QA with the QA profile, then put QA's post-clone policy
 * back, every resource keyed on the clone epoch. When QA is cloned again (by this stack or by hand in the Clone Admin
 * Console), `pulumi preview --refresh --diff` shows `reclonedSinceApply: "instance acme-qa was cloned again at …"` and
 * the epoch's change, and `pulumi up` re-asserts every policy without requesting another clone.
 *
 * Run with the target connection (`servicenow:instanceUrl`, `servicenow:username`, `servicenow:password` secret,
 * `servicenow:instanceName` = acme-qa), the source connection (`servicenow:sourceInstanceUrl`, `sourceUsername`,
 * `sourcePassword` secret, `sourceInstanceName`), `servicenow:productionInstances` and `qa:profile` (the
 * clone-configuration stack's `profileId`). With `qa:attach=true` the stack never requests a clone: it follows the
 * latest one into QA and needs only the target connection.
 */
import * as pulumi from "@pulumi/pulumi";
import { CloneRun, EmailPolicy, ScheduledJobState, servicenowProvider, UserLockout } from "pulumi-servicenow-clone";

// The explicit provider keeps connection settings and credentials out of state (docs/state.md).
const provider = servicenowProvider();

const config = new pulumi.Config("qa");

const clone = config.getBoolean("attach")
    ? new CloneRun("qa-clone", { mode: "attach" }, { provider })
    : new CloneRun(
          "qa-clone",
          {
              profile: config.require("profile"),
              excludeAttachments: true,
              preserveInProgressUpdateSetsDays: 14,
              timeoutMinutes: 600,
              rollbackOnDestroy: false,
          },
          { provider },
      );

const cloneEpoch = clone.epoch;
new EmailPolicy(
    "qa-email",
    { sending: true, receiving: false, redirectTo: ["qa-inbox@example.com"], cloneEpoch },
    { provider },
);
new UserLockout("qa-access", { allowRoles: ["admin"], allowGroups: ["QA Testers"], cloneEpoch }, { provider });
new ScheduledJobState("qa-jobs", { allowNames: ["Clean up expired sessions"], cloneEpoch }, { provider });

/** The clone this stack follows and when it completed. */
export const cloneId = clone.cloneId;
export const completedAt = clone.completedAt;
export const durationSeconds = clone.durationSeconds;
/** Non-empty after a refresh that found a newer clone: the next up re-asserts the policy. */
export const reclonedSinceApply = clone.reclonedSinceApply;
