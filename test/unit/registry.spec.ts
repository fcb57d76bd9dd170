/**
 * The provider registry: every entry loads through the shim (the path Pulumi's serialized providers take), and a
 * misspelled key does not compile.
 */
import * as assert from "node:assert/strict";
import type * as pulumi from "@pulumi/pulumi";
import { resetConnections } from "../../provider/connection";
import { shimProvider } from "../../provider/pulumi/shim";
import { PROVIDERS, type ProviderKey } from "../../provider/registry";

const config = { get: () => undefined, require: () => "" } as unknown as pulumi.dynamic.Config;

describe("the provider registry", () => {
    after(() => resetConnections());

    for (const key of Object.keys(PROVIDERS) as ProviderKey[]) {
        it(`loads ${key} through the shim from the package's compiled output`, async () => {
            // configure() makes the shim require dist/provider/resources/<key> and find PROVIDERS[key] in it.
            await shimProvider(key).configure!({ config } as pulumi.dynamic.ConfigureRequest);
            const mod = require(`pulumi-servicenow-clone/dist/provider/resources/${key}`);
            const provider = mod[PROVIDERS[key]] as pulumi.dynamic.ResourceProvider;
            assert.equal(typeof provider.create, "function", `${key}: ${PROVIDERS[key]} is a provider`);
            assert.equal(typeof provider.check, "function", `${key}: ${PROVIDERS[key]} checks its inputs`);
        });
    }

    it("refuses a misspelled key at compile time", () => {
        // @ts-expect-error "user-lockot" is not a provider key; tsc -b checks this file, so the line must stay an error.
        assert.throws(() => PROVIDERS["user-lockot"].toString());
    });
});
