/**
 * The SDK face of IntegrationEndpoints: typed arguments and outputs over the shimmed `integration-endpoints` provider.
 */
import * as pulumi from "@pulumi/pulumi";
import { shimProvider } from "../provider/pulumi/shim";

/** One rewrite rule: a host (`api.acme.com`) or a URL prefix (`https://api.acme.com/v2`) and its replacement. */
export interface EndpointRuleArgs {
    from: pulumi.Input<string>;
    to: pulumi.Input<string>;
}

/** Arguments of an {@link IntegrationEndpoints}. */
export interface IntegrationEndpointsArgs {
    /** The named connection to write through. @default "target" */
    connection?: pulumi.Input<"target" | "source">;
    /** Rewrite rules, first match wins. @default [] */
    rules?: pulumi.Input<pulumi.Input<EndpointRuleArgs>[]>;
    /**
     * Hosts no active endpoint may point at after the rules. The source connection's host and the stack's
     * `servicenow:productionInstances` are always added. @default []
     */
    productionHosts?: pulumi.Input<pulumi.Input<string>[]>;
    /**
     * The completion of the clone this policy follows (usually `cloneRun.epoch`): when it changes, the next `up`
     * re-asserts the policy even if nothing else changed. @default none
     */
    cloneEpoch?: pulumi.Input<string>;
}

/**
 * Rewrites outbound REST and SOAP endpoints (sys_rest_message, sys_rest_message_fn, sys_soap_message_function) by
 * rules, with a tripwire: the apply fails, naming each record and writing nothing, if any active endpoint would still
 * point at a production host. Destroy restores the previous endpoints.
 *
 * @example
 * new IntegrationEndpoints("qa-endpoints", {
 *     rules: [{ from: "api.payroll.acme.com", to: "api.payroll-sandbox.acme.com" }],
 *     productionHosts: ["api.payroll.acme.com"],
 * });
 */
export class IntegrationEndpoints extends pulumi.dynamic.Resource {
    /** Hosts the tripwire refuses. */
    declare readonly tripwireHosts: pulumi.Output<string[]>;
    /** Active endpoints on a production host (empty when converged). */
    declare readonly productionEndpoints: pulumi.Output<string[]>;
    /** Endpoints rewritten by the rules. */
    declare readonly rewrittenCount: pulumi.Output<number>;

    constructor(name: string, args: IntegrationEndpointsArgs = {}, opts?: pulumi.CustomResourceOptions) {
        super(
            shimProvider("integration-endpoints"),
            name,
            { tripwireHosts: undefined, productionEndpoints: undefined, rewrittenCount: undefined, ...args },
            opts,
            "servicenow",
            "IntegrationEndpoints",
        );
    }
}
