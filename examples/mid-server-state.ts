/**
 * Example: after a clone, make sure the MID servers' users exist with the MID role, drop the production work queued
 * for them, and report the MID servers that are Down.
 */
import { MidServerState, servicenowProvider } from "pulumi-servicenow-clone";

// The explicit provider keeps connection settings and credentials out of state (docs/state.md).
const provider = servicenowProvider();

const mid = new MidServerState("qa-mid", { resolveCloneIssues: true }, { provider });

/** MID servers to look at (Down after the clone usually means a credential mismatch). */
export const downMidServers = mid.downMidServers;
/** Users that had to be created: set their password to the one in the MID's config.xml. */
export const createdMidUsers = mid.createdUsers;
