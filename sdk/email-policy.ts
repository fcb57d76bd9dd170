/**
 * The SDK face of EmailPolicy: typed arguments and outputs over the shimmed `email-policy` provider.
 */
import * as pulumi from "@pulumi/pulumi";
import { shimProvider } from "../provider/pulumi/shim";
import { READ_ACTIVE, SMTP_ACTIVE, TEST_USER } from "../provider/resources/email-policy";
import { claimRecords } from "./claims";

/** SMTP account settings; each field left out is left as it is on the instance. */
export interface SmtpAccountArgs {
    /** The sys_email_account name. @default the first active SMTP account */
    name?: pulumi.Input<string>;
    /** SMTP host, e.g. `smtp.sandbox.example.com`. */
    server?: pulumi.Input<string>;
    /** SMTP port. */
    port?: pulumi.Input<number>;
    /** SMTP user name. */
    userName?: pulumi.Input<string>;
}

/** Arguments of an {@link EmailPolicy}. */
export interface EmailPolicyArgs {
    /** The named connection to write through. @default "target" */
    connection?: pulumi.Input<"target" | "source">;
    /** Outbound email on (`glide.email.smtp.active`). Requires `redirectTo`. @default false */
    sending?: pulumi.Input<boolean>;
    /** Inbound email on (`glide.email.read.active`). @default false */
    receiving?: pulumi.Input<boolean>;
    /** Test mailboxes that receive all outbound mail (`glide.email.test.user`). @default not managed */
    redirectTo?: pulumi.Input<pulumi.Input<string>[]>;
    /** The SMTP account to point at a sandbox server. @default not managed */
    smtpAccount?: pulumi.Input<SmtpAccountArgs>;
    /**
     * The SMTP account password; always stored as a secret, never returned as an output (only a salted fingerprint is
     * kept). The platform never returns the old password, so destroy cannot put it back. @default not managed
     */
    smtpPassword?: pulumi.Input<string>;
    /**
     * The completion of the clone this policy follows (usually `cloneRun.epoch`): when it changes, the next `up`
     * re-asserts the policy even if nothing else changed. @default none
     */
    cloneEpoch?: pulumi.Input<string>;
}

/**
 * Email on a non-production instance: sending and receiving off, or on with all mail redirected to test mailboxes,
 * and optionally the SMTP account. Previous values are kept and restored on destroy; only differing properties are
 * written.
 *
 * @example
 * new EmailPolicy("qa-email", { sending: true, redirectTo: ["qa-inbox@example.com"], receiving: false });
 */
export class EmailPolicy extends pulumi.dynamic.Resource {
    /** Live `glide.email.smtp.active`. */
    declare readonly sending: pulumi.Output<boolean>;
    /** Live `glide.email.read.active`. */
    declare readonly receiving: pulumi.Output<boolean>;
    /** Property values before this resource first wrote them (null: created by it). */
    declare readonly previous: pulumi.Output<Record<string, string | null>>;
    /** The adopted SMTP account, when `smtpAccount` is set. */
    declare readonly smtpAccountSysId: pulumi.Output<string | undefined>;

    constructor(name: string, args: EmailPolicyArgs = {}, opts?: pulumi.CustomResourceOptions) {
        const { smtpPassword, ...rest } = args;
        super(
            shimProvider("email-policy"),
            name,
            {
                previous: undefined,
                smtpAccountSysId: undefined,
                ...rest,
                // Secret in state even when the caller passed a plain string.
                ...(smtpPassword !== undefined ? { smtpPassword: pulumi.secret(smtpPassword) } : {}),
            },
            opts,
            "servicenow",
            "EmailPolicy",
        );
        claimRecords(`EmailPolicy "${name}"`, args.connection, [
            ["sys_properties", SMTP_ACTIVE],
            ["sys_properties", READ_ACTIVE],
            ...(args.redirectTo !== undefined ? [["sys_properties", TEST_USER] as [string, string]] : []),
        ]);
    }
}
