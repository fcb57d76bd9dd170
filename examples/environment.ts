/**
 * Example: a whole QA environment written in TypeScript, one resource per checklist item — the same environment the
 * config-driven program builds from stacks/Pulumi.qa.yaml, spelled out for teams that prefer code to config.
 *
 * Run it as a Pulumi program (a Pulumi.yaml with `main` pointing at the compiled dist/examples/environment.js) with
 * the target connection set: `servicenow:instanceUrl`, `servicenow:username`, `servicenow:password` (secret),
 * `servicenow:instanceName` (the fence: the live instance_name must equal it) and `servicenow:productionInstances`.
 * `pulumi up` converges QA; `pulumi preview --refresh --diff` shows drift; `pulumi destroy` puts back what it changed.
 */
import * as pulumi from "@pulumi/pulumi";
import {
    EmailPolicy,
    InstanceBranding,
    IntegrationEndpoints,
    LdapServerState,
    MidServerState,
    ScheduledJobState,
    SystemProperty,
    servicenowProvider,
    UserLockout,
} from "pulumi-servicenow-clone";

// The explicit provider keeps connection settings and credentials out of state (docs/state.md).
const provider = servicenowProvider();

const config = new pulumi.Config("qa");
/** Test mailbox that receives all of QA's outbound mail. */
const mailbox = config.get("mailbox") ?? "qa-inbox@acme-test.com";

// Say loudly that this is not production: banner, colour and a welcome notice.
new InstanceBranding(
    "branding",
    {
        bannerText: "ACME QA (non-production)",
        baseColor: "#6a1b9a",
        welcomeText: "<p>This is <b>QA</b>, a copy of production. Email goes to the QA mailbox.</p>",
    },
    { provider },
);

// Testers need notifications, but only the QA mailbox may receive them.
new EmailPolicy("email", { sending: true, receiving: false, redirectTo: [mailbox] }, { provider });

// Administrators, the UAT participants and the MID server users sign in; everyone else is locked out.
const access = new UserLockout(
    "access",
    {
        allowRoles: ["admin", "mid_server"],
        allowGroups: ["UAT Participants"],
    },
    { provider },
);

// Never import from, or write to, the production directory.
new LdapServerState("ldap", { active: false }, { provider });

// Production's jobs stop, except the SLA timers the testers check.
const jobs = new ScheduledJobState("jobs", { allowQuery: "nameSTARTSWITHSLA" }, { provider });

// MID server users present and unlocked; production's queued probes cleared.
const mid = new MidServerState("mid-servers", { clearEccQueue: true }, { provider });

// No outbound integration may still call production.
const integrations = new IntegrationEndpoints(
    "integrations",
    {
        productionHosts: ["api.payments.acme-corp.com", "dw.acme-corp.com"],
        rules: [
            { from: "api.payments.acme-corp.com", to: "api.payments.sandbox.acme-corp.com" },
            { from: "dw.acme-corp.com", to: "dw-qa.acme-corp.com" },
        ],
    },
    { provider },
);

// Anything else QA needs: longer sessions for long test scripts.
new SystemProperty(
    "session-timeout",
    { name: "glide.ui.session_timeout", value: "240", type: "integer" },
    { provider },
);

/** Users this stack locked out. */
export const lockedUsers = access.lockedCount;
/** Scheduled jobs this stack switched off. */
export const deactivatedJobs = jobs.deactivatedCount;
/** MID servers reported Down (credentials to check after the clone). */
export const downMidServers = mid.downMidServers;
/** Outbound endpoints rewritten to sandboxes. */
export const rewrittenEndpoints = integrations.rewrittenCount;
