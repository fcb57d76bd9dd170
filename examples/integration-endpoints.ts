/**
 * Example: point outbound integrations at their sandboxes, and fail the update if any active endpoint would still
 * call a production host.
 */
import { IntegrationEndpoints } from "pulumi-servicenow-clone";

const endpoints = new IntegrationEndpoints("qa-endpoints", {
    rules: [
        // A bare host rewrites that host wherever it appears, keeping scheme, path and query.
        { from: "api.payments.acme-corp.com", to: "api.payments-sandbox.acme-corp.com" },
        // A URL prefix rewrites only endpoints starting with it.
        { from: "https://dw.acme-corp.com/api", to: "https://dw-test.acme-corp.com/api" },
    ],
    productionHosts: ["api.payments.acme-corp.com", "dw.acme-corp.com"],
});

/** Endpoints rewritten (destroy restores them). */
export const rewritten = endpoints.rewrittenCount;
