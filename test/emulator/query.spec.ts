import * as assert from "node:assert/strict";
import { InstanceDb } from "../../emulator/db";
import { parseEncodedQuery } from "../../emulator/query";

describe("encoded queries", () => {
    const db = new InstanceDb({ name: "q" });
    const mgr = db.insert("sys_user", { user_name: "boss", name: "The Boss", department: "IT" });
    const rows = [
        {
            user_name: "alice",
            name: "Alice Smith",
            department: "IT",
            failed_attempts: "2",
            active: true,
            manager: mgr.sys_id,
        },
        { user_name: "bob", name: "Bob Jones", department: "HR", failed_attempts: "10", active: false },
        {
            user_name: "carol",
            name: "Carol Smith",
            department: "",
            failed_attempts: "0",
            active: true,
            manager: mgr.sys_id,
        },
        {
            user_name: "dave",
            name: "Dave Brown",
            department: "Sales",
            failed_attempts: "5",
            active: true,
            locked_out: true,
        },
    ];
    for (const r of rows) db.insert("sys_user", r);
    const names = (q: string) =>
        db
            .query("sys_user", q)
            .map((r) => r.user_name)
            .filter((n) => n !== "boss")
            .sort();

    const cases: [string, string[]][] = [
        ["active=true", ["alice", "carol", "dave"]],
        ["active!=true", ["bob"]],
        ["active=true^locked_out=false", ["alice", "carol"]],
        ["department=HR^ORdepartment=Sales", ["bob", "dave"]],
        ["active=true^department=HR^ORdepartment=Sales", ["dave"]],
        ["department=HR^NQuser_name=carol", ["bob", "carol"]],
        ["departmentINHR,Sales", ["bob", "dave"]],
        ["departmentNOT INHR,Sales,IT", ["carol"]],
        ["nameSTARTSWITHCarol", ["carol"]],
        ["nameENDSWITHSmith", ["alice", "carol"]],
        ["nameLIKESmi", ["alice", "carol"]],
        ["nameNOT LIKESmi", ["bob", "dave"]],
        ["departmentISEMPTY", ["carol"]],
        ["departmentISNOTEMPTY", ["alice", "bob", "dave"]],
        ["failed_attempts>2", ["bob", "dave"]],
        ["failed_attempts>=2", ["alice", "bob", "dave"]],
        ["failed_attempts<5", ["alice", "carol"]],
        ["failed_attempts<=5", ["alice", "carol", "dave"]],
        ["failed_attemptsBETWEEN2@5", ["alice", "dave"]],
        ["manager.user_name=boss", ["alice", "carol"]],
        ["manager.department=IT^nameLIKEAlice", ["alice"]],
        ["user_nameIN", []],
        ["no_such_field=1^user_name=bob", ["bob"]],
    ];
    for (const [q, expected] of cases) {
        it(`matches ${expected.join(", ") || "nothing"} for ${q}`, () => {
            assert.deepEqual(names(q), expected);
        });
    }

    it("treats values case-sensitively, as documented", () => {
        assert.deepEqual(names("user_name=ALICE"), []);
    });

    it("compares integer columns numerically, not as text", () => {
        assert.deepEqual(names("failed_attempts>9"), ["bob"]);
    });

    it("orders by ORDERBY and ORDERBYDESC keys, numerically for integers", () => {
        const asc = db.query("sys_user", "user_name!=boss^ORDERBYfailed_attempts").map((r) => r.user_name);
        assert.deepEqual(asc, ["carol", "alice", "dave", "bob"]);
        const desc = db
            .query("sys_user", "user_name!=boss^ORDERBYDESCdepartment^ORDERBYuser_name")
            .map((r) => r.user_name);
        assert.deepEqual(desc, ["dave", "alice", "bob", "carol"]);
    });

    it("binds ^OR tighter than ^ and splits whole groups on ^NQ", () => {
        const p = parseEncodedQuery("a=1^b=2^ORc=3^NQd=4");
        assert.equal(p.groups.length, 2);
        assert.equal(p.groups[0]!.length, 2);
        assert.equal(p.groups[0]![1]!.length, 2);
    });

    it("reads ^^ as a literal caret inside a value", () => {
        const p = parseEncodedQuery("name=a^^b^active=true");
        assert.equal(p.groups[0]![0]![0]!.value, "a^b");
    });

    it("applies limit and offset after ordering", () => {
        const page = db
            .query("sys_user", "user_name!=boss^ORDERBYuser_name", { limit: 2, offset: 1 })
            .map((r) => r.user_name);
        assert.deepEqual(page, ["bob", "carol"]);
    });
});
