/**
 * Release tooling on the Automation API: apply, preview, drift, destroy and history of environment stacks.
 */
export * from "./clone";
export * from "./clone-history";
export * from "./drift";
export * from "./environment";
export * from "./progress";
export * from "./verify";
