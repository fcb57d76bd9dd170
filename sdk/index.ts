/**
 * pulumi-servicenow-clone: the post-clone checklist of a non-production ServiceNow instance as Pulumi resources.
 *
 * Resource classes converge one checklist item each; `defineEnvironment` builds a whole environment from stack
 * config; the Automation API front end (`applyEnvironment`, `detectDrift`, …) serves release tooling.
 */

export * from "./automation";
export * from "./change-closure";
export * from "./clone-cleanup-script";
export * from "./clone-exclusion";
export * from "./clone-preserver";
export * from "./clone-profile";
export * from "./clone-run";
export * from "./data-masking";
export * from "./email-policy";
export * from "./environment";
export * from "./in-flight-work";
export * from "./instance-branding";
export * from "./integration-endpoints";
export * from "./ldap-server-state";
export * from "./mid-server-state";
export * from "./plugin-state";
export * from "./post-clone-checks";
export * from "./scheduled-job-state";
export * from "./servicenow-provider";
export * from "./system-property";
export * from "./toolchain";
export * from "./user-lockout";
