/**
 * The ServiceNow REST client: the only code that speaks HTTP to an instance.
 */
export * from "./auth";
export * from "./client";
export * from "./errors";
export * from "./query";
export * from "./retry";
