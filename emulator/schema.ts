/**
 * The table registry of one emulated instance: columns, parent classes and reference targets.
 */

/** Column types the emulator distinguishes; everything is stored as a string. */
export type FieldType =
    | "string"
    | "boolean"
    | "integer"
    | "decimal"
    | "reference"
    | "glide_date_time"
    | "script"
    | "password"
    | "choice";

/** One column of a table. */
export interface FieldDef {
    /** Column name, e.g. `user_name`. */
    name: string;
    /** Storage and comparison type. */
    type: FieldType;
    /** Target table of a reference column. */
    reference?: string;
    /** Value given on insert when the caller leaves the column out (the type's null value otherwise). */
    defaultValue?: string;
    /** Stored value to display label, for choice columns. */
    choices?: Readonly<Record<string, string>>;
}

/** Who may do what on a table: role names; an empty list means any authenticated user. */
export interface TableAcl {
    read: readonly string[];
    write: readonly string[];
}

/** A table definition as registered, before inheritance is resolved. */
export interface TableDef {
    name: string;
    label: string;
    /** Parent class (e.g. `sysauto` for `sysauto_script`). */
    parent?: string;
    /** Column whose value stands for a record in display values and reference display values. */
    display?: string;
    /** Columns declared on this table (inherited ones come from the parent). */
    fields: FieldDef[];
    acl?: Partial<TableAcl>;
    /** Prefix of the auto-number the platform gives new records (`INC` for incident), if the table numbers them. */
    numberPrefix?: string;
}

/** The columns every record carries. */
export const SYSTEM_FIELDS: readonly FieldDef[] = [
    { name: "sys_id", type: "string" },
    { name: "sys_created_on", type: "glide_date_time" },
    { name: "sys_created_by", type: "string" },
    { name: "sys_updated_on", type: "glide_date_time" },
    { name: "sys_updated_by", type: "string" },
    { name: "sys_mod_count", type: "integer" },
    { name: "sys_tags", type: "string" },
];

/** Default access: anyone authenticated reads, admin writes. */
export const DEFAULT_ACL: TableAcl = { read: [], write: ["admin"] };

/** A resolved table: all columns including inherited and system ones, and its place in the hierarchy. */
export interface TableInfo {
    readonly name: string;
    readonly label: string;
    readonly parent: string | undefined;
    /** The top of this table's hierarchy; rows of a whole hierarchy are stored together. */
    readonly root: string;
    readonly display: string;
    /** Column name to definition, in output order. */
    readonly fields: ReadonlyMap<string, FieldDef>;
    /** This table and every table extending it, transitively. */
    readonly family: ReadonlySet<string>;
    /** True when the table is part of a hierarchy, so rows carry `sys_class_name`. */
    readonly extensible: boolean;
    readonly acl: TableAcl;
    readonly numberPrefix: string | undefined;
}

/**
 * Shorthand for declaring columns: `"name"`, `"active:boolean=true"`, `"manager:ref:sys_user"`, `"order:integer=100"`.
 */
export function fields(...specs: string[]): FieldDef[] {
    return specs.map((spec) => {
        const [head, defaultValue] = spec.includes("=")
            ? [spec.slice(0, spec.indexOf("=")), spec.slice(spec.indexOf("=") + 1)]
            : [spec, undefined];
        const [name, type = "string", reference] = head.split(":");
        if (type === "ref") return { name: name!, type: "reference", reference, defaultValue };
        return { name: name!, type: type as FieldType, defaultValue };
    });
}

/** Thrown when a table name is not registered; the REST layer turns it into the 400 envelope. */
export class UnknownTableError extends Error {
    /** The name that was asked for. */
    readonly table: string;
    constructor(table: string) {
        super(`Table ${table} does not exist`);
        this.name = new.target.name;
        this.table = table;
    }
}

/**
 * The resolved table registry.
 *
 * Built once from definitions; querying a parent table covers its whole family, as on the platform.
 */
export class Schema {
    private readonly tables = new Map<string, TableInfo>();

    /** Resolves inheritance for every definition; parents must be registered too. */
    constructor(defs: readonly TableDef[]) {
        const byName = new Map(defs.map((d) => [d.name, d]));
        const children = new Map<string, string[]>();
        for (const d of defs) {
            if (d.parent) {
                if (!byName.has(d.parent)) throw new Error(`table ${d.name} extends unknown table ${d.parent}`);
                children.set(d.parent, [...(children.get(d.parent) ?? []), d.name]);
            }
        }
        const familyOf = (name: string): Set<string> => {
            const out = new Set([name]);
            for (const c of children.get(name) ?? []) for (const n of familyOf(c)) out.add(n);
            return out;
        };
        const resolve = (d: TableDef): TableInfo => {
            const existing = this.tables.get(d.name);
            if (existing) return existing;
            const parent = d.parent ? resolve(byName.get(d.parent)!) : undefined;
            const cols = new Map<string, FieldDef>();
            if (parent) for (const [k, f] of parent.fields) cols.set(k, f);
            else for (const f of SYSTEM_FIELDS) cols.set(f.name, f);
            const extensible = Boolean(d.parent) || children.has(d.name);
            if (extensible && !cols.has("sys_class_name")) {
                cols.set("sys_class_name", { name: "sys_class_name", type: "string" });
            }
            for (const f of d.fields) cols.set(f.name, f);
            const info: TableInfo = {
                name: d.name,
                label: d.label,
                parent: d.parent,
                root: parent ? parent.root : d.name,
                display: d.display ?? parent?.display ?? (cols.has("name") ? "name" : "sys_id"),
                fields: cols,
                family: familyOf(d.name),
                extensible,
                acl: { ...(parent?.acl ?? DEFAULT_ACL), ...d.acl },
                numberPrefix: d.numberPrefix ?? parent?.numberPrefix,
            };
            this.tables.set(d.name, info);
            return info;
        };
        for (const d of defs) resolve(d);
    }

    /** True when the table is registered. */
    has(table: string): boolean {
        return this.tables.has(table);
    }

    /** The resolved table, or {@link UnknownTableError}. */
    table(table: string): TableInfo {
        const info = this.tables.get(table);
        if (!info) throw new UnknownTableError(table);
        return info;
    }

    /** The resolved table, or undefined. */
    find(table: string): TableInfo | undefined {
        return this.tables.get(table);
    }

    /** Every registered table name, sorted. */
    names(): string[] {
        return [...this.tables.keys()].sort();
    }

    /** Tables at the top of their hierarchy: each row is stored under exactly one of these. */
    roots(): string[] {
        return this.names().filter((n) => !this.tables.get(n)!.parent);
    }
}
