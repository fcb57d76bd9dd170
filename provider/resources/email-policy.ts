/**
 * EmailPolicy: outbound and inbound email switches, the test-mailbox redirect and the SMTP account, a spec of the
 * settings skeleton (the password is never kept: only a salted fingerprint).
 */
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import {
    applyRecordChanges,
    convergeProperties,
    type PropertyMemory,
    type RecordClient,
    type RecordMemory,
    type Row,
    readProperties,
    restoreProperties,
    restoreRecordChanges,
    UndoJournal,
} from "../adopt";
import { ConnectionInput } from "../connection";
import { InputError } from "../errors";
import { toCheckResult } from "../pulumi/check";
import { settingsProvider, singletonId } from "../skeletons/settings";

/** The SMTP account settings EmailPolicy may set; each omitted field is left as it is. */
export const SmtpAccountInput = z.object({
    name: z
        .string()
        .min(1, {
            error: "smtpAccount.name must name a sys_email_account record; omit it to use the active SMTP account",
        })
        .optional(),
    server: z
        .string()
        .regex(/^[A-Za-z0-9.-]+$/, {
            error: "smtpAccount.server must be a host name such as smtp.sandbox.example.com (no scheme, no port)",
        })
        .optional(),
    port: z
        .number()
        .int()
        .min(1, { error: "smtpAccount.port must be a TCP port between 1 and 65535, e.g. 587" })
        .max(65535, { error: "smtpAccount.port must be a TCP port between 1 and 65535, e.g. 587" })
        .optional(),
    userName: z.string().optional(),
});

/** Inputs of {@link emailPolicyProvider}. */
/**
 * The email rule every layer enforces: a non-production instance that sends mail must redirect all of it to test
 * mailboxes. Used by EmailPolicy's schema and by the environment config, so both name the same fix.
 */
export function requireRedirectWhenSending(
    v: { sending?: boolean; redirectTo?: readonly string[] | undefined },
    ctx: z.RefinementCtx,
): void {
    if (v.sending && (!v.redirectTo || v.redirectTo.length === 0)) {
        ctx.addIssue({
            code: "custom",
            path: ["redirectTo"],
            message:
                "sending is true but redirectTo is empty, so this non-production instance would mail real users; " +
                "list test mailboxes in redirectTo, or set sending to false",
        });
    }
}

export const EmailPolicyInputs = z
    .object({
        connection: ConnectionInput,
        sending: z.boolean({ error: "sending must be true or false (glide.email.smtp.active)" }).default(false),
        receiving: z.boolean({ error: "receiving must be true or false (glide.email.read.active)" }).default(false),
        redirectTo: z
            .array(
                z.email({
                    error: "each redirectTo entry must be one email address such as qa-inbox@example.com",
                }),
            )
            .optional(),
        smtpAccount: SmtpAccountInput.optional(),
        smtpPassword: z
            .string()
            .min(1, { error: "smtpPassword must not be empty; omit it to leave the password" })
            .optional(),
    })
    .superRefine((v, ctx) => {
        requireRedirectWhenSending(v, ctx);
        if (v.smtpPassword !== undefined && v.smtpAccount === undefined) {
            ctx.addIssue({
                code: "custom",
                path: ["smtpAccount"],
                message:
                    "smtpPassword is set but smtpAccount is not; set smtpAccount (at least {}) to say which account it is for",
            });
        }
    });
/** Normalized inputs. */
export type EmailPolicyInputs = z.infer<typeof EmailPolicyInputs>;

/** Outputs: inputs as live (never the password), plus what destroy needs. */
export interface EmailPolicyOutputs extends Omit<EmailPolicyInputs, "smtpPassword"> {
    /** Property name to value before this resource first wrote it (null: created by this resource). */
    previous: PropertyMemory;
    /** The adopted SMTP account's sys_id, when smtpAccount is set. */
    smtpAccountSysId?: string;
    /** The adopted account's previous field values (never the password). */
    smtpAccountPrevious?: RecordMemory;
    /**
     * A salted scrypt fingerprint of the password last written, so a changed password is noticed without keeping it.
     * The platform never returns the stored password, so it can be neither compared live nor restored on destroy.
     */
    smtpPasswordHash?: string;
}

/** Outbound email on/off. */
export const SMTP_ACTIVE = "glide.email.smtp.active";
/** Inbound email on/off. */
export const READ_ACTIVE = "glide.email.read.active";
/** Comma-separated test addresses that receive all outbound mail. */
export const TEST_USER = "glide.email.test.user";
/** Email accounts table. */
export const EMAIL_ACCOUNT_TABLE = "sys_email_account";

const INPUT_KEYS = ["connection", "sending", "receiving", "redirectTo", "smtpAccount"] as const;
const PROPERTY_TYPES = { [SMTP_ACTIVE]: "boolean", [READ_ACTIVE]: "boolean", [TEST_USER]: "string" };
const ACCOUNT_FIELDS = ["sys_id", "name", "type", "active", "server", "port", "user_name"];

/** The property values the inputs ask for; glide.email.test.user only when redirectTo is given. */
export function desiredEmailProperties(inputs: EmailPolicyInputs): Record<string, string> {
    const desired: Record<string, string> = {
        [SMTP_ACTIVE]: String(inputs.sending),
        [READ_ACTIVE]: String(inputs.receiving),
    };
    if (inputs.redirectTo) desired[TEST_USER] = inputs.redirectTo.join(",");
    return desired;
}

/** Account fields the inputs ask for (the password is handled separately). */
export function desiredAccountFields(account: z.infer<typeof SmtpAccountInput>): Row {
    const out: Row = {};
    if (account.server !== undefined) out.server = account.server;
    if (account.port !== undefined) out.port = String(account.port);
    if (account.userName !== undefined) out.user_name = account.userName;
    return out;
}

/** Hashes a password with a fresh (or the given) salt; the format is `scrypt$<salt>$<hash>`. */
export function passwordFingerprint(password: string, salt?: string): string {
    const crypto: typeof import("node:crypto") = require("node:crypto");
    const s = salt ?? crypto.randomBytes(16).toString("hex");
    return `scrypt$${s}$${crypto.scryptSync(password, s, 32).toString("hex")}`;
}

/** True when `password` is the one `fingerprint` was made from. */
export function fingerprintMatches(password: string | undefined, fingerprint: string | undefined): boolean {
    if (password === undefined || fingerprint === undefined) return password === fingerprint;
    const salt = fingerprint.split("$")[1];
    return salt !== undefined && passwordFingerprint(password, salt) === fingerprint;
}

/** Finds the account to adopt: the named one, else the first active SMTP account by name. */
export async function findSmtpAccount(client: RecordClient, account: z.infer<typeof SmtpAccountInput>): Promise<Row> {
    const rows = await client.query(EMAIL_ACCOUNT_TABLE, { query: "ORDERBYname", fields: ACCOUNT_FIELDS, limit: 1000 });
    const found = account.name
        ? rows.find((r) => r.name === account.name)
        : rows.find((r) => r.type === "smtp" && r.active === "true");
    if (!found) {
        const names = rows.map((r) => `"${r.name}"`).join(", ") || "none";
        const fix = account.name
            ? "fix the name or omit it to use the active SMTP account"
            : "name one in smtpAccount.name";
        throw new InputError(
            account.name
                ? `smtpAccount.name "${account.name}" matches no ${EMAIL_ACCOUNT_TABLE} record (accounts: ${names}); ${fix}`
                : `no active SMTP account in ${EMAIL_ACCOUNT_TABLE} (accounts: ${names}); ${fix}`,
            { property: account.name ? "smtpAccount.name" : "smtpAccount", value: account.name, fix },
        );
    }
    return found;
}

/**
 * Converges email settings: properties first, then the SMTP account.
 *
 * Notes every change in `journal` before writing it, so the skeleton can undo a failed create.
 */
export async function applyEmailPolicy(
    client: RecordClient,
    inputs: EmailPolicyInputs,
    prior?: EmailPolicyOutputs,
    journal = new UndoJournal(),
): Promise<EmailPolicyOutputs> {
    const { smtpPassword, ...rest } = inputs;
    // Resolve the account before any write: a wrong account name must fail with nothing written.
    const account = inputs.smtpAccount ? await findSmtpAccount(client, inputs.smtpAccount) : undefined;

    let accountMemory = prior?.smtpAccountPrevious;
    const desired = desiredEmailProperties(inputs);
    // A property no longer managed (redirectTo removed) goes back to its previous value.
    const memory = await convergeProperties(client, desired, prior?.previous ?? {}, PROPERTY_TYPES, journal);

    // A different account (or none) now: put the previously adopted one back first.
    if (accountMemory && accountMemory.sysId !== account?.sys_id) {
        await restoreRecordChanges(client, [accountMemory]);
        accountMemory = undefined;
    }
    let smtpPasswordHash = prior?.smtpPasswordHash;
    if (account && inputs.smtpAccount) {
        const [merged] = await applyRecordChanges(
            client,
            [
                {
                    table: EMAIL_ACCOUNT_TABLE,
                    sysId: account.sys_id ?? "",
                    label: account.name,
                    live: account,
                    desired: desiredAccountFields(inputs.smtpAccount),
                },
            ],
            accountMemory ? [accountMemory] : [],
            journal,
        );
        accountMemory = merged ?? {
            table: EMAIL_ACCOUNT_TABLE,
            sysId: account.sys_id ?? "",
            label: account.name,
            previous: {},
        };
        if (smtpPassword !== undefined && !fingerprintMatches(smtpPassword, smtpPasswordHash)) {
            await client.update(EMAIL_ACCOUNT_TABLE, account.sys_id ?? "", { password: smtpPassword });
            smtpPasswordHash = passwordFingerprint(smtpPassword);
        }
    }
    if (smtpPassword === undefined) smtpPasswordHash = undefined;
    return {
        ...rest,
        previous: memory,
        ...(account ? { smtpAccountSysId: account.sys_id } : {}),
        ...(accountMemory ? { smtpAccountPrevious: accountMemory } : {}),
        ...(smtpPasswordHash ? { smtpPasswordHash } : {}),
    };
}

/** Live state of a policy, shaped like its outputs, and the inputs that would produce it. */
export async function readEmailPolicy(
    client: RecordClient,
    props: EmailPolicyOutputs,
): Promise<{ props: EmailPolicyOutputs; inputs: Omit<EmailPolicyInputs, "smtpPassword"> }> {
    const live = await readProperties(client, [SMTP_ACTIVE, READ_ACTIVE, TEST_USER]);
    const next: EmailPolicyOutputs = {
        ...props,
        sending: live.get(SMTP_ACTIVE)?.value === "true",
        receiving: live.get(READ_ACTIVE)?.value === "true",
    };
    if (props.redirectTo !== undefined) {
        next.redirectTo = (live.get(TEST_USER)?.value ?? "")
            .split(",")
            .map((s) => s.trim())
            .filter((s) => s.length > 0);
    }
    if (props.smtpAccount && props.smtpAccountSysId) {
        const rows = await client.query(EMAIL_ACCOUNT_TABLE, {
            query: `sys_id=${props.smtpAccountSysId}`,
            fields: ACCOUNT_FIELDS,
            limit: 1,
        });
        const row = rows[0];
        const account = { ...props.smtpAccount };
        if (account.server !== undefined) account.server = row?.server ?? "";
        if (account.port !== undefined) account.port = Number(row?.port ?? 0);
        if (account.userName !== undefined) account.userName = row?.user_name ?? "";
        next.smtpAccount = account;
    }
    const { previous: _p, smtpAccountSysId: _s, smtpAccountPrevious: _a, smtpPasswordHash: _h, ...inputs } = next;
    return { props: next, inputs };
}

/** Dynamic provider for `EmailPolicy`. */
export const emailPolicyProvider: pulumi.dynamic.ResourceProvider<EmailPolicyInputs, EmailPolicyOutputs> =
    settingsProvider<EmailPolicyInputs, EmailPolicyOutputs>({
        id: (inputs) => singletonId("email-policy", inputs.connection),
        schema: EmailPolicyInputs,
        inputKeys: INPUT_KEYS,
        async check(news) {
            // The password must never reach a failure message (they echo the value received): validate a stand-in.
            const { smtpPassword, ...rest } = news as Record<string, unknown>;
            const standIn = typeof smtpPassword === "string" && smtpPassword.length > 0 ? "(secret)" : smtpPassword;
            const result = toCheckResult(
                EmailPolicyInputs,
                smtpPassword === undefined ? rest : { ...rest, smtpPassword: standIn },
            );
            if (result.failures?.length) return { failures: result.failures };
            // The engine cannot encode undefined: the key is left out when no password is given.
            const inputs = result.inputs as EmailPolicyInputs;
            return {
                inputs: smtpPassword === undefined ? inputs : { ...inputs, smtpPassword: smtpPassword as string },
            };
        },
        // A new password is a change the inputs cannot show: state keeps only its fingerprint.
        mustUpdate: (olds, news) => !fingerprintMatches(news.smtpPassword, olds.smtpPasswordHash),
        // The SMTP account must exist: resolved at check, before anything is written.
        async lookup(connect, inputs) {
            if (inputs.smtpAccount) await findSmtpAccount(await connect(), inputs.smtpAccount);
            return [];
        },
        apply: applyEmailPolicy,
        read: readEmailPolicy,
        async restore(client, props) {
            await restoreProperties(client, props.previous ?? {});
            if (props.smtpAccountPrevious) await restoreRecordChanges(client, [props.smtpAccountPrevious]);
        },
    });
