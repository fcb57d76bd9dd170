import * as assert from "node:assert/strict";
import type { ServiceNowClient } from "../../provider/client/client";
import { userLockoutProvider as provider, type UserLockoutInputs } from "../../provider/resources/user-lockout";
import { type Emulator, startBulkTarget, stopBulkEmulator } from "../fixtures/bulk/support";

describe("UserLockout drift names the users it found unlocked", function () {
    this.timeout(60_000);
    let emu: Emulator;
    let dev: ServiceNowClient;

    beforeEach(async () => {
        ({ emu, dev } = await startBulkTarget());
    });
    afterEach(() => stopBulkEmulator(emu));

    it("lists up to five unlocked users by user_name, and none once converged", async () => {
        const checked = await provider.check!({} as UserLockoutInputs, {} as UserLockoutInputs);
        const { id, outs } = await provider.create(checked.inputs!);
        assert.deepEqual(outs!.unlockedUsers, []);

        const locked = await dev.query("sys_user", {
            query: "active=true^locked_out=true^ORDERBYuser_name",
            fields: ["sys_id", "user_name"],
            limit: 7,
        });
        assert.equal(locked.length, 7);
        for (const u of locked) await dev.update("sys_user", u.sys_id!, { locked_out: "false" });

        const read = await provider.read!(id, outs);
        const props = read.props!;
        assert.equal(props.unlockedCount, 7);
        assert.equal(props.unlockedUsers.length, 5, "a sample, not all seven");
        const names = new Set(locked.map((u) => u.user_name));
        for (const name of props.unlockedUsers) assert.ok(names.has(name), `${name} is one of the unlocked users`);
        assert.deepEqual(props.unlockedUsers, [...props.unlockedUsers].sort());

        const { outs: repaired } = await provider.update!(id, read.props!, checked.inputs!);
        assert.deepEqual(repaired!.unlockedUsers, []);
    });
});
