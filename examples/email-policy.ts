/**
 * Example: email on a QA instance after a clone — sending on but every message redirected to the QA team's mailbox,
 * receiving off, and the SMTP account pointed at a sandbox relay whose password comes from secret stack config.
 *
 * Run with `servicenow:instanceUrl`, `servicenow:username`, `servicenow:password` (secret) and
 * `servicenow:instanceName` set; `pulumi config set --secret qa:smtpPassword ...` for the relay.
 */
import * as pulumi from "@pulumi/pulumi";
import { EmailPolicy, servicenowProvider } from "pulumi-servicenow-clone";

// The explicit provider keeps connection settings and credentials out of state (docs/state.md).
const provider = servicenowProvider();

const config = new pulumi.Config("qa");

const email = new EmailPolicy(
    "qa-email",
    {
        sending: true,
        receiving: false,
        redirectTo: ["qa-inbox@example.com"],
        smtpAccount: { server: "smtp.sandbox.example.com", port: 2525 },
        smtpPassword: config.requireSecret("smtpPassword"),
    },
    { provider },
);

/** What the instance had before (restored by `pulumi destroy`). */
export const previousEmailSettings = email.previous;
