import * as assert from "node:assert/strict";
import type { EngineEvent, StepEventMetadata } from "@pulumi/pulumi/automation";
import {
    type DriftReport,
    diffProperties,
    driftFromEvents,
    formatDriftJson,
    formatDriftJunit,
    formatDriftText,
} from "../../sdk/automation/drift";

const PREFIX = "urn:pulumi:dev::servicenow-environment::";

function meta(type: string, name: string, op: string, oldOut: object, newOut: object): StepEventMetadata {
    return {
        op: op as StepEventMetadata["op"],
        urn: `${PREFIX}${type}::${name}`,
        type,
        provider: "",
        old: {
            type,
            urn: "",
            custom: true,
            delete: false,
            id: "x",
            parent: "",
            protect: false,
            inputs: {},
            outputs: oldOut as Record<string, unknown>,
            initErrors: [],
        } as never,
        new: {
            type,
            urn: "",
            custom: true,
            delete: false,
            id: "x",
            parent: "",
            protect: false,
            inputs: {},
            outputs: newOut as Record<string, unknown>,
            initErrors: [],
        } as never,
    };
}

/** A refresh step as the engine streams it: a pre event, then the outputs event carrying its verdict. */
function refresh(m: StepEventMetadata): EngineEvent[] {
    return [
        { sequence: 1, timestamp: 0, resourcePreEvent: { metadata: { ...m, op: "refresh" } } },
        { sequence: 2, timestamp: 0, resOutputsEvent: { metadata: m } },
    ];
}

const LOCKOUT = "pulumi-nodejs:dynamic/servicenow:UserLockout";
const EMAIL = "pulumi-nodejs:dynamic/servicenow:EmailPolicy";
const JOBS = "pulumi-nodejs:dynamic/servicenow:ScheduledJobState";

describe("drift computed from engine events", () => {
    it("names each drifted resource and property with the recorded and the live value", () => {
        const events = [
            ...refresh(
                meta(
                    EMAIL,
                    "email",
                    "update",
                    { sending: false, receiving: false },
                    { sending: true, receiving: false },
                ),
            ),
            ...refresh(
                meta(
                    LOCKOUT,
                    "access",
                    "update",
                    { unlockedCount: 0, lockedCount: 461 },
                    { unlockedCount: 1, lockedCount: 460 },
                ),
            ),
            ...refresh(meta(JOBS, "jobs", "same", { activeCount: 0 }, { activeCount: 0 })),
        ];
        const { checked, resources } = driftFromEvents(events);
        assert.equal(checked, 3);
        assert.deepEqual(
            resources.map((r) => [r.type, r.name, r.properties.map((p) => [p.path, p.expected, p.actual])]),
            [
                ["EmailPolicy", "email", [["sending", false, true]]],
                [
                    "UserLockout",
                    "access",
                    [
                        ["lockedCount", 461, 460],
                        ["unlockedCount", 0, 1],
                    ],
                ],
            ],
        );
    });

    it("ignores outputs that moved when the engine says the resource is unchanged", () => {
        // A MID server going Down is reported in outputs but is not drift unless the provider's diff says so.
        const events = refresh(
            meta(
                "pulumi-nodejs:dynamic/servicenow:MidServerState",
                "mid",
                "same",
                { downMidServers: [] },
                { downMidServers: ["mid-01"] },
            ),
        );
        assert.deepEqual(driftFromEvents(events).resources, []);
    });

    it("skips engine bookkeeping keys and the stack and provider resources", () => {
        const events = [
            ...refresh(
                meta(
                    EMAIL,
                    "email",
                    "update",
                    { __provider: "old code", sending: false },
                    { __provider: "new code", sending: true },
                ),
            ),
            ...refresh(meta("pulumi:pulumi:Stack", "servicenow-environment-dev", "update", { a: 1 }, { a: 2 })),
            ...refresh(meta("pulumi:providers:pulumi-nodejs", "default", "update", { a: 1 }, { a: 2 })),
        ];
        const { checked, resources } = driftFromEvents(events);
        assert.equal(checked, 1);
        assert.deepEqual(
            resources[0]?.properties.map((p) => p.path),
            ["sending"],
        );
    });

    it("reports a resource gone from the instance as deleted", () => {
        const m = meta(LOCKOUT, "access", "delete", { lockedCount: 1 }, {});
        const { resources } = driftFromEvents([{ sequence: 1, timestamp: 0, resOutputsEvent: { metadata: m } }]);
        assert.equal(resources[0]?.change, "deleted");
    });

    it("compares nested objects and arrays leaf by leaf, treating a number and its string form as equal", () => {
        const drift = diffProperties(
            { rules: [{ from: "a.com", to: "b.com" }], previous: { "glide.email.smtp.active": "true" }, count: 3 },
            { rules: [], previous: { "glide.email.smtp.active": "false" }, count: "3" },
        );
        assert.deepEqual(
            drift.map((d) => d.path),
            ['previous["glide.email.smtp.active"]', "rules[0]"],
        );
    });
});

describe("drift of work in flight", () => {
    const INFLIGHT = "pulumi-nodejs:dynamic/servicenow:InFlightWork";
    const PLUGINS = "pulumi-nodejs:dynamic/servicenow:PluginState";
    /** A planned update after a refresh, as `preview --refresh` streams it: live outputs, declared inputs. */
    const planned = (type: string, name: string, inputs: object, live: object): EngineEvent[] => {
        const m = meta(type, name, "update", live, live);
        return [
            ...refresh({ ...m, op: "same" }),
            {
                sequence: 3,
                timestamp: 0,
                resourcePreEvent: {
                    metadata: {
                        ...m,
                        old: { ...m.old!, inputs: inputs as Record<string, unknown> },
                        new: { ...m.new!, inputs: inputs as Record<string, unknown> },
                    },
                },
            },
        ];
    };
    const lost =
        'update set "ACME-101 Incident auto-assignment" is no longer committed on https://acme-dev (backed out)';

    it("names each carried set no longer committed and each required plugin found inactive", () => {
        const { resources } = driftFromEvents([
            ...planned(INFLIGHT, "in-flight", { updateSets: ["ACME-101"] }, { drift: [lost] }),
            ...planned(PLUGINS, "plugins", { plugins: ["com.snc.procurement"] }, { inactive: ["com.snc.procurement"] }),
        ]);
        assert.deepEqual(
            resources.map((r) => [r.name, r.properties.map((p) => [p.path, p.expected, p.actual])]),
            [
                ["in-flight", [["drift", [], [lost]]]],
                ["plugins", [["inactive", [], ["com.snc.procurement"]]]],
            ],
        );
        const text = formatDriftText({
            environment: "dev",
            drifted: true,
            checked: 2,
            checkedAt: "2026-11-30T19:00:00.000Z",
            resources,
        });
        // Listed item by item and never shortened, so a long set name is still named in full.
        assert.ok(text.includes(`    drift: expected none, found 1:\n      - ${lost}\n`), text);
        assert.ok(text.includes("    inactive: expected none, found 1:\n      - com.snc.procurement\n"), text);
    });
});

describe("drift report formats", () => {
    const report: DriftReport = {
        environment: "qa",
        drifted: true,
        checked: 7,
        checkedAt: "2026-11-22T18:00:00.000Z",
        resources: [
            {
                urn: `${PREFIX}${EMAIL}::email`,
                type: "EmailPolicy",
                name: "email",
                change: "changed",
                properties: [{ path: "sending", expected: false, actual: true }],
            },
        ],
    };

    it("text names the resource, the property, and both values", () => {
        const text = formatDriftText(report);
        assert.match(text, /EmailPolicy "email": changed/);
        assert.match(text, /sending: expected false, found true/);
    });

    it("JSON parses back to the same report", () => {
        assert.deepEqual(JSON.parse(formatDriftJson(report)), report);
    });

    it("JUnit has one failing test case per drifted resource and one passing case for the rest", () => {
        const xml = formatDriftJunit(report);
        assert.match(xml, /<testsuites name="drift" tests="2" failures="1">/);
        assert.match(
            xml,
            /<testcase classname="qa.EmailPolicy" name="email">\s*<failure message="1 property\(ies\) drifted" type="drift">sending: expected false, found true<\/failure>/,
        );
        assert.match(xml, /name="6 resource\(s\) without drift"/);
    });

    it("JUnit escapes values that would break the XML", () => {
        const xml = formatDriftJunit({
            ...report,
            resources: [
                {
                    ...report.resources[0]!,
                    properties: [{ path: "bannerText", expected: "<b>QA</b> & co", actual: "x" }],
                },
            ],
        });
        assert.ok(xml.includes("&lt;b&gt;QA&lt;/b&gt; &amp; co"));
        assert.ok(!xml.includes("<b>QA</b>"));
    });

    it("text says so when nothing drifted", () => {
        assert.match(formatDriftText({ ...report, drifted: false, resources: [] }), /No drift: 7 resource\(s\) of qa/);
    });
});
