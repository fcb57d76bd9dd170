/**
 * Example: the clone's own configuration on production, as code — a preserver for the QA integration endpoints, an
 * exclusion for a PII application's tables, a cleanup script, and a profile that uses them with the platform's
 * protected preservers. This stack writes only the source's clone tables (the production fence allows nothing else).
 *
 * Run with `servicenow:sourceInstanceUrl`, `servicenow:sourceUsername`, `servicenow:sourcePassword` (secret) and
 * `servicenow:sourceInstanceName` (production's instance_name) set. A typo in the cleanup script fails `pulumi preview`
 * naming the line; nothing is written.
 */
import {
    CloneCleanupScript,
    CloneExclusion,
    ClonePreserver,
    CloneProfile,
    servicenowProvider,
} from "pulumi-servicenow-clone";

// The explicit provider keeps connection settings and credentials out of state (docs/state.md).
const provider = servicenowProvider();

const endpoints = new ClonePreserver(
    "qa-endpoints",
    {
        name: "Keep QA REST endpoints",
        table: "sys_rest_message",
        condition: "nameSTARTSWITHQA",
    },
    { provider },
);

const pii = new CloneExclusion(
    "pii",
    { name: "x_acme_pii_record.*", description: "Customer PII stays in production" },
    { provider },
);

const banner = new CloneCleanupScript(
    "banner",
    {
        name: "Label the instance as a copy",
        order: 50,
        script: [
            'var name = gs.getProperty("instance_name");',
            'gs.setProperty("glide.product.description", "COPY OF PRODUCTION - " + name);',
        ].join("\n"),
    },
    { provider },
);

const profile = new CloneProfile(
    "qa-refresh",
    {
        name: "QA refresh",
        description: "Managed by Pulumi (clone-configuration stack)",
        exclusions: [pii.name, "sys_email"],
        // The platform's protected preservers are listed by name; they are used, never modified.
        preservers: ["Core Instance Properties", "Email Accounts", "Semaphores", endpoints.name],
        // Run order is list order: the platform's "Disable emails" first, then ours.
        cleanupScripts: ["Disable emails", banner.name],
    },
    { provider },
);

/** Give this to the environment stacks' CloneRun as `profile`. */
export const profileId = profile.sysId;
