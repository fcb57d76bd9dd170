/**
 * Entry point of the root Pulumi.yaml: the environment described by the selected stack's config
 * (stacks/Pulumi.<env>.yaml). Compiled to dist/sdk/environment/program.js.
 */
import { environmentProgram } from "./index";

// Pulumi reads a CommonJS program's exports as the stack outputs.
module.exports = environmentProgram();
