/**
 * The environment's stack config: which post-clone checklist items a stack manages, and with what values.
 *
 * Every item lives under the `environment:` namespace of a stack file (stacks/Pulumi.<env>.yaml). An item left out is
 * not managed. Validation is pure (no Pulumi), so it tests without an engine and the same messages reach the user as
 * check failures that name the config key, the value received and the fix.
 */
import { z } from "zod";
import { ChangeWindow, GovernanceInputs } from "../../provider/clone/governance";
import { EmailPolicyInputs, requireRedirectWhenSending } from "../../provider/resources/email-policy";
import { InFlightWorkInputs } from "../../provider/resources/in-flight-work";
import { InstanceBrandingInputs } from "../../provider/resources/instance-branding";
import { IntegrationEndpointsInputs } from "../../provider/resources/integration-endpoints";
import { LdapServerStateInputs } from "../../provider/resources/ldap-server-state";
import { MidServerStateInputs } from "../../provider/resources/mid-server-state";
import { PluginStateInputs } from "../../provider/resources/plugin-state";
import { PostCloneChecksInputs } from "../../provider/resources/post-clone-checks";
import { ScheduledJobStateInputs } from "../../provider/resources/scheduled-job-state";
import { UserLockoutInputs } from "../../provider/resources/user-lockout";
import { MaskingConfig } from "./masking";

/** The config namespace of the checklist items. */
export const NAMESPACE = "environment";

/**
 * A checklist item's schema: the provider's own input schema without `connection` (the environment program picks
 * the connection), strict so a misspelled key is reported. `overrides` are the deliberate differences.
 */
function fromProvider<S extends z.ZodRawShape, O extends z.ZodRawShape = Record<never, never>>(
    shape: S,
    overrides?: O,
) {
    const { connection: _connection, ...rest } = shape;
    const merged = { ...rest, ...(overrides ?? {}) } as Omit<S, "connection" | keyof O> & O;
    return z.strictObject(merged);
}

/**
 * `environment:branding`: how the instance says it is not production. Deliberately stricter than InstanceBranding:
 * an environment that brands itself must give the banner text.
 */
export const BrandingConfig = fromProvider(InstanceBrandingInputs.shape, {
    bannerText: InstanceBrandingInputs.shape.bannerText.unwrap(),
});

/**
 * `environment:email`: off, or on and redirected to test mailboxes. The SMTP account and its password are
 * deliberately not environment config (a password does not belong in a stack file).
 */
export const EmailConfig = z
    .strictObject({
        sending: EmailPolicyInputs.shape.sending,
        receiving: EmailPolicyInputs.shape.receiving,
        redirectTo: EmailPolicyInputs.shape.redirectTo,
    })
    .superRefine((v, ctx) => {
        requireRedirectWhenSending(v, ctx);
    });

/**
 * `environment:access`: who may still sign in; everyone else in scope is locked out. Deliberately, allowRoles has no
 * default here: an environment names the roles that keep access.
 */
export const AccessConfig = fromProvider(UserLockoutInputs.shape, {
    allowRoles: UserLockoutInputs.shape.allowRoles.unwrap(),
});

/** `environment:ldap`: LDAP servers (and their scheduled loads) switched off. */
export const LdapConfig = fromProvider(LdapServerStateInputs.shape);

/** `environment:jobs`: active scheduled jobs switched off, except an allow-list. */
export const JobsConfig = fromProvider(ScheduledJobStateInputs.shape);

/** `environment:midServers`: MID servers brought back after a clone. */
export const MidServersConfig = fromProvider(MidServerStateInputs.shape);

/** `environment:integrations`: outbound endpoints rewritten to sandboxes; none may point at production. */
export const IntegrationsConfig = fromProvider(IntegrationEndpointsInputs.shape);

/** `environment:properties`: any other sys_properties, name to value (values are strings on the platform). */
export const PropertiesConfig = z
    .record(
        z.string(),
        z.string({ error: 'property values are strings on the platform; quote them, e.g. "true" or "240"' }),
    )
    // Checked here rather than as the record's key schema: zod reports a bad key as "Invalid key in record" with the
    // value as what it received, which names neither the key nor the rule.
    .superRefine((record, ctx) => {
        for (const name of Object.keys(record)) {
            if (/^[A-Za-z0-9_.-]+$/.test(name)) continue;
            ctx.addIssue({
                code: "custom",
                path: [name],
                input: name,
                message:
                    "property names are sys_properties names (letters, digits, '.', '_' or '-'), " +
                    "such as glide.ui.session_timeout",
            });
        }
    });

/**
 * `environment:clone`: a {@link CloneRun} the checklist follows. `attach` (the default) follows the latest clone into
 * the target, however it was made, and needs only the target connection; `request` asks the source for a new clone.
 */
export const CloneConfig = z.strictObject({
    mode: z.enum(["attach", "request"], { error: 'mode must be "attach" or "request"' }).default("attach"),
    profile: z.string().min(1).optional(),
    historyFrom: z.enum(["source", "target"]).optional(),
    timeoutMinutes: z.number().positive().optional(),
    pollSeconds: z.number().positive().optional(),
    /** Fail preview naming each piece of work a requested clone would destroy (declared work counts as carried). */
    requireNoLoss: z.boolean({ error: "requireNoLoss must be true or false" }).optional(),
});

/**
 * `environment:plugins`: plugins that must be active after every clone (PluginState). Deliberate differences: the
 * list is `activate`, and `captureBeforeClone` adds whatever was active on the target just before a requested clone.
 */
export const PluginsConfig = z.strictObject({
    activate: PluginStateInputs.shape.plugins.default([]),
    captureBeforeClone: z.boolean({ error: "captureBeforeClone must be true or false" }).default(false),
    rollbackOnDestroy: PluginStateInputs.shape.rollbackOnDestroy,
    timeoutMinutes: PluginStateInputs.shape.timeoutMinutes,
    pollSeconds: PluginStateInputs.shape.pollSeconds,
});

/**
 * `environment:inFlight`: update sets carried across a clone (InFlightWork). `park` (default true) parks them on the
 * holding instance just before a requested clone.
 */
export const InFlightConfig = fromProvider(InFlightWorkInputs.shape, {
    park: z.boolean({ error: "park must be true or false" }).default(true),
});

/**
 * `environment:verify`: the verification gate (ATF suites, and thresholds and severities of the built-in checks). The
 * hosts and allow-lists the checks compare against are the environment's own `integrations`, `access` and `jobs`.
 */
export const VerifyConfig = z.strictObject(
    PostCloneChecksInputs.pick({ suites: true, thresholds: true, severities: true, enforce: true }).shape,
);

/** The whole environment: every checklist item is optional. */
export const EnvironmentConfig = z
    .strictObject({
        /** Display name of the environment, e.g. "QA". */
        label: z.string().min(1).optional(),
        clone: CloneConfig.optional(),
        /** Change control around the requested clone (docs/change-control.md). */
        change: GovernanceInputs.optional(),
        /** The change window (UTC), a shortcut for `change.window`. */
        window: ChangeWindow.optional(),
        branding: BrandingConfig.optional(),
        email: EmailConfig.optional(),
        access: AccessConfig.optional(),
        ldap: LdapConfig.optional(),
        jobs: JobsConfig.optional(),
        midServers: MidServersConfig.optional(),
        integrations: IntegrationsConfig.optional(),
        masking: MaskingConfig.optional(),
        properties: PropertiesConfig.optional(),
        plugins: PluginsConfig.optional(),
        inFlight: InFlightConfig.optional(),
        verify: VerifyConfig.optional(),
        /** Set by release tooling after a clone: every resource re-asserts its policy when it changes. */
        cloneEpoch: z.string().optional(),
    })
    .superRefine((v, ctx) => {
        if ((v.change || v.window) && v.clone?.mode !== "request") {
            ctx.addIssue({
                code: "custom",
                path: [v.change ? "change" : "window"],
                message: 'change control governs a clone this stack requests; set environment:clone.mode to "request"',
            });
        }
        // Two resources must not fight over the same users: the lockout would lock what MidServerState unlocks.
        const midRole = v.midServers?.role ?? "mid_server";
        if (v.access && v.midServers && !v.access.allowRoles.includes(midRole)) {
            ctx.addIssue({
                code: "custom",
                path: ["access", "allowRoles"],
                message: `environment:midServers keeps the MID server users (role ${midRole}) signed in, but access would lock them out; add "${midRole}" to allowRoles`,
            });
        }
    });
/** A validated environment. */
export type EnvironmentConfig = z.infer<typeof EnvironmentConfig>;

/** The checklist items, in the order the program declares them and reports show them. */
export const CHECKLIST_ITEMS = [
    "branding",
    "email",
    "access",
    "ldap",
    "jobs",
    "midServers",
    "integrations",
    "masking",
    "properties",
    "plugins",
    "inFlight",
] as const;
/** One checklist item's config key (without the namespace). */
export type ChecklistItem = (typeof CHECKLIST_ITEMS)[number];

/** One problem in the stack config: the full config key path, what was received, and what to do. */
export interface ConfigProblem {
    /** Config key and path, e.g. `environment:email.redirectTo[0]`. */
    key: string;
    /** The message, with the value received. */
    reason: string;
}

/** Result of {@link parseEnvironmentConfig}. */
export type ParseResult = { ok: true; config: EnvironmentConfig } | { ok: false; problems: ConfigProblem[] };

/**
 * Validates the `environment:*` part of a stack's config.
 *
 * @param raw config values by key without the namespace (`{ email: {...} }`); strings holding JSON (as
 *   `pulumi.runtime.allConfig()` gives structured values) are parsed first.
 * @returns the config, or one problem per bad key naming the key path, the value received and the fix.
 */
export function parseEnvironmentConfig(raw: Record<string, unknown>): ParseResult {
    const values: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(raw)) values[key] = decode(value);
    const parsed = EnvironmentConfig.safeParse(values);
    if (parsed.success) return { ok: true, config: parsed.data };
    const problems = parsed.error.issues.flatMap((issue): ConfigProblem[] => {
        if (issue.code === "unrecognized_keys") {
            return issue.keys.map((k) => ({
                key: formatKey([...issue.path, k]),
                reason: unknownKeyReason(issue.path, k),
            }));
        }
        const received = valueAt(values, issue.path);
        const shown = received === undefined ? "nothing" : JSON.stringify(received);
        return [{ key: formatKey(issue.path), reason: `${issue.message} (received ${shown})` }];
    });
    return { ok: false, problems };
}

/**
 * Picks the `environment:` keys out of a whole stack config (`namespace:key` → value), as
 * `pulumi.runtime.allConfig()` returns it.
 */
export function environmentKeys(all: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(all)) if (k.startsWith(`${NAMESPACE}:`)) out[k.slice(NAMESPACE.length + 1)] = v;
    return out;
}

/** Formats problems for a person: one line per key. */
export function formatProblems(problems: readonly ConfigProblem[]): string {
    return problems.map((p) => `${p.key}: ${p.reason}`).join("\n");
}

function unknownKeyReason(path: readonly PropertyKey[], key: string): string {
    const known = path.length === 0 ? TOP_KEYS : (ITEM_KEYS[String(path[0])] ?? []);
    const list = known.length > 0 ? `; known keys: ${known.join(", ")}` : "";
    return `unknown key "${key}" (a typo?)${list}`;
}

const TOP_KEYS = ["label", "clone", "change", "window", ...CHECKLIST_ITEMS, "verify", "cloneEpoch"];

const ITEM_KEYS: Record<string, string[]> = {
    branding: Object.keys(BrandingConfig.shape),
    email: Object.keys(EmailConfig.shape),
    access: Object.keys(AccessConfig.shape),
    ldap: Object.keys(LdapConfig.shape),
    jobs: Object.keys(JobsConfig.shape),
    midServers: Object.keys(MidServersConfig.shape),
    integrations: Object.keys(IntegrationsConfig.shape),
    masking: Object.keys(MaskingConfig.shape),
    clone: Object.keys(CloneConfig.shape),
    plugins: Object.keys(PluginsConfig.shape),
    inFlight: Object.keys(InFlightConfig.shape),
    change: Object.keys(GovernanceInputs.shape),
    verify: Object.keys(VerifyConfig.shape),
};

function formatKey(path: readonly PropertyKey[]): string {
    let out = NAMESPACE;
    for (const [i, seg] of path.entries()) {
        if (typeof seg === "number") out += `[${seg}]`;
        else out += i === 0 ? `:${String(seg)}` : `.${String(seg)}`;
    }
    return out;
}

function decode(value: unknown): unknown {
    if (typeof value !== "string") return value;
    const t = value.trim();
    if (t.startsWith("{") || t.startsWith("[")) {
        try {
            return JSON.parse(t);
        } catch {
            return value;
        }
    }
    return value;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
    let cur: unknown = root;
    for (const key of path) {
        if (cur === null || typeof cur !== "object") return undefined;
        cur = (cur as Record<PropertyKey, unknown>)[key];
    }
    return cur;
}
