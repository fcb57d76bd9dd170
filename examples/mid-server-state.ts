/**
 * Example: after a clone, make sure the MID servers' users exist with the MID role, drop the production work queued
 * for them, and report the MID servers that are Down.
 */
import { MidServerState } from "pulumi-servicenow-clone";

const mid = new MidServerState("qa-mid", { resolveCloneIssues: true });

/** MID servers to look at (Down after the clone usually means a credential mismatch). */
export const downMidServers = mid.downMidServers;
/** Users that had to be created: set their password to the one in the MID's config.xml. */
export const createdMidUsers = mid.createdUsers;
