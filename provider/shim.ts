/**
 * Kept at this path for stacks created before the move to `provider/pulumi/`: their serialized shim requires
 * `pulumi-servicenow-clone/dist/provider/shim` for the clone-epoch helpers.
 */
export * from "./pulumi/shim";
