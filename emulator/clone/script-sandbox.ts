import * as vm from "node:vm";

/**
 * The database operations a cleanup script may reach, all against the instance the script runs on.
 *
 * Rows are plain string maps as the emulator stores them; encoded queries go through the emulator's one query engine.
 */
export interface SandboxDb {
    /** Rows of `table` (and its child tables) matching an encoded query, ordered by its ORDERBY terms. */
    query(table: string, encodedQuery: string): ReadonlyArray<Readonly<Record<string, string>>>;
    /** Inserts a row and returns it as stored (with sys_id and system fields). */
    insert(table: string, fields: Record<string, string>): Readonly<Record<string, string>>;
    /** Partially updates a row and returns it as stored, or undefined when it does not exist. */
    update(table: string, sysId: string, fields: Record<string, string>): Readonly<Record<string, string>> | undefined;
    /** Deletes a row; false when it did not exist. */
    delete(table: string, sysId: string): boolean;
    /** True when the table exists on the instance. */
    hasTable(table: string): boolean;
    /**
     * The columns of a table (with inherited ones), each mapped to the table it references ("" when it is not a
     * reference), or undefined when the schema is not known.
     */
    fields?(table: string): Readonly<Record<string, string>> | undefined;
}

/** One line a script wrote through gs.print/log/info/warn/error/debug. */
export interface SandboxLogEntry {
    level: "debug" | "info" | "warn" | "error";
    message: string;
}

/** What running one script produced. */
export interface SandboxResult {
    /** False when the script threw or timed out. */
    ok: boolean;
    /** `<ErrorName>: <message>` when the script failed, as the platform's script log shows it. */
    error?: string;
    /** Everything the script logged, in order. */
    logs: SandboxLogEntry[];
    /** The script's completion value when it is a string (a caller that wraps a script reads its outcome here). */
    value?: string;
}

/** Options for {@link runServerScript}. */
export interface SandboxOptions {
    /**
     * Wall-time limit of the synchronous run; a script still running then fails with a timeout error.
     *
     * @default 5000
     */
    timeoutMs?: number;
    /**
     * Name shown in stack traces and error messages.
     *
     * @default "script"
     */
    name?: string;
    /**
     * Clock behind gs.nowDateTime().
     *
     * @default () => new Date()
     */
    now?: () => Date;
}

/**
 * Runs server-side JavaScript (a clone cleanup script) against one instance, with the subset of the Glide API that
 * post-clone scripts use: `gs` (getProperty, setProperty, print, log, info, warn, error, debug, nowDateTime, nil) and
 * `GlideRecord` (query building, iteration, field access as properties, insert/update/delete, single and multiple).
 *
 * The script runs in a fresh node:vm context with no require, process, console or timers. The Glide API is built
 * inside that context and reaches the host through one closure-private function that exchanges JSON strings only, so
 * no host object (and thus no host `Function`) is ever visible to the script. Anything outside the subset fails the
 * way the platform fails: `ReferenceError: GlideDateTime is not defined`, `TypeError: gs.foo is not a function`.
 */
export function runServerScript(script: string, db: SandboxDb, options: SandboxOptions = {}): SandboxResult {
    const logs: SandboxLogEntry[] = [];
    const now = options.now ?? (() => new Date());
    const name = options.name ?? "script";
    const timeout = options.timeoutMs ?? 5000;

    const host = (op: string, argsJson: string): string => {
        try {
            return JSON.stringify({ ok: hostOp(db, logs, now, op, JSON.parse(argsJson) as HostArgs) ?? null });
        } catch (error) {
            // Host errors cross as data: a host Error object in the context would expose the host's Function.
            const err = error as { name?: unknown; message?: unknown };
            return JSON.stringify({
                err: { name: String(err?.name ?? "Error"), message: String(err?.message ?? err) },
            });
        }
    };

    // A null-prototype global: with a plain object, `this.constructor.constructor` would reach the host's Function.
    const context = vm.createContext(Object.create(null), {
        name: `cleanup script ${name}`,
        codeGeneration: { strings: true, wasm: false },
        microtaskMode: "afterEvaluate",
    });
    try {
        const install = vm.runInContext(BOOTSTRAP, context, { filename: "glide-api.js" }) as (h: typeof host) => void;
        install(host);
        // Only a string crosses back: any object would belong to the script's realm.
        const value: unknown = vm.runInContext(script, context, { filename: name, timeout });
        return typeof value === "string" ? { ok: true, logs, value } : { ok: true, logs };
    } catch (error) {
        return { ok: false, error: describeError(error, timeout), logs };
    }
}

type HostArgs = Record<string, unknown>;

function hostOp(db: SandboxDb, logs: SandboxLogEntry[], now: () => Date, op: string, args: HostArgs): unknown {
    const table = String(args.table ?? "");
    switch (op) {
        case "valid":
            return db.hasTable(table);
        case "fields":
            return db.fields?.(table) ?? null;
        case "query": {
            const rows = db.query(table, String(args.query ?? ""));
            const limit = typeof args.limit === "number" && args.limit >= 0 ? args.limit : rows.length;
            return rows.slice(0, limit);
        }
        case "insert":
            return db.insert(table, args.fields as Record<string, string>);
        case "update":
            return db.update(table, String(args.sysId), args.fields as Record<string, string>) ?? null;
        case "delete":
            return db.delete(table, String(args.sysId));
        case "updateMultiple": {
            let count = 0;
            for (const row of db.query(table, String(args.query ?? ""))) {
                if (db.update(row.sys_class_name || table, row.sys_id, args.fields as Record<string, string>)) count++;
            }
            return count;
        }
        case "deleteMultiple": {
            let count = 0;
            // Collect first: deleting while the query result is live must not skip rows.
            const ids = db.query(table, String(args.query ?? "")).map((r) => [r.sys_class_name || table, r.sys_id]);
            for (const [t, id] of ids) if (db.delete(t as string, id as string)) count++;
            return count;
        }
        case "log":
            logs.push({ level: args.level as SandboxLogEntry["level"], message: String(args.message) });
            return null;
        case "now":
            return now().toISOString().slice(0, 19).replace("T", " ");
        default:
            throw new TypeError(`unknown host operation ${op}`);
    }
}

function describeError(error: unknown, timeout: number): string {
    const err = error as { name?: unknown; message?: unknown; code?: unknown };
    if (err?.code === "ERR_SCRIPT_EXECUTION_TIMEOUT") {
        return `Error: script execution timed out after ${timeout} ms`;
    }
    // Errors thrown inside the context come from its realm: `instanceof Error` is false, so read them structurally.
    if (err && typeof err === "object" && "message" in err)
        return `${String(err.name ?? "Error")}: ${String(err.message)}`;
    return `Error: ${String(error)}`;
}

/**
 * The Glide API, evaluated inside the script's context so every object the script touches belongs to that realm.
 *
 * Plain ES5-style JavaScript on purpose: it is source text, not compiled by TypeScript.
 */
const BOOTSTRAP = String.raw`(function (host) {
"use strict";

function call(op, args) {
    var res = JSON.parse(host(op, JSON.stringify(args)));
    if (res.err) {
        var Ctor = res.err.name === "TypeError" ? TypeError : res.err.name === "RangeError" ? RangeError : Error;
        throw new Ctor(res.err.message);
    }
    return res.ok;
}

function str(v) {
    if (v === null || v === undefined) return "";
    if (v instanceof GlideElement) return v.toString();
    if (v instanceof GlideRecord) return v.getUniqueValue() || "";
    return String(v);
}

function format(args) {
    var msg = str(args[0]);
    // gs.info("{0} of {1}", a, b): the platform's MessageFormat-style substitution.
    return msg.replace(/\{(\d+)\}/g, function (m, i) {
        var n = Number(i) + 1;
        return n < args.length ? str(args[n]) : m;
    });
}

function logAt(level) {
    return function () { call("log", { level: level, message: format(arguments) }); };
}

var gs = Object.freeze({
    getProperty: function (name, dflt) {
        var rows = call("query", { table: "sys_properties", query: "name=" + str(name), limit: 1 });
        if (rows.length === 0) return dflt === undefined ? null : dflt;
        // Glide stores an empty string as NULL, so an empty property reads as absent when a default is given.
        if (rows[0].value === "" && dflt !== undefined) return dflt;
        return rows[0].value;
    },
    setProperty: function (name, value, description) {
        var rows = call("query", { table: "sys_properties", query: "name=" + str(name), limit: 1 });
        if (rows.length > 0) {
            call("update", { table: "sys_properties", sysId: rows[0].sys_id, fields: { value: str(value) } });
        } else {
            var fields = { name: str(name), value: str(value) };
            if (description !== undefined) fields.description = str(description);
            call("insert", { table: "sys_properties", fields: fields });
        }
    },
    print: logAt("info"),
    log: function (message, source) {
        call("log", { level: "info", message: source ? str(source) + ": " + str(message) : str(message) });
    },
    info: logAt("info"),
    warn: logAt("warn"),
    error: logAt("error"),
    debug: logAt("debug"),
    nowDateTime: function () { return call("now", {}); },
    nil: function (v) { return v === null || v === undefined || str(v) === ""; },
});

function GlideElement(record, name, refTable) {
    this._record = record;
    this._name = name;
    this._refTable = refTable || "";
    Object.freeze(this);
    if (!this._refTable) return this;
    // A reference dot-walks, as on the platform: gr.manager.user_name reads the referenced record's field.
    return new Proxy(this, {
        get: function (t, prop, receiver) {
            if (typeof prop === "symbol" || prop in t) return Reflect.get(t, prop, receiver);
            return t.getRefRecord()[prop];
        },
    });
}
GlideElement.prototype.getRefRecord = function () {
    var ref = new GlideRecord(this._refTable || "");
    var id = this._record.getValue(this._name);
    if (this._refTable && id) ref.get(id);
    return ref;
};
GlideElement.prototype.getReferenceTable = function () { return this._refTable || null; };
GlideElement.prototype.toString = function () { return this._record.getValue(this._name) || ""; };
GlideElement.prototype.valueOf = GlideElement.prototype.toString;
GlideElement.prototype.getValue = function () { return this._record.getValue(this._name); };
GlideElement.prototype.setValue = function (v) { this._record.setValue(this._name, v); };
GlideElement.prototype.getDisplayValue = function () { return this.toString(); };
GlideElement.prototype.nil = function () { return this.toString() === ""; };
GlideElement.prototype.getName = function () { return this._name; };
GlideElement.prototype.getTableName = function () { return this._record.getTableName(); };
GlideElement.prototype.toJSON = GlideElement.prototype.toString;

var OPERATORS = {
    "=": "=", "!=": "!=", ">": ">", ">=": ">=", "<": "<", "<=": "<=",
    "IN": "IN", "NOT IN": "NOT IN", "STARTSWITH": "STARTSWITH", "ENDSWITH": "ENDSWITH",
    "LIKE": "LIKE", "NOT LIKE": "NOT LIKE", "CONTAINS": "LIKE", "DOES NOT CONTAIN": "NOT LIKE",
    "ISEMPTY": "ISEMPTY", "ISNOTEMPTY": "ISNOTEMPTY", "BETWEEN": "BETWEEN",
};

function term(field, op, value) {
    var o = OPERATORS[String(op).toUpperCase()];
    if (!o) throw new TypeError("Invalid query operator: " + op);
    if (o === "ISEMPTY" || o === "ISNOTEMPTY") return str(field) + o;
    var v = Array.isArray(value) ? value.map(str).join(",") : str(value);
    return str(field) + o + v;
}

function termOf(args) {
    if (args.length === 1) return str(args[0]);
    if (args.length === 2) return Array.isArray(args[1]) ? term(args[0], "IN", args[1]) : term(args[0], "=", args[1]);
    return term(args[0], args[1], args[2]);
}

function QueryCondition(conds, index) {
    this.addOrCondition = function () {
        conds[index] = conds[index] + "^OR" + termOf(arguments);
        return this;
    };
    this.addCondition = function () {
        conds.push(termOf(arguments));
        return new QueryCondition(conds, conds.length - 1);
    };
    Object.freeze(this);
}

var internals = new WeakMap();
function S(gr) {
    var s = internals.get(gr);
    if (!s) throw new TypeError("GlideRecord method called on an object that is not a GlideRecord");
    return s;
}

function newSysId() {
    var out = "";
    for (var i = 0; i < 32; i++) out += Math.floor(Math.random() * 16).toString(16);
    return out;
}

function GlideRecord(table) {
    if (!(this instanceof GlideRecord)) throw new TypeError("GlideRecord must be called with new");
    var tableName = str(table);
    var valid = call("valid", { table: tableName });
    var fields = valid ? call("fields", { table: tableName }) : null;
    var target = this;
    var proxy = new Proxy(target, {
        get: function (t, prop, receiver) {
            if (typeof prop === "symbol" || prop in t) return Reflect.get(t, prop, receiver);
            var s = internals.get(receiver);
            if (!s || !s.valid) return undefined;
            // Field access: a GlideElement, as the platform returns, for every column of the table.
            var known = fields !== null && Object.prototype.hasOwnProperty.call(fields, prop);
            if (fields && !known && !(s.current && prop in s.current)) return undefined;
            return new GlideElement(receiver, prop, known ? fields[prop] : "");
        },
        set: function (t, prop, value, receiver) {
            if (typeof prop === "symbol" || prop in t) return Reflect.set(t, prop, value, receiver);
            receiver.setValue(prop, value);
            return true;
        },
    });
    internals.set(proxy, {
        table: tableName,
        valid: valid,
        conds: [],
        orders: [],
        limit: -1,
        rows: [],
        index: -1,
        current: null,
        changes: {},
        isNew: false,
    });
    return proxy;
}

var P = GlideRecord.prototype;

function query(s) {
    var q = s.conds.filter(function (c) { return c !== ""; });
    return q.concat(s.orders).join("^");
}

P.addQuery = function () {
    var s = S(this);
    s.conds.push(termOf(arguments));
    return new QueryCondition(s.conds, s.conds.length - 1);
};
P.addEncodedQuery = function (q) { if (str(q) !== "") S(this).conds.push(str(q)); };
P.addActiveQuery = function () { return this.addQuery("active", "true"); };
P.addNullQuery = function (f) { return this.addQuery(f, "ISEMPTY", ""); };
P.addNotNullQuery = function (f) { return this.addQuery(f, "ISNOTEMPTY", ""); };
P.orderBy = function (f) { S(this).orders.push("ORDERBY" + str(f)); };
P.orderByDesc = function (f) { S(this).orders.push("ORDERBYDESC" + str(f)); };
P.setLimit = function (n) { S(this).limit = Number(n); };
P.getEncodedQuery = function () { return query(S(this)); };
P.query = function () {
    var s = S(this);
    s.rows = s.valid ? call("query", { table: s.table, query: query(s), limit: s.limit }) : [];
    s.index = -1;
    s.current = null;
    s.changes = {};
    s.isNew = false;
};
P.hasNext = function () { var s = S(this); return s.index + 1 < s.rows.length; };
P.next = function () {
    var s = S(this);
    s.changes = {};
    s.isNew = false;
    if (s.index + 1 < s.rows.length) {
        s.index++;
        s.current = Object.assign({}, s.rows[s.index]);
        return true;
    }
    s.current = null;
    return false;
};
P._next = P.next;
P.get = function (a, b) {
    var s = S(this);
    var field = b === undefined ? "sys_id" : str(a);
    var value = b === undefined ? str(a) : str(b);
    s.changes = {};
    s.isNew = false;
    if (!s.valid || value === "") { s.current = null; s.rows = []; return false; }
    s.rows = call("query", { table: s.table, query: field + "=" + value, limit: 1 });
    s.index = s.rows.length > 0 ? 0 : -1;
    s.current = s.rows.length > 0 ? Object.assign({}, s.rows[0]) : null;
    return s.current !== null;
};
P.getValue = function (f) {
    var s = S(this);
    var name = str(f);
    if (!s.current || !(name in s.current) || s.current[name] === "") return null;
    return s.current[name];
};
P.setValue = function (f, v) {
    var s = S(this);
    var name = str(f);
    var value = str(v);
    s.changes[name] = value;
    if (s.current) s.current[name] = value;
};
P.getElement = function (f) { return this[str(f)]; };
P.getDisplayValue = function (f) {
    if (f !== undefined) return this.getValue(f) || "";
    var s = S(this);
    if (!s.current) return "";
    // The display field differs per table; name, number and short_description cover the usual ones.
    return s.current.name || s.current.number || s.current.short_description || s.current.sys_id || "";
};
P.getUniqueValue = function () { return this.getValue("sys_id"); };
P.getRowCount = function () { return S(this).rows.length; };
P.getTableName = function () { return S(this).table; };
P.getRecordClassName = function () {
    var s = S(this);
    return (s.current && s.current.sys_class_name) || s.table;
};
P.isValid = function () { return S(this).valid; };
P.isValidRecord = function () { var s = S(this); return s.current !== null && !s.isNew; };
P.isNewRecord = function () { return S(this).isNew; };
P.initialize = function () {
    var s = S(this);
    s.current = {};
    s.changes = {};
    s.isNew = true;
};
P.newRecord = function () {
    this.initialize();
    this.setValue("sys_id", newSysId());
};
P.insert = function () {
    var s = S(this);
    if (!s.valid) return null;
    var fields = Object.assign({}, s.isNew && s.current ? s.current : {}, s.changes);
    var row = call("insert", { table: s.table, fields: fields });
    s.current = Object.assign({}, row);
    s.changes = {};
    s.isNew = false;
    return row.sys_id;
};
P.update = function () {
    var s = S(this);
    if (!s.valid) return null;
    if (!s.current || s.isNew) return this.insert();
    var row = call("update", {
        table: s.current.sys_class_name || s.table,
        sysId: s.current.sys_id,
        fields: s.changes,
    });
    if (!row) return null;
    s.current = Object.assign({}, row);
    s.changes = {};
    return row.sys_id;
};
P.updateMultiple = function () {
    var s = S(this);
    if (!s.valid) return;
    call("updateMultiple", { table: s.table, query: query(s), fields: s.changes });
    s.changes = {};
};
P.deleteRecord = function () {
    var s = S(this);
    if (!s.valid || !s.current || s.isNew) return false;
    var ok = call("delete", { table: s.current.sys_class_name || s.table, sysId: s.current.sys_id });
    s.current = null;
    return ok;
};
P.deleteMultiple = function () {
    var s = S(this);
    if (s.valid) call("deleteMultiple", { table: s.table, query: query(s) });
};
// Business rules and system-field stamping are not emulated, so these switches have nothing to turn off.
P.setWorkflow = function () {};
P.autoSysFields = function () {};
Object.freeze(P);
Object.freeze(GlideElement.prototype);

Object.defineProperty(globalThis, "gs", { value: gs, enumerable: false });
Object.defineProperty(globalThis, "GlideRecord", { value: GlideRecord, enumerable: false });
})`;
