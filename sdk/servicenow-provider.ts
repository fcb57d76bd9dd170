/**
 * The explicit provider of this package's resources: with it, no connection setting or credential is kept in state.
 *
 * Pulumi's default provider for dynamic resources is handed the whole stack config as its inputs, and the engine keeps
 * a provider's inputs in state (secrets encrypted). This provider's only input is the stack's name; its resources read
 * the `servicenow:*` settings from the stack config when they run (see provider/stack-config.ts), so a rotated password
 * or a new URL takes effect on the next operation and state never holds them.
 */
import * as pulumi from "@pulumi/pulumi";
import { STACK_MARKER } from "../provider/stack-config";

/** A provider resource of the `pulumi-nodejs` package (the one that serves dynamic resources). */
class DynamicProvider extends pulumi.ProviderResource {
    constructor(name: string, stack: string) {
        super("pulumi-nodejs", name, { [STACK_MARKER]: stack });
    }
}

let shared: pulumi.ProviderResource | undefined;

/**
 * The program's one ServiceNow provider (created on first use). Pass it to every resource of this package:
 * `new UserLockout("access", args, { provider: servicenowProvider() })`; the environment program does.
 *
 * @param name logical name of the provider resource. @default "servicenow"
 */
export function servicenowProvider(name = "servicenow"): pulumi.ProviderResource {
    if (!shared) shared = new DynamicProvider(name, pulumi.getStack());
    return shared;
}
