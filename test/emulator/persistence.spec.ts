import * as assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { InstanceDb } from "../../emulator/db";
import { call } from "./helpers";

const ROOT = path.resolve(__dirname, "../..");

/** Starts the CLI in one node process (no tsx wrapper process, so SIGKILL hits the server itself). */
function launch(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
    const child = spawn(
        process.execPath,
        [
            "--require",
            "tsx/cjs",
            "emulator/cli.ts",
            "--instance",
            "prod=0",
            "--data",
            dataDir,
            "--users",
            "50",
            "--jobs",
            "10",
        ],
        { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
    );
    return new Promise((resolve, reject) => {
        let out = "";
        let err = "";
        child.stdout!.on("data", (c: Buffer) => {
            out += c.toString();
            const m = /instance prod listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
            if (m) resolve({ child, url: m[1]! });
        });
        child.stderr!.on("data", (c: Buffer) => {
            err += c.toString();
        });
        child.on("exit", (code) => reject(new Error(`emulator exited with ${code} before listening: ${err}`)));
    });
}

function killHard(child: ChildProcess): Promise<void> {
    return new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGKILL");
    });
}

describe("persistence", () => {
    const dirs: string[] = [];
    const children: ChildProcess[] = [];
    const tempDir = () => {
        const d = fs.mkdtempSync(path.join(os.tmpdir(), "sn-emu-data-"));
        dirs.push(d);
        return d;
    };
    after(async () => {
        for (const c of children) await killHard(c);
        for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    });

    it("keeps an acknowledged write when the emulator is killed with SIGKILL right after", async () => {
        const dir = tempDir();
        const first = await launch(dir);
        children.push(first.child);
        const created = await call(first.url, "/api/now/table/sys_properties", {
            method: "POST",
            body: { name: "x.durable", value: "kept" },
        });
        assert.equal(created.status, 201);
        await killHard(first.child);

        const second = await launch(dir);
        children.push(second.child);
        const id = created.json.result.sys_id;
        const read = await call(second.url, `/api/now/table/sys_properties/${id}?sysparm_fields=name,value`);
        assert.equal(read.status, 200);
        assert.deepEqual(read.json.result, { name: "x.durable", value: "kept" });

        const patched = await call(second.url, `/api/now/table/sys_properties/${id}`, {
            method: "PATCH",
            body: { value: "changed" },
        });
        assert.equal(patched.status, 200);
        const admin = (await call(second.url, "/api/now/table/sys_user?user_name=admin&sysparm_fields=sys_id")).json
            .result[0].sys_id;
        const lock = (await call(second.url, "/api/now/table/sys_user?user_name=itil.only&sysparm_fields=sys_id")).json
            .result[0].sys_id;
        assert.equal((await call(second.url, `/api/now/table/sys_user/${lock}`, { method: "DELETE" })).status, 204);
        await killHard(second.child);

        const third = await launch(dir);
        children.push(third.child);
        const again = await call(third.url, `/api/now/table/sys_properties/${id}?sysparm_fields=value,sys_mod_count`);
        assert.deepEqual(again.json.result, { value: "changed", sys_mod_count: "1" });
        assert.equal((await call(third.url, `/api/now/table/sys_user/${lock}`)).status, 404);
        assert.equal((await call(third.url, `/api/now/table/sys_user/${admin}`)).status, 200);
        await killHard(third.child);
    });

    it("replays committed mutations and drops a torn last log line", () => {
        const dir = tempDir();
        const db = new InstanceDb({ name: "p", dataDir: dir });
        const a = db.insert("sys_properties", { name: "a", value: "1" });
        db.update("sys_properties", a.sys_id!, { value: "2" });
        const b = db.insert("sys_properties", { name: "b" });
        db.delete("sys_properties", b.sys_id!);
        db.commit();
        fs.appendFileSync(path.join(dir, "wal.jsonl"), '{"o":"put","t":"sys_properties","r":{"sys_id":"');
        const reopened = new InstanceDb({ name: "p", dataDir: dir });
        assert.equal(reopened.restoredFromDisk, true);
        assert.equal(reopened.get("sys_properties", a.sys_id!)?.value, "2");
        assert.equal(reopened.get("sys_properties", b.sys_id!), undefined);
        assert.equal(reopened.count("sys_properties"), 1);
        reopened.close();
        db.close();
    });

    it("compacts the log into the snapshot on start", () => {
        const dir = tempDir();
        const db = new InstanceDb({ name: "p", dataDir: dir });
        db.insert("sys_properties", { name: "a" });
        db.close();
        assert.ok(fs.statSync(path.join(dir, "wal.jsonl")).size > 0);
        const reopened = new InstanceDb({ name: "p", dataDir: dir });
        assert.equal(fs.statSync(path.join(dir, "wal.jsonl")).size, 0);
        assert.equal(reopened.count("sys_properties"), 1);
        reopened.close();
    });

    it("persists whole-table replacement and snapshot restore with sys fields intact", () => {
        const dir = tempDir();
        const db = new InstanceDb({ name: "p", dataDir: dir });
        db.insert("sysauto_script", { name: "keep me" });
        const snap = db.snapshot();
        const copied = {
            sys_id: "f".repeat(32),
            name: "from source",
            sys_created_on: "2020-01-01 00:00:00",
            sys_mod_count: "7",
            sys_class_name: "sysauto_report",
        };
        db.replaceRows("sysauto", [copied]);
        db.commit();
        let reopened = new InstanceDb({ name: "p", dataDir: dir });
        assert.deepEqual(
            reopened
                .query("sysauto")
                .map((r) => [r.sys_id, r.name, r.sys_created_on, r.sys_mod_count, r.sys_class_name]),
            [["f".repeat(32), "from source", "2020-01-01 00:00:00", "7", "sysauto_report"]],
        );
        reopened.close();
        db.restore(snap);
        db.close();
        reopened = new InstanceDb({ name: "p", dataDir: dir });
        assert.deepEqual(
            reopened.query("sysauto").map((r) => r.name),
            ["keep me"],
        );
        reopened.close();
    });

    it("keeps nothing on disk without a data directory", () => {
        // Every fs call that creates or writes a file goes through this spy while the database lives and commits.
        const writer = require("node:fs") as Record<string, unknown>;
        const names = ["openSync", "writeSync", "writeFileSync", "appendFileSync", "mkdirSync", "renameSync"];
        const calls: string[] = [];
        const originals = names.map((n) => [n, writer[n]] as const);
        for (const [n, original] of originals) {
            writer[n] = (...args: unknown[]) => {
                calls.push(`${n}(${String(args[0])})`);
                return (original as (...a: unknown[]) => unknown)(...args);
            };
        }
        try {
            const db = new InstanceDb({ name: "mem" });
            db.insert("sys_properties", { name: "a" });
            db.commit();
            db.close();
        } finally {
            for (const [n, original] of originals) writer[n] = original;
        }
        assert.deepEqual(calls, [], "no file was opened, created or written");
        assert.equal(new InstanceDb({ name: "mem" }).count("sys_properties", "name=a"), 0);
    });
});
