import * as assert from "node:assert/strict";
import { expectedUsers, midServerStateProvider } from "../../provider/resources/mid-server-state";

describe("MidServerState planning", () => {
    const agents = [
        { name: "mid-01", user_name: "mid.user" },
        { name: "mid-02", user_name: "mid.user" },
        { name: "mid-03", user_name: "" },
    ];

    it("expects the users the MID servers log in as, once each, when users is not given", () => {
        assert.deepEqual(
            expectedUsers(agents, {
                connection: "target",
                role: "mid_server",
                clearEccQueue: true,
                resolveCloneIssues: false,
            }),
            ["mid.user"],
        );
    });

    it("expects exactly the given users when users is given", () => {
        assert.deepEqual(
            expectedUsers(agents, {
                connection: "target",
                users: ["svc.mid"],
                role: "mid_server",
                clearEccQueue: true,
                resolveCloneIssues: false,
            }),
            ["svc.mid"],
        );
    });

    it("fails check on an empty user name, naming users.0", async () => {
        const r = await midServerStateProvider.check!({} as never, { users: [""] } as never);
        assert.equal(r.failures?.[0]?.property, "users.0");
    });
});
