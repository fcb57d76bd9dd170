/**
 * Example: switch off every LDAP server (and its listener and scheduled user loads) copied from production, so the
 * clone neither imports from nor authenticates against the production directory.
 */
import { LdapServerState, servicenowProvider } from "pulumi-servicenow-clone";

// The explicit provider keeps connection settings and credentials out of state (docs/state.md).
const provider = servicenowProvider();

const ldap = new LdapServerState("qa-ldap", {}, { provider });

/** LDAP servers covered; `pulumi destroy` puts each back as it was. */
export const ldapServers = ldap.serverNames;
