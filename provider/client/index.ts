/**
 * The ServiceNow REST client: the only code that speaks HTTP to an instance.
 */
export * from "./aggregate";
export * from "./auth";
export * from "./batch";
export * from "./client";
export * from "./errors";
export * from "./query";
export * from "./retry";
export * from "./table";
export * from "./transport";
