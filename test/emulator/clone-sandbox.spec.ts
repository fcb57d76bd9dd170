import * as assert from "node:assert/strict";
import { type CloneDb, fieldMap } from "../../emulator/clone/engine";
import { runServerScript, type SandboxDb } from "../../emulator/clone/script-sandbox";
import { InstanceDb } from "../../emulator/db";

// The engine's structural view must accept the real database; this fails to compile if they drift apart.
const _fits = (db: InstanceDb): CloneDb => db;
void _fits;

function sandboxDb(db: InstanceDb): SandboxDb {
    return {
        query: (t, q) => db.query(t, q),
        insert: (t, f) => db.insert(t, f),
        update: (t, id, f) => db.update(t, id, f),
        delete: (t, id) => db.delete(t, id),
        hasTable: (t) => db.schema.has(t),
        fields: (t) => fieldMap(db, t),
    };
}

function fixture(): InstanceDb {
    const db = new InstanceDb({ name: "sandbox" });
    db.insert("sys_properties", { name: "glide.email.smtp.active", value: "true" });
    db.insert("sys_properties", { name: "instance_name", value: "acme-dev" });
    for (const [name, active] of [
        ["Alpha job", true],
        ["Beta job", true],
        ["Gamma job", false],
        ["Delta job", true],
    ] as const) {
        db.insert("sysauto_script", { name, active, script: "gs.log('x')" });
    }
    return db;
}

function run(db: InstanceDb, script: string) {
    return runServerScript(script, sandboxDb(db), { name: "test", now: () => new Date("2026-01-02T03:04:05Z") });
}

describe("cleanup script sandbox", () => {
    it("reads and sets properties, creating a missing one", () => {
        const db = fixture();
        const result = run(
            db,
            `gs.setProperty("glide.email.smtp.active", false);
             gs.setProperty("acme.marker", "x" + gs.getProperty("instance_name"));
             gs.setProperty("acme.empty", "");
             gs.info("missing={0} empty={1} bare={2}", gs.getProperty("nope", "dflt"), gs.getProperty("acme.empty", "d2"), gs.getProperty("nope"));`,
        );
        assert.equal(result.ok, true, result.error);
        assert.equal(db.getProperty("glide.email.smtp.active"), "false");
        assert.equal(db.getProperty("acme.marker"), "xacme-dev");
        assert.deepEqual(result.logs, [{ level: "info", message: "missing=dflt empty=d2 bare=" }]);
    });

    it("captures every gs logging level in order", () => {
        const result = run(
            fixture(),
            `gs.print("p"); gs.log("l", "src"); gs.info("i"); gs.warn("w"); gs.error("e"); gs.debug(gs.nowDateTime());`,
        );
        assert.deepEqual(
            result.logs.map((l) => `${l.level}:${l.message}`),
            ["info:p", "info:src: l", "info:i", "warn:w", "error:e", "debug:2026-01-02 03:04:05"],
        );
    });

    it("iterates a query built from addQuery, ordered and limited, with field access as properties", () => {
        const result = run(
            fixture(),
            `var gr = new GlideRecord("sysauto");
             gr.addQuery("active", true);
             gr.addQuery("name", "STARTSWITH", "A").addOrCondition("name", "CONTAINS", "elt");
             gr.orderByDesc("name");
             gr.query();
             var names = [];
             gs.info("count " + gr.getRowCount());
             while (gr.next()) names.push(gr.name + "/" + gr.getValue("sys_class_name") + "/" + gr.active.toString());
             gs.info(names.join(","));
             var lim = new GlideRecord("sysauto_script");
             lim.addActiveQuery();
             lim.orderBy("name");
             lim.setLimit(1);
             lim.query();
             lim.next();
             gs.info(lim.getDisplayValue() + " " + lim.hasNext() + " " + lim.getEncodedQuery());`,
        );
        assert.equal(result.ok, true, result.error);
        assert.deepEqual(
            result.logs.map((l) => l.message),
            [
                "count 2",
                "Delta job/sysauto_script/true,Alpha job/sysauto_script/true",
                "Alpha job false active=true^ORDERBYname",
            ],
        );
    });

    it("updates one record through field assignment and many through updateMultiple", () => {
        const db = fixture();
        const result = run(
            db,
            `var gr = new GlideRecord("sysauto_script");
             if (!gr.get("name", "Alpha job")) throw new Error("not found");
             gr.active = false;
             gr.update();
             var all = new GlideRecord("sysauto_script");
             all.addEncodedQuery("nameLIKEjob^active=true");
             all.setValue("run_as", "system");
             all.updateMultiple();`,
        );
        assert.equal(result.ok, true, result.error);
        const rows = db.query("sysauto_script", "ORDERBYname");
        assert.deepEqual(
            rows.map((r) => `${r.name}:${r.active}:${r.run_as}`),
            ["Alpha job:false:", "Beta job:true:system", "Delta job:true:system", "Gamma job:false:"],
        );
    });

    it("inserts, gets by sys_id and deletes single and multiple records", () => {
        const db = fixture();
        const result = run(
            db,
            `var gr = new GlideRecord("sys_properties");
             gr.initialize();
             gr.name = "acme.new";
             gr.setValue("value", 42);
             var id = gr.insert();
             var again = new GlideRecord("sys_properties");
             gs.info(again.get(id) + " " + again.value + " " + again.isValidRecord() + " " + again.getUniqueValue().length);
             again.deleteRecord();
             var jobs = new GlideRecord("sysauto_script");
             jobs.addQuery("active", "false");
             jobs.deleteMultiple();
             var missing = new GlideRecord("sys_properties");
             gs.info(missing.get("0123456789abcdef0123456789abcdef") + " " + missing.isValidRecord());`,
        );
        assert.equal(result.ok, true, result.error);
        assert.deepEqual(
            result.logs.map((l) => l.message),
            ["true 42 true 32", "false false"],
        );
        assert.equal(db.getProperty("acme.new"), undefined);
        assert.deepEqual(
            db.query("sysauto_script", "ORDERBYname").map((r) => r.name),
            ["Alpha job", "Beta job", "Delta job"],
        );
    });

    it("supports null queries, IN lists and the table name", () => {
        const result = run(
            fixture(),
            `var gr = new GlideRecord("sysauto_script");
             gr.addNullQuery("run_as");
             gr.addQuery("name", "IN", ["Alpha job", "Gamma job"]);
             gr.query();
             gs.info(gr.getRowCount() + " " + gr.getTableName());
             var nn = new GlideRecord("sysauto_script");
             nn.addNotNullQuery("run_as");
             nn.query();
             gs.info(String(nn.hasNext()));`,
        );
        assert.equal(result.ok, true, result.error);
        assert.deepEqual(
            result.logs.map((l) => l.message),
            ["2 sysauto_script", "false"],
        );
    });

    it("dot-walks reference fields to the referenced record", () => {
        const db = fixture();
        const boss = db.insert("sys_user", { user_name: "boss", first_name: "Big" });
        db.insert("sys_user", { user_name: "worker", manager: boss.sys_id });
        db.insert("sys_user", { user_name: "loner" });
        const result = run(
            db,
            `var gr = new GlideRecord("sys_user");
             gr.addQuery("user_name", "IN", "worker,loner");
             gr.orderByDesc("user_name");
             gr.query();
             var out = [];
             while (gr.next()) out.push(gr.user_name + ":" + gr.manager.first_name + ":" + gr.manager.getRefRecord().isValidRecord());
             gs.info(out.join(" ") + " " + gr.getElement("manager").getReferenceTable());`,
        );
        assert.equal(result.ok, true, result.error);
        assert.deepEqual(
            result.logs.map((l) => l.message),
            ["worker:Big:true loner::false sys_user"],
        );
    });

    it("gives an unknown table an invalid GlideRecord that finds and writes nothing", () => {
        const result = run(
            fixture(),
            `var gr = new GlideRecord("u_no_such_table");
             gr.query();
             gr.initialize();
             gs.info(gr.isValid() + " " + gr.next() + " " + gr.insert() + " " + gr.name);`,
        );
        assert.deepEqual(
            result.logs.map((l) => l.message),
            ["false false null undefined"],
        );
    });

    it("reports an API outside the subset as the platform's ReferenceError or TypeError", () => {
        const db = fixture();
        assert.equal(run(db, "var d = new GlideDateTime();").error, "ReferenceError: GlideDateTime is not defined");
        assert.match(run(db, "gs.eventQueue('x');").error ?? "", /^TypeError: gs\.eventQueue is not a function/);
        assert.match(
            run(db, "var gr = new GlideRecord('sys_user'); gr.chooseWindow(0, 1);").error ?? "",
            /^TypeError:/,
        );
    });

    it("gives scripts no require, process or host Function", () => {
        const db = fixture();
        assert.equal(run(db, "require('fs')").error, "ReferenceError: require is not defined");
        assert.equal(run(db, "process.exit(1)").error, "ReferenceError: process is not defined");
        const escaped = run(
            db,
            `var F = this.constructor.constructor; var p = F("return typeof process")();
             var G = gs.getProperty.constructor("return typeof process")();
             gs.info(p + " " + G);`,
        );
        assert.deepEqual(escaped.logs, [{ level: "info", message: "undefined undefined" }]);
    });

    it("stops a script that runs past its time limit", () => {
        const result = runServerScript("while (true) {}", sandboxDb(fixture()), { timeoutMs: 50 });
        assert.equal(result.ok, false);
        assert.equal(result.error, "Error: script execution timed out after 50 ms");
    });

    it("keeps what a script wrote before it threw, and reports the throw", () => {
        const db = fixture();
        const result = run(db, `gs.setProperty("acme.before", "1"); throw new Error("boom");`);
        assert.equal(result.error, "Error: boom");
        assert.equal(db.getProperty("acme.before"), "1");
    });
});
