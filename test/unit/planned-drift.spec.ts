import * as assert from "node:assert/strict";
import type { EngineEvent, StepEventMetadata } from "@pulumi/pulumi/automation";
import { consumingProjectDir } from "../../sdk/automation/backend";
import { driftFromEvents } from "../../sdk/automation/drift";
import { engineFailureText } from "../../sdk/automation/environment";

const PREFIX = "urn:pulumi:dev::servicenow-environment::";
const EMAIL = "pulumi-nodejs:dynamic/servicenow:EmailPolicy";
const LOCKOUT = "pulumi-nodejs:dynamic/servicenow:UserLockout";

type Bag = Record<string, unknown>;

function state(type: string, inputs: Bag, outputs: Bag) {
    return {
        type,
        urn: "",
        custom: true,
        delete: false,
        id: "x",
        parent: "",
        protect: false,
        inputs,
        outputs,
    } as never;
}

function step(type: string, name: string, op: string, old: [Bag, Bag] | undefined, next: [Bag, Bag] | undefined) {
    return {
        op: op as StepEventMetadata["op"],
        urn: `${PREFIX}${type}::${name}`,
        type,
        provider: "",
        ...(old ? { old: state(type, ...old) } : {}),
        ...(next ? { new: state(type, ...next) } : {}),
    } satisfies StepEventMetadata;
}

/** A `preview --refresh` as the engine streams it: the refresh step (pre, outputs), then the planned step. */
function previewOf(refreshStep: StepEventMetadata, planStep: StepEventMetadata): EngineEvent[] {
    return [
        { sequence: 1, timestamp: 0, resourcePreEvent: { metadata: { ...refreshStep, op: "refresh" } } },
        { sequence: 2, timestamp: 0, resOutputsEvent: { metadata: refreshStep } },
        { sequence: 3, timestamp: 0, resourcePreEvent: { metadata: planStep } },
        { sequence: 4, timestamp: 0, resOutputsEvent: { metadata: planStep } },
    ];
}

describe("drift judged on the planned steps of a preview with refresh", () => {
    it("reports a hand edit that a pulumi refresh already absorbed into state, naming the property", () => {
        // State already holds the live value (receiving: true), so the refresh itself finds nothing new.
        const live: [Bag, Bag] = [
            { receiving: true, sending: false },
            { receiving: true, sending: false },
        ];
        const events = previewOf(
            step(EMAIL, "email", "same", live, live),
            step(EMAIL, "email", "update", live, [{ receiving: false, sending: false }, {}]),
        );
        const { checked, resources } = driftFromEvents(events);
        assert.equal(checked, 1);
        assert.deepEqual(resources, [
            {
                urn: `${PREFIX}${EMAIL}::email`,
                type: "EmailPolicy",
                name: "email",
                change: "changed",
                properties: [{ path: "receiving", expected: false, actual: true }],
            },
        ]);
    });

    it("names a bulk resource's drift field when its inputs match but records moved", () => {
        const inputs = { scope: "active=true", allowRoles: ["admin"] };
        const live: [Bag, Bag] = [inputs, { ...inputs, lockedCount: 280, unlockedCount: 3, allowedCount: 8 }];
        const events = previewOf(
            step(LOCKOUT, "access", "same", live, live),
            step(LOCKOUT, "access", "update", live, [inputs, {}]),
        );
        const [access] = driftFromEvents(events).resources;
        assert.deepEqual(access?.properties, [{ path: "unlockedCount", expected: 0, actual: 3 }]);
    });

    it("does not report a resource the plan leaves alone, whatever its refresh saw", () => {
        const events = previewOf(
            step(EMAIL, "email", "update", [{}, { sending: false }], [{}, { sending: true }]),
            step(EMAIL, "email", "same", [{}, { sending: true }], [{}, { sending: true }]),
        );
        assert.deepEqual(driftFromEvents(events).resources, []);
    });

    it("reports a resource gone from the instance, and one the stack no longer declares", () => {
        const gone = previewOf(
            step(EMAIL, "email", "refresh", [{}, { sending: false }], undefined),
            step(EMAIL, "email", "create", undefined, [{ sending: false }, {}]),
        );
        assert.equal(driftFromEvents(gone).resources[0]?.change, "deleted");
        const dropped = previewOf(
            step(LOCKOUT, "access", "same", [{}, {}], [{}, {}]),
            step(LOCKOUT, "access", "delete", [{}, {}], undefined),
        );
        assert.equal(driftFromEvents(dropped).resources[0]?.change, "undeclared");
    });

    it("uses the engine's detailed diff when there is one, with the declared and live values", () => {
        const live: [Bag, Bag] = [{ rules: [{ from: "a", to: "b" }] }, { rules: [{ from: "a", to: "b" }] }];
        const plan = {
            ...step(EMAIL, "email", "update", live, [{ rules: [{ from: "a", to: "c" }] }, {}]),
            detailedDiff: { "rules[0].to": { diffKind: "update", inputDiff: true } },
        } as StepEventMetadata;
        const [email] = driftFromEvents(previewOf(step(EMAIL, "email", "same", live, live), plan)).resources;
        assert.deepEqual(email?.properties, [{ path: "rules[0].to", expected: "c", actual: "b" }]);
    });
});

describe("where state lives by default", () => {
    it("is the project that installed the package, never a directory inside node_modules", () => {
        assert.equal(consumingProjectDir("/work/app/node_modules/pulumi-servicenow-clone"), "/work/app");
        assert.equal(consumingProjectDir("/work/app/node_modules/a/node_modules/pulumi-servicenow-clone"), "/work/app");
        assert.equal(consumingProjectDir("/src/pulumi-servicenow-clone"), "/src/pulumi-servicenow-clone");
    });
});

describe("an engine failure without diagnostics", () => {
    it("shows what the engine said, never its command line", () => {
        const err = Object.assign(
            new Error("code: 7\n stdout: \n stderr: Command failed with exit code 7: /x/bin/pulumi up --yes"),
            {
                commandResult: {
                    code: 7,
                    stdout: "",
                    stderr: "Command failed with exit code 7: /x/bin/pulumi up --yes --non-interactive\nerror: passphrase must be set\n",
                },
            },
        );
        const text = engineFailureText(err);
        assert.equal(text, "error: passphrase must be set");
        assert.match(engineFailureText({ commandResult: { code: 7, stderr: "" } }), /exit code 7.*--verbose/);
    });
});
