import * as assert from "node:assert/strict";
import { restoreRecordChanges } from "../../provider/adopt";
import {
    applyInstanceBranding,
    type InstanceBrandingInputs,
    planWelcome,
} from "../../provider/resources/instance-branding";
import { FakeClient } from "../fixtures/checklist/fake-client";

const inputs: InstanceBrandingInputs = {
    connection: "target",
    welcomeText: "<p>QA</p>",
    welcomeTitle: "Environment notice",
    exclusiveWelcome: true,
    welcomePageTable: "welcome_page_content",
};

describe("InstanceBranding planning", () => {
    it("adopts the welcome record with the same title and switches the other active ones off", () => {
        const rows = [
            { sys_id: "1", short_description: "Welcome to ACME", active: "true", text: "prod" },
            { sys_id: "2", short_description: "Environment notice", active: "false", text: "old" },
            { sys_id: "3", short_description: "Archived", active: "false", text: "x" },
        ];
        const plan = planWelcome("welcome_page_content", rows, inputs);
        assert.equal(plan.ours?.sys_id, "2");
        assert.deepEqual(
            plan.targets.map((t) => [t.sysId, t.desired]),
            [
                ["2", { active: "true", text: "<p>QA</p>" }],
                ["1", { active: "false" }],
            ],
        );
    });

    it("leaves other welcome records alone when exclusiveWelcome is false", () => {
        const rows = [{ sys_id: "1", short_description: "Welcome to ACME", active: "true", text: "prod" }];
        assert.deepEqual(planWelcome("w", rows, { ...inputs, exclusiveWelcome: false }).targets, []);
    });

    it("creates its notice in the configured table when none has its title, and deletes it on restore", async () => {
        const c = new FakeClient();
        c.seed("intranet_welcome", [
            { short_description: "Welcome to ACME", active: "true", text: "prod", order: "100" },
        ]);
        const outs = await applyInstanceBranding(c, { ...inputs, welcomePageTable: "intranet_welcome" });
        assert.equal(c.rows("intranet_welcome").length, 2);
        assert.equal(outs.welcomePrevious.find((m) => m.created)?.sysId, outs.welcomeSysId);
        await restoreRecordChanges(c, outs.welcomePrevious);
        assert.deepEqual(
            c.rows("intranet_welcome").map((r) => [r.short_description, r.active]),
            [["Welcome to ACME", "true"]],
        );
    });
});
