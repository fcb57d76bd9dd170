/**
 * InstanceBranding: banner text, base colour and the welcome notice that say "not production", a spec of the
 * settings skeleton (properties and welcome records adopted and restored).
 */
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import {
    applyRecordChanges,
    convergeProperties,
    insertNoted,
    type PropertyMemory,
    type RecordClient,
    type RecordMemory,
    type RecordTarget,
    type Row,
    readProperties,
    restoreProperties,
    restoreRecordChanges,
    UndoJournal,
} from "../adopt";
import { eqQuery } from "../client/query";
import { ConnectionInput } from "../connection";
import { settingsProvider, singletonId } from "../skeletons/settings";

/**
 * Default table of "System UI › Welcome Page Content". The real name is not documented publicly; the emulator uses the
 * same default, and `welcomePageTable` overrides it for a real instance (look it up in sys_db_object by its label).
 */
export const DEFAULT_WELCOME_TABLE = "welcome_page_content";

/** Inputs of {@link instanceBrandingProvider}. Each setting left out is not managed. */
export const InstanceBrandingInputs = z.object({
    connection: ConnectionInput,
    bannerText: z
        .string()
        .min(1, { error: 'bannerText must not be empty; give the header text, e.g. "ACME QA (non-production)"' })
        .optional(),
    baseColor: z
        .string()
        .regex(/^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/, {
            error: 'baseColor must be a CSS hex colour such as "#8a2be2"',
        })
        .optional(),
    welcomeText: z
        .string()
        .min(1, { error: "welcomeText must not be empty; omit it to leave the welcome page alone" })
        .optional(),
    welcomeTitle: z
        .string()
        .min(1, { error: "welcomeTitle must not be empty; it is the short description that identifies the record" })
        .default("Environment notice"),
    exclusiveWelcome: z.boolean().default(true),
    welcomePageTable: z
        .string()
        .regex(/^[a-z][a-z0-9_]*$/, {
            error: `welcomePageTable must be a table name such as "${DEFAULT_WELCOME_TABLE}" (look it up in sys_db_object by the label "Welcome Page Content")`,
        })
        .default(DEFAULT_WELCOME_TABLE),
});
/** Normalized inputs. */
export type InstanceBrandingInputs = z.infer<typeof InstanceBrandingInputs>;

/** Outputs: inputs as live, plus what destroy needs. */
export interface InstanceBrandingOutputs extends InstanceBrandingInputs {
    /** Property name to value before this resource first wrote it (null: created by this resource). */
    previous: PropertyMemory;
    /** The welcome content record this resource manages. */
    welcomeSysId?: string;
    /** Previous field values of the welcome records changed (ours, and others set inactive); created ones flagged. */
    welcomePrevious: RecordMemory[];
}

/** Header text next to the logo (Core UI). */
export const BANNER_PROPERTY = "glide.product.description";
/** UI16 base colour. */
export const COLOR_PROPERTY = "css.base.color";

const INPUT_KEYS = [
    "connection",
    "bannerText",
    "baseColor",
    "welcomeText",
    "welcomeTitle",
    "exclusiveWelcome",
    "welcomePageTable",
] as const;
const WELCOME_FIELDS = ["sys_id", "short_description", "active", "text"];

/** The property values the inputs ask for. */
export function desiredBrandingProperties(inputs: InstanceBrandingInputs): Record<string, string> {
    const d: Record<string, string> = {};
    if (inputs.bannerText !== undefined) d[BANNER_PROPERTY] = inputs.bannerText;
    if (inputs.baseColor !== undefined) d[COLOR_PROPERTY] = inputs.baseColor;
    return d;
}

/**
 * Plans the welcome content: our record (by short description) active with the text, and with `exclusiveWelcome`
 * every other active record inactive, so the environment's notice is the one users see.
 */
export function planWelcome(
    table: string,
    rows: readonly Row[],
    inputs: InstanceBrandingInputs,
): { ours: Row | undefined; targets: RecordTarget[] } {
    const ours = rows.find((r) => r.short_description === inputs.welcomeTitle);
    const targets: RecordTarget[] = [];
    if (ours) {
        targets.push({
            table,
            sysId: ours.sys_id ?? "",
            label: ours.short_description,
            live: ours,
            desired: { active: "true", text: inputs.welcomeText ?? "" },
        });
    }
    if (inputs.exclusiveWelcome) {
        for (const r of rows) {
            if (r !== ours && r.active === "true") {
                targets.push({
                    table,
                    sysId: r.sys_id ?? "",
                    label: r.short_description,
                    live: r,
                    desired: { active: "false" },
                });
            }
        }
    }
    return { ours, targets };
}

/** Converges branding; a first apply that fails part-way puts back what it wrote. */
export async function applyInstanceBranding(
    client: RecordClient,
    inputs: InstanceBrandingInputs,
    prior?: InstanceBrandingOutputs,
    journal = new UndoJournal(),
): Promise<InstanceBrandingOutputs> {
    let welcome: RecordMemory[] = prior?.welcomePrevious ?? [];
    const desired = desiredBrandingProperties(inputs);
    const memory = await convergeProperties(client, desired, prior?.previous ?? {}, {}, journal);

    // Welcome content no longer managed, or managed in another table: put the old records back first.
    if (
        welcome.length > 0 &&
        (inputs.welcomeText === undefined || prior?.welcomePageTable !== inputs.welcomePageTable)
    ) {
        await restoreRecordChanges(client, welcome);
        welcome = [];
    }
    let welcomeSysId: string | undefined;
    if (inputs.welcomeText !== undefined) {
        const table = inputs.welcomePageTable;
        const rows = await client.query(table, { query: "ORDERBYorder", fields: WELCOME_FIELDS, limit: 1000 });
        const plan = planWelcome(table, rows, inputs);
        // Another record of ours (by an old title) is no longer ours: restore it.
        const stale = welcome.filter((m) => m.sysId !== plan.ours?.sys_id && m.created);
        if (stale.length > 0) {
            await restoreRecordChanges(client, stale);
            welcome = welcome.filter((m) => !stale.includes(m));
        }
        welcome = await applyRecordChanges(client, plan.targets, welcome, journal);
        welcomeSysId = plan.ours?.sys_id;
        if (!plan.ours) {
            const created = await insertNoted(
                client,
                table,
                { short_description: inputs.welcomeTitle, active: "true", text: inputs.welcomeText, order: "0" },
                journal,
                inputs.welcomeTitle,
            );
            welcomeSysId = created.row.sys_id;
            welcome.push(created.memory);
        }
    }
    return {
        ...inputs,
        previous: memory,
        welcomePrevious: welcome,
        ...(welcomeSysId ? { welcomeSysId } : {}),
    };
}

/** Live state shaped like the outputs, and the inputs that would produce it. */
export async function readInstanceBranding(
    client: RecordClient,
    props: InstanceBrandingOutputs,
): Promise<{ props: InstanceBrandingOutputs; inputs: InstanceBrandingInputs }> {
    const live = await readProperties(client, [BANNER_PROPERTY, COLOR_PROPERTY]);
    const next: InstanceBrandingOutputs = { ...props };
    if (props.bannerText !== undefined) next.bannerText = live.get(BANNER_PROPERTY)?.value ?? "";
    if (props.baseColor !== undefined) next.baseColor = live.get(COLOR_PROPERTY)?.value ?? "";
    if (props.welcomeText !== undefined) {
        const rows = await client.query(props.welcomePageTable, {
            query: "ORDERBYorder",
            fields: WELCOME_FIELDS,
            limit: 1000,
        });
        const ours = rows.find((r) => r.sys_id === props.welcomeSysId);
        // Our notice gone or switched off reads as "no welcome text", so the diff names welcomeText.
        next.welcomeText = ours && ours.active === "true" ? (ours.text ?? "") : "";
        next.welcomeTitle = ours?.short_description ?? props.welcomeTitle;
        if (props.exclusiveWelcome) {
            next.exclusiveWelcome = !rows.some((r) => r.sys_id !== props.welcomeSysId && r.active === "true");
        }
    }
    const { previous: _p, welcomePrevious: _w, welcomeSysId: _s, ...inputs } = next;
    return { props: next, inputs };
}

/** Dynamic provider for `InstanceBranding`. */
export const instanceBrandingProvider: pulumi.dynamic.ResourceProvider<
    InstanceBrandingInputs,
    InstanceBrandingOutputs
> = settingsProvider<InstanceBrandingInputs, InstanceBrandingOutputs>({
    id: (inputs) => singletonId("instance-branding", inputs.connection),
    schema: InstanceBrandingInputs,
    inputKeys: INPUT_KEYS,
    // The welcome-page table must exist: resolved at check, before anything is written.
    async lookup(connect, inputs) {
        if (inputs.welcomeText === undefined) return [];
        const client = await connect();
        const table = inputs.welcomePageTable;
        const found = await client.query("sys_db_object", {
            query: eqQuery("name", table),
            fields: ["name"],
            limit: 1,
        });
        if (found.length > 0) return [];
        return [
            {
                property: "welcomePageTable",
                reason:
                    `welcomePageTable "${table}" is not a table on ${client.url} (sys_db_object has no such name); ` +
                    'look it up in sys_db_object by the label "Welcome Page Content" and set it',
            },
        ];
    },
    apply: applyInstanceBranding,
    read: readInstanceBranding,
    async restore(client, props) {
        await restoreRecordChanges(client, props.welcomePrevious ?? []);
        await restoreProperties(client, props.previous ?? {});
    },
});
