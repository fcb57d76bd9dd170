/**
 * The SDK face of LdapServerState: typed arguments and outputs over the shimmed `ldap-server-state` provider.
 */
import * as pulumi from "@pulumi/pulumi";
import { shimProvider } from "../provider/pulumi/shim";

/** Arguments of an {@link LdapServerState}. */
export interface LdapServerStateArgs {
    /** The named connection to write through. @default "target" */
    connection?: pulumi.Input<"target" | "source">;
    /** LDAP server names (ldap_server_config.name) covered. @default every LDAP server */
    servers?: pulumi.Input<pulumi.Input<string>[]>;
    /** The state the servers must be in. @default false */
    active?: pulumi.Input<boolean>;
    /** Also set inactive the scheduled data loads of those servers. @default true */
    includeScheduledLoads?: pulumi.Input<boolean>;
    /**
     * The completion of the clone this policy follows (usually `cloneRun.epoch`): when it changes, the next `up`
     * re-asserts the policy even if nothing else changed. @default none
     */
    cloneEpoch?: pulumi.Input<string>;
}

/**
 * Switches LDAP server configurations off (and their listeners and scheduled data loads), so a cloned instance does
 * not import from or write to the production directory. Destroy puts back exactly the values it changed.
 *
 * @example
 * new LdapServerState("qa-ldap", {});
 */
export class LdapServerState extends pulumi.dynamic.Resource {
    /** Names of the LDAP servers covered. */
    declare readonly serverNames: pulumi.Output<string[]>;
    /** Covered servers not in the desired state (empty when converged). */
    declare readonly driftedServers: pulumi.Output<string[]>;
    /** Scheduled loads of covered servers still active (empty when converged). */
    declare readonly activeLoads: pulumi.Output<string[]>;

    constructor(name: string, args: LdapServerStateArgs = {}, opts?: pulumi.CustomResourceOptions) {
        super(
            shimProvider("ldap-server-state"),
            name,
            { serverNames: undefined, driftedServers: undefined, activeLoads: undefined, ...args },
            opts,
            "servicenow",
            "LdapServerState",
        );
    }
}
