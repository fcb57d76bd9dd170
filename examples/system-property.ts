/**
 * Example: any system property, adopted by name. Longer sessions on a training instance; destroy puts production's
 * value back.
 */
import { SystemProperty, servicenowProvider } from "pulumi-servicenow-clone";

// The explicit provider keeps connection settings and credentials out of state (docs/state.md).
const provider = servicenowProvider();

const timeout = new SystemProperty(
    "training-session-timeout",
    {
        name: "glide.ui.session_timeout",
        value: "480",
        type: "integer",
    },
    { provider },
);

/** The value before this stack set it. */
export const previousTimeout = timeout.previousValue;
