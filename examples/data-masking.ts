/**
 * Example: mask a QA instance's personal data after each clone — names, emails and phones of people, and the free text
 * of tickets — keeping the UAT lead as is. A second `pulumi up` writes nothing; `pulumi preview --refresh --diff`
 * shows a value someone restored by hand as `unmaskedCount`; `pulumi destroy` writes nothing (originals are never
 * kept). A second resource checks the platform's Data Privacy clone jobs instead, for customers who run them.
 *
 * Run with the connection keys (`servicenow:instanceUrl`, `username`, `password`, `instanceName`,
 * `productionInstances`) and `pulumi config set --secret servicenow:maskingSalt <at least 16 random characters>`.
 */
import { CloneRun, DataMasking, servicenowProvider } from "pulumi-servicenow-clone";

// The explicit provider keeps connection settings and credentials out of state (docs/state.md).
const provider = servicenowProvider();

const clone = new CloneRun("qa-clone", { mode: "attach" }, { provider });

const masking = new DataMasking(
    "qa-masking",
    {
        cloneEpoch: clone.epoch,
        exceptUsers: ["uat.lead"],
        rules: [
            {
                table: "sys_user",
                query: "web_service_access_only=false",
                fields: {
                    first_name: { technique: "fake", fake: "first_name" },
                    last_name: { technique: "fake", fake: "last_name" },
                    name: { technique: "fake", fake: "name" },
                    email: { technique: "fake", fake: "email" },
                    phone: { technique: "selective", end: -4, exclude: " +" },
                    mobile_phone: { technique: "remove" },
                },
            },
            { table: "incident", fields: { description: { technique: "fake", fake: "text" } } },
        ],
    },
    { provider },
);

const dataPrivacy = new DataMasking(
    "qa-data-privacy-check",
    { mode: "verifyDataPrivacy", cloneEpoch: clone.epoch },
    { provider },
);

/** Records masked. */
export const maskedRecords = masking.maskedCount;
/** Records in scope not masked right now (drift; 0 after up). */
export const unmaskedRecords = masking.unmaskedCount;
/** Data Privacy jobs missing, failed or unfinished since the clone. */
export const dataPrivacyProblems = dataPrivacy.dataPrivacyProblems;
