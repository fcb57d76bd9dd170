/**
 * Example: label a cloned instance so nobody mistakes it for production — header text, a purple theme and a welcome
 * notice that replaces production's.
 */
import { InstanceBranding, servicenowProvider } from "pulumi-servicenow-clone";

// The explicit provider keeps connection settings and credentials out of state (docs/state.md).
const provider = servicenowProvider();

const branding = new InstanceBranding(
    "qa-branding",
    {
        bannerText: "ACME QA (non-production)",
        baseColor: "#8a2be2",
        welcomeText:
            "<p><strong>This is QA.</strong> Data is copied from production every month; changes here are lost.</p>",
        // On a real instance, check the table behind System UI > Welcome Page Content in sys_db_object first.
        welcomePageTable: "welcome_page_content",
    },
    { provider },
);

/** The welcome content record managed. */
export const welcomeRecord = branding.welcomeSysId;
