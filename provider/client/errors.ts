/**
 * The client's errors: re-exported from the provider's one error tree (`provider/errors.ts`), so callers that import
 * them from the client keep working.
 */
export * from "../errors";
