/**
 * With OAuth, an instance that is unavailable (502) or hibernating is reported as such, never as refused credentials.
 */
import * as assert from "node:assert/strict";
import { SEEDED_OAUTH_CLIENT } from "../../emulator/index";
import { ServiceNowClient } from "../../provider/client/client";
import { AuthError, NonJsonResponseError, TransportError } from "../../provider/errors";
import { type Emulator, startBulkEmulator, urlOf } from "../fixtures/bulk/support";

describe("OAuth against an unavailable instance", function () {
    this.timeout(60_000);
    let emu: Emulator;
    let url: string;
    before(async () => {
        emu = await startBulkEmulator({ users: 20 });
        url = urlOf(emu, "acme-dev");
    });
    afterEach(() => emu.faults.configure({ errorRate: 0, errorStatuses: [502, 503, 504], hibernating: false }));
    after(async () => emu.stop());

    const oauth = () =>
        new ServiceNowClient({
            url,
            credentials: { kind: "oauth", ...SEEDED_OAUTH_CLIENT, username: "admin", password: "admin" },
            retries: 0,
        });

    it("reports a 502 from the token endpoint as unavailability, not bad credentials", async () => {
        emu.faults.configure({ errorRate: 1, errorStatuses: [502] });
        await assert.rejects(oauth().query("sys_user", { limit: 1 }), (e: Error) => {
            assert.ok(!(e instanceof AuthError), `not an AuthError: ${e.message}`);
            assert.ok(e instanceof TransportError, e.message);
            assert.match(e.message, /502/);
            assert.doesNotMatch(e.message, /refused|clientId|credentials were/);
            return true;
        });
    });

    it("reports a hibernating instance as hibernating", async () => {
        emu.faults.configure({ hibernating: true });
        await assert.rejects(oauth().query("sys_user", { limit: 1 }), (e: Error) => {
            assert.ok(e instanceof NonJsonResponseError, `${e.constructor.name}: ${e.message}`);
            assert.match(e.message, /hibernating/);
            return true;
        });
    });
});
