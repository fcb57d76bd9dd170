/**
 * Seed rows of the integrations area, and the personal data a production instance holds (phone numbers on users,
 * tickets whose free text names their callers) so masking has something real to find.
 *
 * Everything here runs after the base seed has drawn all its random numbers, so the base seed's rows and sys_ids are
 * the same with or without this area.
 */

import type { Prng } from "../prng";
import { glideDateTime, hashSecret, type Row } from "../values";
import { DP_TECHNIQUE_TYPES, integrationTables } from "./tables";

/** The part of the seed builder this module writes through. */
export interface SeedWriter {
    readonly prng: Prng;
    /** Rows added so far, by hierarchy root (sys_user holds every user). */
    readonly rows: ReadonlyMap<string, Row[]>;
    /** Adds a row of `table`: defaults, then `values`, then system fields. */
    add(table: string, values: Record<string, string>): Row;
}

/** What the base seed knows that this area needs. */
export interface IntegrationSeedContext {
    production: boolean;
    /** The instance's mail and service domain (`acme-corp.com` on production). */
    host: string;
    /** Hashed secret every seeded credential shares. */
    password: string;
}

/** Hosts production's IntegrationHub connections, data sources and OAuth providers point at. */
export const PRODUCTION_INTEGRATION_HOSTS = [
    "api.payments.acme-corp.com",
    "hrdb.acme-corp.com",
    "files.acme-corp.com",
    "sftp.acme-corp.com",
    "auth.acme-corp.com",
] as const;

/** Adds this area's rows; call it last, just before the rows are flushed. */
export function seedIntegrations(b: SeedWriter, ctx: IntegrationSeedContext): void {
    for (const t of integrationTables()) b.add("sys_db_object", { name: t.name, label: t.label, super_class: "" });
    if (!ctx.production) return;
    seedConnections(b, ctx);
    seedDataSources(b, ctx);
    seedOAuthProviders(b);
    b.add("sys_ux_banner_announcement", {
        name: "Planned maintenance",
        heading: "Planned maintenance on Saturday",
        summary: "ACME IT services are unavailable Saturday 02:00-04:00 UTC.",
        active: "true",
        start: glideDateTime(Date.UTC(2025, 10, 1)),
        color: "warning",
    });
    for (const [type, label] of Object.entries(DP_TECHNIQUE_TYPES)) b.add("dp_technique", { name: label, type });
    seedPersonalData(b);
}

function seedConnections(b: SeedWriter, ctx: IntegrationSeedContext): void {
    const http: [string, string, string, string][] = [
        ["Payments API", "x_acme_pay.Payments", "https://api.payments.acme-corp.com/v2", "svc-payments"],
        ["Workday HR", "x_acme_hr.Workday", "https://wd5-services.myworkday.com/ccx/service/acme", "ISU_ServiceNow"],
        ["Identity gateway", "x_acme_idm.Gateway", "https://auth.acme-corp.com/api", "svc-idm"],
        // No credential: a connection the tripwire still catches, without a secret to report.
        ["Status page", "x_acme_ops.StatusPage", "https://status.acme-corp.com", ""],
    ];
    for (const [name, id, url, user] of http) {
        const alias = b.add("sys_alias", { name: id.split(".")[1]!, id, type: "connection" });
        const credential = user
            ? b.add("discovery_credentials", {
                  name: `${name} credential`,
                  type: "basic_auth",
                  user_name: user,
                  password: ctx.password,
                  credential_alias: alias.sys_id!,
              })
            : undefined;
        const u = new URL(url);
        b.add("http_connection", {
            name,
            connection_alias: alias.sys_id!,
            credential: credential?.sys_id ?? "",
            connection_url: url,
            host: u.hostname,
            protocol: u.protocol.replace(":", ""),
            port: u.port,
            base_path: u.pathname === "/" ? "" : u.pathname,
        });
    }
    const alias = b.add("sys_alias", {
        name: "DataWarehouse",
        id: "x_acme_dw.DataWarehouse",
        type: "connection",
        connection_type: "jdbc_connection",
    });
    const credential = b.add("discovery_credentials", {
        name: "Data warehouse reader",
        type: "jdbc",
        user_name: "svc_snow_ro",
        password: ctx.password,
    });
    b.add("jdbc_connection", {
        name: "Data warehouse",
        connection_alias: alias.sys_id!,
        credential: credential.sys_id!,
        host: "dw-sql.acme-corp.com",
        port: "1433",
        database_name: "warehouse",
        format: "sqlserver",
    });
}

function seedDataSources(b: SeedWriter, ctx: IntegrationSeedContext): void {
    b.add("sys_data_source", {
        name: "HR people (JDBC)",
        type: "JDBC",
        format: "SQLServer",
        import_set_table_name: "u_imp_hr_people",
        jdbc_server: "hrdb.acme-corp.com",
        database_name: "hr",
        database_port: "1433",
        username: "svc_snow_hr",
        password: ctx.password,
    });
    b.add("sys_data_source", {
        name: "Asset export (HTTPS)",
        type: "File",
        format: "CSV",
        import_set_table_name: "u_imp_assets",
        file_retrieval_method: "HTTPS",
        file_path: "https://files.acme-corp.com/exports/assets.csv",
    });
    b.add("sys_data_source", {
        name: "Payroll feed (SFTP)",
        type: "File",
        format: "CSV",
        import_set_table_name: "u_imp_payroll",
        file_retrieval_method: "SFTP",
        server: "sftp.acme-corp.com",
        port: "22",
        file_path: "/outbound/payroll.csv",
        username: "snow-payroll",
        password: ctx.password,
    });
}

function seedOAuthProviders(b: SeedWriter): void {
    const providers: [string, string, string][] = [
        ["Okta", "0oa-acme-prod", "https://acme.okta.com/oauth2/v1"],
        ["Microsoft Entra ID", "acme-prod-app", "https://login.microsoftonline.com/acme.onmicrosoft.com/oauth2/v2.0"],
        ["ACME API gateway", "snow-prod", "https://auth.acme-corp.com/oauth"],
    ];
    for (const [name, clientId, base] of providers) {
        b.add("oauth_entity", {
            name,
            type: "oauth_provider",
            client_id: clientId,
            client_secret: hashSecret(`${clientId}-secret`),
            token_url: `${base}/token`,
            auth_url: `${base}/authorize`,
            default_grant_type: "client_credentials",
        });
    }
}

/**
 * Phone numbers for every user (in the ranges reserved for fiction: 555-01xx in North America, 07700 900xxx in the
 * UK) and tickets whose free text names the caller, their email and phone.
 */
function seedPersonalData(b: SeedWriter): void {
    const p = b.prng;
    const users = b.rows.get("sys_user") ?? [];
    const people: Row[] = [];
    for (const u of users) {
        if (u.web_service_access_only === "true") continue;
        const fields = u as Record<string, string>;
        fields.phone = `+1 555 01${String(p.int(0, 99)).padStart(2, "0")} ${String(p.int(0, 9999)).padStart(4, "0")}`;
        fields.mobile_phone = `+44 7700 900${String(p.int(0, 999)).padStart(3, "0")}`;
        people.push(u);
    }
    if (people.length === 0) return;
    const count = Math.min(2000, Math.max(20, Math.floor(users.length / 50)));
    const problems = [
        ["VPN drops every few minutes", "The VPN client disconnects every ten minutes since this morning."],
        ["Cannot open payroll statement", "The payroll portal shows an error when opening last month's statement."],
        ["Laptop replacement", "The laptop battery no longer charges; please arrange a replacement."],
        ["Password reset", "Locked out after the password change; please reset."],
        ["Printer on floor 3", "The floor 3 printer jams on every double-sided job."],
    ];
    for (let i = 0; i < count; i++) {
        const caller = p.pick(people);
        const [short, detail] = p.pick(problems);
        const state = String(p.pick([1, 2, 6, 7]));
        b.add("incident", {
            number: `INC${String(10001 + i).padStart(7, "0")}`,
            short_description: `${short} (${caller.name})`,
            description:
                `Caller ${caller.name} (${caller.email}, ${caller.phone}) reports: ${detail} ` +
                `Call back on ${caller.mobile_phone} after 5pm.`,
            caller_id: caller.sys_id!,
            opened_by: caller.sys_id!,
            state,
            active: String(state === "1" || state === "2"),
            priority: String(p.int(1, 5)),
            category: p.pick(["network", "software", "hardware", "inquiry"]),
        });
    }
}
