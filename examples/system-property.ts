/**
 * Example: any system property, adopted by name. Longer sessions on a training instance; destroy puts production's
 * value back.
 */
import { SystemProperty } from "pulumi-servicenow-clone";

const timeout = new SystemProperty("training-session-timeout", {
    name: "glide.ui.session_timeout",
    value: "480",
    type: "integer",
});

/** The value before this stack set it. */
export const previousTimeout = timeout.previousValue;
