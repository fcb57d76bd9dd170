/**
 * The typed registry of the package's dynamic providers: the one place that maps a provider key (the file name under
 * `dist/provider/resources/`) to its exported `ResourceProvider`. SDK classes name their provider by key, so a
 * misspelled key fails `tsc`, and the mapping stays stable for the serialized shims of existing stacks.
 */
import type * as changeClosure from "./resources/change-closure";
import type * as cloneCleanupScript from "./resources/clone-cleanup-script";
import type * as cloneExclusion from "./resources/clone-exclusion";
import type * as clonePreserver from "./resources/clone-preserver";
import type * as cloneProfile from "./resources/clone-profile";
import type * as cloneRun from "./resources/clone-run";
import type * as dataMasking from "./resources/data-masking";
import type * as emailPolicy from "./resources/email-policy";
import type * as inFlightWork from "./resources/in-flight-work";
import type * as instanceBranding from "./resources/instance-branding";
import type * as integrationEndpoints from "./resources/integration-endpoints";
import type * as ldapServerState from "./resources/ldap-server-state";
import type * as midServerState from "./resources/mid-server-state";
import type * as pluginState from "./resources/plugin-state";
import type * as postCloneChecks from "./resources/post-clone-checks";
import type * as scheduledJobState from "./resources/scheduled-job-state";
import type * as systemProperty from "./resources/system-property";
import type * as userLockout from "./resources/user-lockout";

/** Each provider key's module, as types only (nothing is loaded until the shim runs). */
interface ProviderModules {
    "change-closure": typeof changeClosure;
    "clone-cleanup-script": typeof cloneCleanupScript;
    "clone-exclusion": typeof cloneExclusion;
    "clone-preserver": typeof clonePreserver;
    "clone-profile": typeof cloneProfile;
    "clone-run": typeof cloneRun;
    "data-masking": typeof dataMasking;
    "email-policy": typeof emailPolicy;
    "in-flight-work": typeof inFlightWork;
    "instance-branding": typeof instanceBranding;
    "integration-endpoints": typeof integrationEndpoints;
    "ldap-server-state": typeof ldapServerState;
    "mid-server-state": typeof midServerState;
    "plugin-state": typeof pluginState;
    "post-clone-checks": typeof postCloneChecks;
    "scheduled-job-state": typeof scheduledJobState;
    "system-property": typeof systemProperty;
    "user-lockout": typeof userLockout;
}

/** A provider key: the file name of a resource module under `provider/resources/`. */
export type ProviderKey = keyof ProviderModules;

/** The export of each module that holds its provider; checked against the module's exports at compile time. */
export const PROVIDERS: { readonly [K in ProviderKey]: keyof ProviderModules[K] & `${string}Provider` } = {
    "change-closure": "changeClosureProvider",
    "clone-cleanup-script": "cloneCleanupScriptProvider",
    "clone-exclusion": "cloneExclusionProvider",
    "clone-preserver": "clonePreserverProvider",
    "clone-profile": "cloneProfileProvider",
    "clone-run": "cloneRunProvider",
    "data-masking": "dataMaskingProvider",
    "email-policy": "emailPolicyProvider",
    "in-flight-work": "inFlightWorkProvider",
    "instance-branding": "instanceBrandingProvider",
    "integration-endpoints": "integrationEndpointsProvider",
    "ldap-server-state": "ldapServerStateProvider",
    "mid-server-state": "midServerStateProvider",
    "plugin-state": "pluginStateProvider",
    "post-clone-checks": "postCloneChecksProvider",
    "scheduled-job-state": "scheduledJobStateProvider",
    "system-property": "systemPropertyProvider",
    "user-lockout": "userLockoutProvider",
};
