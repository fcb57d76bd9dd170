import * as assert from "node:assert/strict";
import type { RunningEmulator } from "../../emulator/index";
import { PRODUCTION_INTEGRATION_HOSTS } from "../../emulator/integrations/seed";
import { call, start, urlOf } from "./helpers";

type Rec = Record<string, string>;

async function list(base: string, table: string, query = "", fields = ""): Promise<Rec[]> {
    const q = new URLSearchParams({ sysparm_query: query, sysparm_exclude_reference_link: "true" });
    if (fields) q.set("sysparm_fields", fields);
    const r = await call(base, `/api/now/table/${table}?${q}`);
    assert.equal(r.status, 200, r.text);
    return r.json.result as Rec[];
}

async function insert(base: string, table: string, body: Record<string, unknown>): Promise<Rec> {
    const r = await call(base, `/api/now/table/${table}?sysparm_exclude_reference_link=true`, {
        method: "POST",
        body,
    });
    assert.equal(r.status, 201, r.text);
    return r.json.result as Rec;
}

/** Requests a clone of prod into dev over the Table API and polls until it ends. */
async function cloneProdIntoDev(emu: RunningEmulator): Promise<Rec> {
    const prod = urlOf(emu, "prod");
    const devRef = (await list(prod, "instance", "instance_name=dev"))[0]!.sys_id!;
    const id = (await insert(prod, "sn_instance_clone_request", { state: "Requested", target_instance: devRef }))
        .sys_id!;
    for (let i = 0; i < 500; i++) {
        const r = (await list(prod, "sn_instance_clone_request", `sys_id=${id}`))[0]!;
        if (["Completed", "Error", "Canceled"].includes(r.state!)) return r;
        await new Promise((res) => setTimeout(res, 15));
    }
    throw new Error(`clone ${id} did not end`);
}

describe("integrations, banners and Data Privacy tables", () => {
    describe("the production seed", () => {
        let emu: RunningEmulator;
        before(async () => {
            emu = await start({ instances: [{ name: "prod" }], users: 300 });
        });
        after(() => emu.stop());

        it("has IntegrationHub connections through their aliases, with credentials, on production hosts", async () => {
            const base = urlOf(emu);
            const connections = await list(base, "sys_connection", "", "sys_id,name,sys_class_name,connection_alias");
            assert.ok(connections.some((c) => c.sys_class_name === "http_connection"));
            assert.ok(connections.some((c) => c.sys_class_name === "jdbc_connection"));
            const http = await list(base, "http_connection", "active=true");
            assert.ok(http.length >= 3);
            for (const c of http) {
                const alias = await list(base, "sys_alias", `sys_id=${c.connection_alias}`);
                assert.equal(alias.length, 1, `connection ${c.name} resolves through its alias`);
                assert.equal(new URL(c.connection_url!).hostname, c.host);
            }
            const withCredential = http.filter((c) => c.credential !== "");
            assert.ok(withCredential.length >= 2);
            const cred = (await list(base, "discovery_credentials", `sys_id=${withCredential[0]!.credential}`))[0]!;
            assert.ok(!cred.password, "a password field is never returned");
            assert.notEqual(emu.instances.get("prod")!.db.get("discovery_credentials", cred.sys_id!)!.password, "");
        });

        it("has JDBC and file data sources and OAuth providers pointing at production", async () => {
            const base = urlOf(emu);
            const sources = await list(base, "sys_data_source", "typeINJDBC,File");
            const hosts = sources.map((s) => s.jdbc_server || s.server || new URL(s.file_path!).hostname);
            assert.deepEqual(hosts.sort(), ["files.acme-corp.com", "hrdb.acme-corp.com", "sftp.acme-corp.com"]);
            const providers = await list(base, "oauth_entity", "type=oauth_provider");
            assert.ok(providers.some((p) => p.token_url === "https://auth.acme-corp.com/oauth/token"));
            for (const h of ["api.payments.acme-corp.com", "auth.acme-corp.com"])
                assert.ok(PRODUCTION_INTEGRATION_HOSTS.includes(h as (typeof PRODUCTION_INTEGRATION_HOSTS)[number]));
            const client = await list(base, "oauth_entity", "client_id=emulator-client");
            assert.equal(client[0]!.type, "client", "the inbound client keeps working as before");
        });

        it("shows an active Next Experience banner announcement, and the Data Privacy techniques", async () => {
            const base = urlOf(emu);
            const banners = await list(base, "sys_ux_banner_announcement", "active=true");
            assert.equal(banners.length, 1);
            assert.match(banners[0]!.heading!, /maintenance/);
            const types = (await list(base, "dp_technique")).map((t) => t.type).sort();
            assert.deepEqual(types, ["no_action", "random_replace", "remove", "selective_replace", "static_replace"]);
        });

        it("holds personal data: users' phones, and tickets naming their callers", async () => {
            const base = urlOf(emu);
            const people = await list(base, "sys_user", "web_service_access_only=false^phoneISEMPTY");
            assert.equal(people.length, 0, "every person has a phone number");
            const incidents = await list(base, "incident", "", "number,description,caller_id");
            assert.ok(incidents.length >= 20);
            const first = incidents[0]!;
            const caller = (await list(base, "sys_user", `sys_id=${first.caller_id}`))[0]!;
            assert.ok(first.description!.includes(caller.email!), first.description);
            assert.ok(first.description!.includes(caller.phone!), first.description);
            assert.equal((await list(base, "sys_user", "", "sys_id")).length, 300, "the user count is as asked");
        });

        it("lists this area's tables in sys_db_object", async () => {
            const names = (
                await list(urlOf(emu), "sys_db_object", "nameSTARTSWITHdp_^ORnameINhttp_connection,sys_alias")
            )
                .map((r) => r.name)
                .sort();
            assert.ok(names.includes("http_connection") && names.includes("sys_alias") && names.includes("dp_job"));
        });
    });

    describe("a clone", () => {
        let emu: RunningEmulator;
        beforeEach(async () => {
            emu = await start({
                instances: [
                    { name: "prod", seed: "production" },
                    { name: "dev", seed: "empty" },
                ],
                users: 60,
                jobs: 20,
                cloneDurationMs: 400,
            });
        });
        afterEach(() => emu.stop());

        it("brings connections over pointing at production, and their credentials without secrets", async () => {
            const dev = urlOf(emu, "dev");
            await insert(dev, "sys_ux_banner_announcement", { name: "DEV", heading: "This is DEV", active: true });
            const done = await cloneProdIntoDev(emu);
            assert.equal(done.state, "Completed", done.error_message);
            const http = await list(dev, "http_connection");
            assert.ok(http.some((c) => c.host === "api.payments.acme-corp.com"));
            const devDb = emu.instances.get("dev")!.db;
            const creds = devDb.query("discovery_credentials");
            assert.ok(creds.length >= 3);
            assert.ok(
                creds.every((c) => c.password === ""),
                "secrets do not survive the clone",
            );
            assert.ok(
                http.some((c) => creds.some((cr) => cr.sys_id === c.credential)),
                "the binding survives",
            );
            const banners = await list(dev, "sys_ux_banner_announcement");
            assert.deepEqual(
                banners.map((b) => b.name),
                ["Planned maintenance"],
                "the target's own banner is not preserved by default",
            );
            const log = await list(
                urlOf(emu, "prod"),
                "sn_instance_clone_log",
                `clone=${done.sys_id}^messageLIKEcredential`,
            );
            assert.equal(log.length, 1);
        });

        it("runs the Data Privacy jobs flagged apply-when-cloning, in order, and records a failed one", async () => {
            const prod = urlOf(emu, "prod");
            const dev = urlOf(emu, "dev");
            const technique = (type: string) => list(prod, "dp_technique", `type=${type}`).then((r) => r[0]!.sys_id!);
            const users = await insert(prod, "dp_configuration", {
                name: "Mask users",
                table: "sys_user",
                condition: "web_service_access_only=false",
                apply_when_cloning: true,
                order: 100,
            });
            await insert(prod, "dp_field_technique", {
                configuration: users.sys_id,
                field: "email",
                technique: await technique("static_replace"),
            });
            await insert(prod, "dp_field_technique", {
                configuration: users.sys_id,
                field: "phone",
                technique: await technique("remove"),
            });
            const broken = await insert(prod, "dp_configuration", {
                name: "Mask a field that is not there",
                table: "incident",
                apply_when_cloning: true,
                order: 200,
            });
            await insert(prod, "dp_field_technique", {
                configuration: broken.sys_id,
                field: "u_ssn",
                technique: await technique("remove"),
            });
            await insert(prod, "dp_configuration", { name: "Not for clones", table: "incident", order: 50 });

            const done = await cloneProdIntoDev(emu);
            assert.equal(done.state, "Completed", done.error_message);
            const fed = await list(dev, "dp_federated_job");
            assert.equal(fed.length, 1);
            assert.equal(fed[0]!.state, "Failed");
            const jobs = await list(dev, "dp_job", "ORDERBYorder");
            assert.deepEqual(
                jobs.map((j) => [j.table, j.state]),
                [
                    ["sys_user", "Completed"],
                    ["incident", "Failed"],
                ],
            );
            assert.match(jobs[1]!.error_message!, /u_ssn does not exist on incident/);
            const people = await list(dev, "sys_user", "web_service_access_only=false", "email,phone");
            assert.ok(people.length > 10);
            for (const p of people) {
                // Static Replace keeps the length by default: TEXT123 repeated and cut to the original's length.
                assert.ok(p.email!.length > 0 && "TEXT123".repeat(20).startsWith(p.email!), p.email);
                assert.equal(p.phone, "");
            }
            assert.equal(jobs[0]!.records_processed, String(people.length));
            // Production itself is untouched: the jobs run on the target only.
            assert.equal((await list(prod, "sys_user", "emailLIKETEXT123")).length, 0);
        });
    });
});
