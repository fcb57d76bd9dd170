import * as assert from "node:assert/strict";
import * as https from "node:https";
import type { RunningEmulator } from "../../emulator/index";
import { start } from "./helpers";

// The published client, used unchanged: it always speaks HTTPS, so the emulator serves TLS from its local CA and the
// client is given that CA through its own documented setNetworkOptions hook.
const ServiceNow = require("servicenow-rest-api") as new (
    instance: string,
    user: string,
    password: string,
) => {
    setNetworkOptions(options: object): void;
    getTableData(fields: string[], filters: string[], table: string, cb: (res: unknown) => void): void;
    createNewTask(data: object, table: string, cb: (res: unknown) => void): void;
    UpdateTask(table: string, number: string, data: object, cb: (res: unknown) => void): void;
    DeleteTask(table: string, number: string, cb: (res: unknown) => void): void;
};

type Rec = Record<string, unknown>;

function promised<T>(fn: (cb: (res: unknown) => void) => void): Promise<T> {
    return new Promise((resolve, reject) => fn((res) => (res instanceof Error ? reject(res) : resolve(res as T))));
}

describe("a published third-party client (servicenow-rest-api)", () => {
    let emu: RunningEmulator;
    let sn: InstanceType<typeof ServiceNow>;
    let quietLog: typeof console.log;
    before(async () => {
        emu = await start({ tls: true });
        const { port } = emu.instances.get("prod")!;
        sn = new ServiceNow(`127.0.0.1:${port}`, "admin", "admin");
        sn.setNetworkOptions({ httpsAgent: new https.Agent({ ca: emu.caCert }) });
        // The client prints every list URL; keep the test output readable.
        quietLog = console.log;
        console.log = () => {};
    });
    after(async () => {
        console.log = quietLog;
        await emu.stop();
    });

    it("lists records with fields and filters over verified TLS", async () => {
        const rows = await promised<Rec[]>((cb) =>
            sn.getTableData(["user_name", "active"], ["active=true", "user_nameSTARTSWITHadmin"], "sys_user", cb),
        );
        assert.deepEqual(rows, [{ user_name: "admin", active: "true" }]);
    });

    it("creates, updates and deletes a record", async () => {
        const created = await promised<Rec>((cb) =>
            sn.createNewTask({ short_description: "Printer on fire", urgency: "1" }, "incident", cb),
        );
        const number = created.number as string;
        assert.match(number, /^INC\d{7}$/);
        assert.equal(created.short_description, "Printer on fire");

        const updated = await promised<Rec>((cb) =>
            sn.UpdateTask("incident", number, { short_description: "Printer extinguished" }, cb),
        );
        assert.equal(updated.short_description, "Printer extinguished");
        const db = emu.instances.get("prod")!.db;
        assert.equal(db.query("incident", `number=${number}`)[0]!.sys_mod_count, "1");

        const deleted = await promised<{ status: number }>((cb) => sn.DeleteTask("incident", number, cb));
        assert.equal(deleted.status, 204);
        assert.equal(db.count("incident", `number=${number}`), 0);
    });
});
