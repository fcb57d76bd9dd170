/**
 * Deterministic seeds: a realistic production instance at a chosen size, or an empty base system.
 */
import { seedChangeManagement } from "./change/seed";
import { seedAtf } from "./cicd/atf-seed";
import { seedPlugins } from "./cicd/plugins";
import type { InstanceDb } from "./db";
import { dictionaryRows } from "./dictionary/tables";
import { Prng } from "./prng";
import { eq } from "./query";
import { seedTextIndexRows } from "./text-index";
import { glideDateTime, hashSecret, type Row } from "./values";

/** Which seed an instance starts from. */
export type SeedKind = "production" | "empty";

/** Options of {@link seedInstance}. */
export interface SeedOptions {
    kind: SeedKind;
    /**
     * Users in a production seed (the empty seed has only admin and its MID user).
     *
     * @default 2000
     */
    users?: number;
    /**
     * Scheduled jobs in a production seed.
     *
     * @default 300
     */
    jobs?: number;
    /**
     * Password of `admin`; every seeded user shares it so any of them can log in against the emulator.
     *
     * @default "admin"
     */
    adminPassword?: string;
    /**
     * Seed of the random sequence; the same seed gives the same data (sys_ids included).
     *
     * @default 1
     */
    randomSeed?: number;
    /**
     * Welcome page content table name.
     *
     * @default "welcome_page_content"
     */
    welcomeTable?: string;
}

/** The OAuth client every seeded instance registers (Application Registry). */
export const SEEDED_OAUTH_CLIENT = { clientId: "emulator-client", clientSecret: "emulator-secret" } as const;

/** Roles of the base system the emulator knows about. */
const BASE_ROLES = [
    "admin",
    "itil",
    "user_admin",
    "clone_admin",
    "clone_profile_admin",
    "sn_cicd.sys_ci_automation",
    "mid_server",
    "soap",
    "rest_service",
    "web_service_admin",
    "snc_platform_rest_api_access",
    "security_admin",
    "catalog_admin",
    "report_user",
    "approver_user",
    "snc_internal",
];

const FIRST = [
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Chris",
    "Karen",
    "Daniel",
    "Lisa",
    "Matthew",
    "Nancy",
    "Anthony",
    "Betty",
    "Mark",
    "Sandra",
    "Paul",
    "Ashley",
];
const LAST = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
];
const DEPARTMENTS = ["IT", "Finance", "HR", "Sales", "Operations", "Legal", "Marketing", "Engineering"];
const JOB_WORDS = [
    "Cleanup",
    "Sync",
    "Report",
    "Digest",
    "Reminder",
    "Archive",
    "Refresh",
    "Escalation",
    "Audit",
    "Export",
];
const JOB_SUBJECTS = [
    "incidents",
    "changes",
    "assets",
    "SLA",
    "knowledge",
    "approvals",
    "CMDB",
    "catalog",
    "problems",
    "users",
];

/**
 * Builds rows the way the instance would have written them, with sys_ids and dates from the seeded sequence.
 */
class SeedBuilder {
    readonly rows = new Map<string, Row[]>();
    readonly prng: Prng;
    private readonly db: InstanceDb;
    private readonly epoch = Date.UTC(2025, 0, 1);

    constructor(db: InstanceDb, seed: number) {
        this.db = db;
        this.prng = new Prng(seed);
    }

    /** A row of `table`: defaults, then `values`, then system fields. */
    add(table: string, values: Record<string, string>): Row {
        const info = this.db.schema.table(table);
        const row: Record<string, string> = {};
        for (const [name, f] of info.fields) row[name] = f.defaultValue ?? (f.type === "boolean" ? "false" : "");
        const created = glideDateTime(
            this.epoch + this.prng.int(0, 300) * 86_400_000 + this.prng.int(0, 86_399) * 1000,
        );
        Object.assign(row, {
            sys_id: this.prng.sysId(),
            sys_created_on: created,
            sys_created_by: "admin",
            sys_updated_on: created,
            sys_updated_by: "admin",
            sys_mod_count: "0",
        });
        if (info.extensible) row.sys_class_name = table;
        Object.assign(row, values);
        const list = this.rows.get(info.root) ?? [];
        list.push(row);
        this.rows.set(info.root, list);
        return row;
    }

    /** Loads everything into the database (one sorted load per table hierarchy). */
    flush(): void {
        for (const [root, rows] of this.rows) this.db.seedRows(root, rows);
        this.rows.clear();
    }
}

/** Fills an empty database with the chosen seed. Deterministic for a given `randomSeed`. */
export function seedInstance(db: InstanceDb, opts: SeedOptions): void {
    const b = new SeedBuilder(db, opts.randomSeed ?? 1);
    const production = opts.kind === "production";
    const password = hashSecret(opts.adminPassword ?? "admin");
    const name = db.name;
    const host = production ? "acme-corp.com" : `${name}.acme-test.com`;

    const roles = new Map<string, Row>();
    for (const r of BASE_ROLES) roles.set(r, b.add("sys_user_role", { name: r, description: `${r} role` }));
    const adminContains = ["itil", "user_admin", "clone_admin", "soap", "rest_service", "web_service_admin"];
    for (const c of adminContains) {
        b.add("sys_user_role_contains", { role: roles.get("admin")!.sys_id!, contains: roles.get(c)!.sys_id! });
    }

    const property = (pname: string, value: string, type = "string", description = "") =>
        b.add("sys_properties", { name: pname, value, type, description });
    property("instance_name", name, "string", "Instance name");
    property("glide.installation.production", String(production), "true | false");
    property("glide.email.smtp.active", "true", "true | false", "Email sending enabled");
    property("glide.email.read.active", "true", "true | false", "Email receiving enabled");
    property("glide.product.description", production ? "ACME Production" : "Service Management");
    property("glide.product.name", "ServiceNow");
    property("css.base.color", production ? "#293E40" : "#767676", "color");
    property("css.banner.background.image", "");
    property("glide.db.clone.allow_clone_target", String(!production), "true | false");
    property("glide.invalid_query.returns_no_rows", "false", "true | false");
    property("glide.smtp.host", production ? "smtp.acme-corp.com" : `smtp.${host}`);
    property("glide.smtp.port", "587", "integer");
    property("glide.authenticate.sso.redirect.idp", "");
    property("glide.authenticate.external", "false", "true | false");
    property("glide.ui.polaris.theme.custom", "");
    property("glide.oauth.inbound.ropc.grant_type.disabled", "false", "true | false");

    const users: Row[] = [];
    const grant = (user: Row, role: string, group?: Row) =>
        b.add("sys_user_has_role", {
            user: user.sys_id!,
            role: roles.get(role)!.sys_id!,
            inherited: String(Boolean(group)),
            granted_by: group?.sys_id ?? "",
        });
    const addUser = (values: Record<string, string>, directRoles: string[] = []) => {
        const u = b.add("sys_user", { user_password: password, source: "", time_zone: "GMT", ...values });
        users.push(u);
        for (const r of directRoles) grant(u, r);
        return u;
    };
    const admin = addUser(
        {
            user_name: "admin",
            first_name: "System",
            last_name: "Administrator",
            name: "System Administrator",
            email: `admin@${host}`,
        },
        ["admin"],
    );

    const group = (gname: string, groupRoles: string[]) => {
        const g = b.add("sys_user_group", { name: gname, description: gname, email: "" });
        for (const r of groupRoles) b.add("sys_group_has_role", { group: g.sys_id!, role: roles.get(r)!.sys_id! });
        return { row: g, roles: groupRoles };
    };
    const join = (u: Row, g: { row: Row; roles: string[] }) => {
        b.add("sys_user_grmember", { user: u.sys_id!, group: g.row.sys_id! });
        for (const r of g.roles) grant(u, r, g.row);
    };

    const mids = production ? ["mid-prod-01", "mid-prod-02", "mid-prod-03", "mid-prod-04"] : [`${name}-mid-01`];
    const midUsers = mids.map((m, i) =>
        addUser(
            {
                user_name: production ? `mid.user.${String(i + 1).padStart(2, "0")}` : `mid.${name}`,
                first_name: "MID",
                last_name: `Server ${m}`,
                name: `MID Server ${m}`,
                web_service_access_only: "true",
                internal_integration_user: "true",
            },
            ["mid_server"],
        ),
    );
    const agents = mids.map((m, i) =>
        b.add("ecc_agent", {
            name: m,
            // One production MID is already Down, as there usually is.
            status: production && i === mids.length - 1 ? "Down" : "Up",
            validated: "true",
            version: "australia-12-10-2025__patch1",
            host_name: `${m}.${host}`,
            ip_address: `10.20.${i}.${10 + i}`,
            user_name: midUsers[i]!.user_name!,
            last_refreshed: glideDateTime(Date.UTC(2025, 10, 1, 6, i)),
            started: glideDateTime(Date.UTC(2025, 9, 1)),
        }),
    );

    b.add("sys_email_account", {
        name: "SMTP outbound",
        type: "smtp",
        server: `smtp.${host}`,
        port: "587",
        user_name: `servicenow@${host}`,
        password,
        email: `servicenow@${host}`,
    });
    b.add("sys_email_account", {
        name: "IMAP inbound",
        type: "imap",
        server: `imap.${host}`,
        port: "993",
        user_name: `servicenow@${host}`,
        password,
        email: `servicenow@${host}`,
        connection_security: "ssl",
    });
    b.add("oauth_entity", {
        name: "Emulator client",
        client_id: SEEDED_OAUTH_CLIENT.clientId,
        client_secret: hashSecret(SEEDED_OAUTH_CLIENT.clientSecret),
        application_user: admin.sys_id!,
    });
    b.add("sys_update_set", {
        name: "Default",
        state: "in progress",
        is_default: "true",
        description: "Default update set",
    });
    seedCloneConfiguration(b);
    for (const r of seedTextIndexRows(Date.UTC(2025, 10, 1, 2))) b.add(r.table, r.values);
    seedAtf((table, values) => b.add(table, values));
    const uninstalled = new Set(seedPlugins((t, v) => b.add(t, v)));
    for (const t of db.schema.names()) {
        if (uninstalled.has(t)) continue;
        const info = db.schema.table(t);
        b.add("sys_db_object", { name: t, label: info.label, super_class: "" });
    }
    for (const row of dictionaryRows(db)) b.add("sys_dictionary", row);
    b.add(opts.welcomeTable ?? "welcome_page_content", {
        short_description: production ? "Welcome to ACME IT Services" : "Welcome",
        active: "true",
        order: "100",
        text: production ? "<p>Welcome to the ACME service portal.</p>" : "<p>Welcome to ServiceNow.</p>",
    });

    if (production) seedProduction(b, opts, { addUser, group, join, agents, host, password, name });
    seedChangeManagement((table, values) => b.add(table, values));
    b.flush();
    fixSuperClasses(db);
}

interface ProductionHelpers {
    addUser: (values: Record<string, string>, roles?: string[]) => Row;
    group: (name: string, roles: string[]) => { row: Row; roles: string[] };
    join: (u: Row, g: { row: Row; roles: string[] }) => void;
    agents: Row[];
    host: string;
    password: string;
    name: string;
}

function seedProduction(b: SeedBuilder, opts: SeedOptions, h: ProductionHelpers): void {
    const p = b.prng;
    const userCount = Math.max(10, opts.users ?? 2000);
    const jobCount = Math.max(10, opts.jobs ?? 300);

    const admins = h.group("System Administrators", ["admin"]);
    const uat = h.group("UAT Participants", ["itil"]);
    const trainees = h.group("Trainees", ["snc_internal"]);
    const desk = h.group("Service Desk", ["itil"]);
    const integrations = h.group("Integration Users", ["rest_service", "soap"]);
    const cloneAdmins = h.group("Clone Administrators", ["clone_admin"]);

    const named = (
        user_name: string,
        first: string,
        last: string,
        extra: Record<string, string> = {},
        roles: string[] = [],
    ) =>
        h.addUser(
            {
                user_name,
                first_name: first,
                last_name: last,
                name: `${first} ${last}`,
                email: `${user_name}@${h.host}`,
                ...extra,
            },
            roles,
        );
    h.join(named("it.admin", "Ivy", "Admin"), admins);
    h.join(named("platform.owner", "Pat", "Owner"), admins);
    h.join(named("clone.admin", "Cleo", "Cloner"), cloneAdmins);
    h.join(named("uat.lead", "Uma", "Lead"), uat);
    h.join(named("trainer.one", "Tara", "Trainer"), trainees);
    named("itil.only", "Ian", "Tilson", {}, ["itil"]);
    named("locked.user", "Lock", "Ed", { locked_out: "true" }, ["itil"]);
    named("inactive.user", "Ina", "Active", { active: "false" }, ["itil"]);
    for (let i = 1; i <= 8; i++) {
        const u = named(`integration.${String(i).padStart(2, "0")}`, "Integration", `User ${i}`, {
            web_service_access_only: "true",
            internal_integration_user: "true",
        });
        h.join(u, integrations);
    }

    let n = 0;
    while (b.rows.get("sys_user")!.length < userCount) {
        n++;
        const first = p.pick(FIRST);
        const last = p.pick(LAST);
        const user_name = `${first.toLowerCase()}.${last.toLowerCase()}${n}`;
        const roll = p.next();
        const u = h.addUser({
            user_name,
            first_name: first,
            last_name: last,
            name: `${first} ${last}`,
            email: `${user_name}@${h.host}`,
            department: p.pick(DEPARTMENTS),
            title: p.pick(["Analyst", "Engineer", "Manager", "Specialist", "Director"]),
            employee_number: String(100000 + n),
            active: p.chance(0.05) ? "false" : "true",
            locked_out: p.chance(0.03) ? "true" : "false",
            vip: p.chance(0.02) ? "true" : "false",
            last_login_time: glideDateTime(Date.UTC(2025, 10, 1) - p.int(0, 200) * 86_400_000),
        });
        if (roll < 0.005) h.join(u, admins);
        else if (roll < 0.035) h.join(u, uat);
        else if (roll < 0.055) h.join(u, trainees);
        else if (roll < 0.2) h.join(u, desk);
    }

    // LDAP: two directories with failover URLs and scheduled user loads.
    const ldapLoads: Row[] = [];
    for (const [i, dir] of ["corp", "emea"].entries()) {
        const server = b.add("ldap_server_config", {
            name: `ACME ${dir.toUpperCase()} LDAP`,
            active: "true",
            listener: "true",
            server_url: `ldaps://ldap-${dir}.acme-corp.com:636`,
            dn: `CN=svc-servicenow,OU=Service Accounts,DC=${dir},DC=acme-corp,DC=com`,
            password: h.password,
            rdn: `DC=${dir},DC=acme-corp,DC=com`,
            ssl: "true",
            vendor: "active_directory",
        });
        for (const [k, suffix] of ["01", "02"].entries()) {
            b.add("ldap_server_url", {
                server: server.sys_id!,
                url: `ldaps://dc${suffix}.${dir}.acme-corp.com:636`,
                order: String(100 * (k + 1)),
            });
        }
        const ou = b.add("ldap_ou_config", {
            name: `${dir.toUpperCase()} Users`,
            server: server.sys_id!,
            rdn: "OU=Users",
        });
        const source = b.add("sys_data_source", {
            name: `LDAP ${dir.toUpperCase()} Users`,
            type: "LDAP",
            import_set_table_name: "ldp_user_import",
            ldaptarget: ou.sys_id!,
        });
        ldapLoads.push(
            b.add("scheduled_import_set", {
                name: `LDAP ${dir.toUpperCase()} user import`,
                active: "true",
                run_type: "daily",
                run_time: `1970-01-01 0${2 + i}:00:00`,
                data_source: source.sys_id!,
                import_set_table_name: "ldp_user_import",
            }),
        );
    }
    for (const load of ldapLoads) {
        b.add("sys_trigger", {
            name: load.name!,
            next_action: glideDateTime(Date.UTC(2025, 10, 2, 2)),
            state: "0",
            system_id: `app-node-1:${h.name}`,
            document: "scheduled_import_set",
            document_key: load.sys_id!,
            job_id: load.sys_id!,
        });
    }

    // Scheduled jobs across the sysauto family, most of them active, with their schedule items.
    const kinds = [
        "sysauto_script",
        "sysauto_script",
        "sysauto_script",
        "sysauto_report",
        "sysauto_template",
        "scheduled_import_set",
    ];
    const runTypes = ["daily", "weekly", "monthly", "periodically", "once", "on_demand"];
    for (let i = ldapLoads.length; i < jobCount; i++) {
        const kind = p.pick(kinds);
        const jobName = `${p.pick(JOB_SUBJECTS)} ${p.pick(JOB_WORDS)} ${i + 1}`;
        const runType = p.pick(runTypes);
        const values: Record<string, string> = {
            name: jobName,
            active: p.chance(0.85) ? "true" : "false",
            run_type: runType,
            run_time: `1970-01-01 ${String(p.int(0, 23)).padStart(2, "0")}:${String(p.int(0, 59)).padStart(2, "0")}:00`,
            run_period:
                runType === "periodically"
                    ? `1970-01-01 0${p.int(0, 5)}:${String(p.int(0, 59)).padStart(2, "0")}:00`
                    : "",
            run_dayofweek: runType === "weekly" ? String(p.int(1, 7)) : "",
            run_dayofmonth: runType === "monthly" ? String(p.int(1, 28)) : "",
        };
        if (kind === "sysauto_script") values.script = `gs.info("${jobName}");\n`;
        if (kind === "sysauto_report") {
            values.subject = jobName;
            values.address_list = `reports-${i}@acme-corp.com`;
        }
        if (kind === "sysauto_template") values.table = "incident";
        if (kind === "scheduled_import_set") values.import_set_table_name = "u_imp_hr_people";
        const job = b.add(kind, values);
        if (job.active === "true") {
            b.add("sys_trigger", {
                name: jobName,
                next_action: glideDateTime(Date.UTC(2025, 10, 2) + p.int(0, 86_399) * 1000),
                trigger_type: "0",
                state: "0",
                system_id: `app-node-${p.int(1, 4)}:${h.name}`,
                claimed_by: "",
                document: kind,
                document_key: job.sys_id!,
                job_id: job.sys_id!,
            });
        }
    }

    // Outbound integrations pointing at production hosts.
    const rest = [
        ["Payments Gateway", "https://api.payments.acme-corp.com/v2"],
        ["Workday HR", "https://wd5-services.myworkday.com/ccx/service/acme"],
        ["Slack Notifications", "https://hooks.slack.com/services/T000ACME/B000PROD"],
        ["Salesforce CRM", "https://acme.my.salesforce.com/services/data/v59.0"],
        ["Jira Cloud", "https://acme.atlassian.net/rest/api/3"],
        ["PagerDuty", "https://api.pagerduty.com"],
        ["Azure AD Graph", "https://graph.microsoft.com/v1.0"],
        ["Data Warehouse", "https://dw.acme-corp.com/api/ingest"],
    ];
    for (const [restName, endpoint] of rest) {
        const msg = b.add("sys_rest_message", {
            name: restName!,
            rest_endpoint: endpoint!,
            authentication_type: "basic",
            description: `${restName} integration`,
        });
        for (const [fn, method, suffix] of [
            ["Get", "get", "/records"],
            ["Post", "post", "/records"],
            ["Delete", "delete", "/records/{id}"],
        ]) {
            b.add("sys_rest_message_fn", {
                function_name: fn!,
                rest_message: msg.sys_id!,
                http_method: method!,
                rest_endpoint: `${endpoint}${suffix}`,
                qualified_name: `${restName}.${fn}`,
            });
        }
    }
    for (const [soapName, endpoint] of [
        ["SAP Finance", "https://sap-pi.acme-corp.com/XISOAPAdapter/MessageServlet"],
        ["Legacy CMDB", "https://cmdb-legacy.acme-corp.com/ws/cmdb.asmx"],
        ["Oracle EBS", "https://ebs.acme-corp.com/webservices/SOAProvider"],
    ]) {
        const msg = b.add("sys_soap_message", {
            name: soapName!,
            wsdl: `${endpoint}?wsdl`,
            description: `${soapName} SOAP`,
        });
        for (const fn of ["Create", "Update"]) {
            b.add("sys_soap_message_function", {
                function_name: fn,
                soap_message: msg.sys_id!,
                soap_endpoint: endpoint!,
                soap_action: `urn:${soapName!.replaceAll(" ", "")}/${fn}`,
            });
        }
    }

    // Work queued for the MID servers, and a known issue on the Down one.
    for (let i = 0; i < 40; i++) {
        const agent = p.pick(h.agents);
        b.add("ecc_queue", {
            agent: `mid.server.${agent.name}`,
            topic: p.pick(["Discovery", "SystemCommand", "JDBCProbe", "Powershell", "RESTProbe"]),
            name: `probe-${i}`,
            source: `10.30.${p.int(0, 255)}.${p.int(1, 254)}`,
            queue: "output",
            state: "ready",
            sequence: String(1_700_000_000_000 + i),
        });
    }
    const down = h.agents.find((a) => a.status === "Down");
    if (down) {
        b.add("ecc_agent_issue", {
            mid_server: down.sys_id!,
            message: `MID Server not operational (status: Down). Last refreshed ${down.last_refreshed}.`,
            source: "MidServerMonitor",
            state: "new",
        });
    }

    // Update sets in every state, and data the default exclusions leave behind.
    for (let i = 1; i <= 12; i++) {
        const state = i % 4 === 0 ? "ignore" : i % 3 === 0 ? "in progress" : "complete";
        b.add("sys_update_set", {
            name: `ACME release ${i}`,
            state,
            completed_on: state === "complete" ? glideDateTime(Date.UTC(2025, 5, i)) : "",
        });
    }
    for (let i = 0; i < 50; i++) {
        b.add("syslog", { level: String(p.int(0, 2)), message: `Log entry ${i}`, source: "seed" });
        b.add("sys_audit", {
            tablename: "sys_user",
            documentkey: p.sysId(),
            fieldname: "active",
            oldvalue: "true",
            newvalue: "false",
            user: "admin",
        });
        b.add("sys_email", {
            type: "sent",
            recipients: `user${i}@acme-corp.com`,
            subject: `Notification ${i}`,
            body: "...",
        });
        b.add("wf_context", { name: `Workflow ${i}`, state: "finished", table: "sc_req_item", id: p.sysId() });
    }
    for (let i = 0; i < 10; i++) {
        b.add("sys_attachment", {
            file_name: `doc-${i}.pdf`,
            table_name: "sys_user",
            table_sys_id: p.sysId(),
            content_type: "application/pdf",
            size_bytes: "20480",
        });
    }
    b.add("sys_semaphore", { name: "ReportScheduler" });
    b.add("sys_semaphore", { name: "ImportSetRunner" });
}

/** The platform's default clone configuration: exclusions, preservers, cleanup scripts and the system profile. */
function seedCloneConfiguration(b: SeedBuilder): void {
    const exclusions = [
        "syslog",
        "syslog_transaction",
        "sys_audit",
        "sys_audit_delete",
        "sys_email",
        "sys_email_log",
        "wf_context",
        "wf_history",
        "wf_executing",
        "usageanalytics_count",
        "sysevent",
        "ecc_queue",
    ].map((t) =>
        b.add("clone_data_exclude", {
            name: t,
            include_in_system_clone: "true",
            description: `Excluded by default: ${t}`,
        }),
    );
    const preservers = [
        [
            "Core Instance Properties",
            "sys_properties",
            "name=instance_name^ORname=glide.installation.production^ORname=glide.db.clone.allow_clone_target^ORnameSTARTSWITHglide.authenticate.external^ORnameSTARTSWITHcom.snc.integration.saml_esig^ORnameSTARTSWITHglide.smtp.^ORnameSTARTSWITHglide.authenticate.multisso^ORname=glide.authenticate.sso.redirect.idp",
            "false",
        ],
        ["Semaphores", "sys_semaphore", "", "false"],
        ["Email Accounts", "sys_email_account", "", "false"],
        ["Theme properties", "sys_properties", "nameSTARTSWITHcss.^ORnameSTARTSWITHglide.ui.polaris.theme", "true"],
    ].map(([name, table, condition, theme]) =>
        b.add("clone_data_preserver", { name: name!, table: table!, condition: condition!, theme: theme! }),
    );
    const scripts = [
        [
            "Bad MID Server credentials after clone",
            "100",
            "true",
            'var agent = new GlideRecord("ecc_agent");\nagent.addQuery("status", "Down");\nagent.query();\nwhile (agent.next()) {\n    var issue = new GlideRecord("ecc_agent_issue");\n    issue.initialize();\n    issue.setValue("mid_server", agent.getValue("sys_id"));\n    issue.setValue("source", "InstanceClone");\n    issue.setValue("message", "MID Server not operational (status: Down), possibly due to recent clone. Verify credentials for logged in User \'" + agent.getValue("user_name") + "\'.");\n    issue.insert();\n}\n',
        ],
        [
            "Clear scheduled job node association",
            "200",
            "true",
            'var trigger = new GlideRecord("sys_trigger");\ntrigger.query();\ntrigger.setValue("state", 0);\ntrigger.setValue("system_id", "");\ntrigger.setValue("claimed_by", "");\ntrigger.updateMultiple();\n',
        ],
        ["Configure Email Accounts", "300", "true", 'gs.log("Email accounts checked after clone", "Clone");\n'],
        [
            "Disable emails",
            "400",
            "true",
            'gs.setProperty("glide.email.read.active", false);gs.setProperty("glide.email.smtp.active", false);',
        ],
        ["Install deactivated plugin", "500", "false", 'gs.log("No deactivated plugins to install", "Clone");\n'],
        [
            "Regenerate all text indexes",
            "600",
            "true",
            // Queues what the "Regenerate Text Index" action queues; the text-index job rebuilds one table at a time.
            'var event = new GlideRecord("sysevent");\nevent.initialize();\nevent.setValue("name", "textindex.all");\nevent.setValue("queue", "text_index");\nevent.insert();\ngs.log("Text index regeneration scheduled", "Clone");\n',
        ],
        [
            "Schedule drop backup tables",
            "700",
            "true",
            'gs.log("Backup tables will be dropped in 24 hours", "Clone");\n',
        ],
    ].map(([name, order, active, script]) =>
        b.add("clone_cleanup_script", { name: name!, order: order!, active: active!, script: script! }),
    );
    const profile = b.add("clone_profile", {
        name: "System Profile",
        description: "Default clone profile provided by the platform; it cannot be modified.",
        default_profile: "true",
        read_only: "true",
    });
    for (const e of exclusions) b.add("clone_profile_exclusions", { profile: profile.sys_id!, exclusion: e.sys_id! });
    for (const pr of preservers) b.add("clone_profile_preservers", { profile: profile.sys_id!, preserver: pr.sys_id! });
    for (const s of scripts) {
        b.add("clone_profile_cleanup_scripts", {
            profile: profile.sys_id!,
            cleanup_script: s.sys_id!,
            order: s.order!,
            active: s.active!,
        });
    }
}

/** Points each sys_db_object row at its parent's row (needs both rows loaded). */
function fixSuperClasses(db: InstanceDb): void {
    const rows = db.exportRows("sys_db_object");
    const idOf = new Map(rows.map((r) => [r.name!, r.sys_id!]));
    db.replaceRows(
        "sys_db_object",
        rows.map((r) => ({ ...r, super_class: idOf.get(db.schema.table(r.name!).parent ?? "") ?? "" })),
    );
}

/**
 * Makes the `instance` table list every instance of this emulator process with its current URL (ports can change
 * between runs, so this runs at every start).
 */
export function registerInstances(db: InstanceDb, instances: readonly { name: string; url: string }[]): void {
    for (const inst of instances) {
        const existing = db.query("instance", eq("instance_name", inst.name), { limit: 1 })[0];
        if (existing) db.update("instance", existing.sys_id!, { instance_url: inst.url });
        else
            db.insert("instance", {
                instance_name: inst.name,
                instance_url: inst.url,
                admin_user: "admin",
                source: "false",
            });
    }
}
