/**
 * Example: restrict a UAT instance after a clone — everyone locked out except administrators, the UAT participants
 * and the integration accounts; scheduled jobs off except the two UAT needs. `pulumi destroy` gives back exactly what
 * these two resources changed (users locked before stay locked; jobs inactive before stay inactive).
 *
 * Run with `servicenow:instanceUrl`, `servicenow:username`, `servicenow:password` (secret),
 * `servicenow:instanceName` (the UAT instance's instance_name) and `servicenow:productionInstances` set.
 * `pulumi preview --refresh --diff` shows drift as counts (`unlockedCount`, `activeCount`); `pulumi up --refresh`
 * repairs it.
 */
import { ScheduledJobState, servicenowProvider, UserLockout } from "pulumi-servicenow-clone";

// The explicit provider keeps connection settings and credentials out of state (docs/state.md).
const provider = servicenowProvider();

const access = new UserLockout(
    "uat-access",
    {
        scope: "active=true",
        allowRoles: ["admin"],
        allowGroups: ["UAT Participants"],
        allowQuery: "web_service_access_only=true",
    },
    { provider },
);

const jobs = new ScheduledJobState(
    "uat-jobs",
    {
        allowNames: ["Clean up expired sessions", "SLA timer refresh"],
    },
    { provider },
);

/** Users this stack locked out. */
export const lockedUsers = access.lockedCount;
/** Users the policy covers that are not locked out right now (drift; 0 after up). */
export const driftedUsers = access.unlockedCount;
/** Jobs this stack deactivated. */
export const deactivatedJobs = jobs.deactivatedCount;
