/**
 * Example: switch off every LDAP server (and its listener and scheduled user loads) copied from production, so the
 * clone neither imports from nor authenticates against the production directory.
 */
import { LdapServerState } from "pulumi-servicenow-clone";

const ldap = new LdapServerState("qa-ldap", {});

/** LDAP servers covered; `pulumi destroy` puts each back as it was. */
export const ldapServers = ldap.serverNames;
