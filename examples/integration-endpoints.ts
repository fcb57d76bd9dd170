/**
 * Example: point outbound integrations at their sandboxes, and fail the update if any active endpoint would still
 * call a production host.
 */
import { IntegrationEndpoints, servicenowProvider } from "pulumi-servicenow-clone";

// The explicit provider keeps connection settings and credentials out of state (docs/state.md).
const provider = servicenowProvider();

const endpoints = new IntegrationEndpoints(
    "qa-endpoints",
    {
        rules: [
            // A bare host rewrites that host wherever it appears, keeping scheme, path and query.
            { from: "api.payments.acme-corp.com", to: "api.payments-sandbox.acme-corp.com" },
            // A URL prefix rewrites only endpoints starting with it.
            { from: "https://dw.acme-corp.com/api", to: "https://dw-test.acme-corp.com/api" },
        ],
        productionHosts: ["api.payments.acme-corp.com", "dw.acme-corp.com"],
    },
    { provider },
);

/** Endpoints rewritten (destroy restores them). */
export const rewritten = endpoints.rewrittenCount;
