/**
 * The SDK face of InstanceBranding: typed arguments and outputs over the shimmed `instance-branding` provider.
 */
import * as pulumi from "@pulumi/pulumi";
import { shimProvider } from "../provider/pulumi/shim";

/** Arguments of an {@link InstanceBranding}. Each setting left out is not managed. */
export interface InstanceBrandingArgs {
    /** The named connection to write through. @default "target" */
    connection?: pulumi.Input<"target" | "source">;
    /** Header text next to the logo (`glide.product.description`). @default not managed */
    bannerText?: pulumi.Input<string>;
    /** UI16 base colour (`css.base.color`), a CSS hex colour. @default not managed */
    baseColor?: pulumi.Input<string>;
    /** Welcome page content text (HTML allowed) for this environment. @default not managed */
    welcomeText?: pulumi.Input<string>;
    /** Short description identifying the welcome content record; adopted if it exists. @default "Environment notice" */
    welcomeTitle?: pulumi.Input<string>;
    /** Set every other active welcome content record inactive, so this notice is the one shown. @default true */
    exclusiveWelcome?: pulumi.Input<boolean>;
    /**
     * Table behind "System UI › Welcome Page Content" (its name is not documented publicly; check sys_db_object on
     * your instance). @default "welcome_page_content"
     */
    welcomePageTable?: pulumi.Input<string>;
    /**
     * The completion of the clone this policy follows (usually `cloneRun.epoch`): when it changes, the next `up`
     * re-asserts the policy even if nothing else changed. @default none
     */
    cloneEpoch?: pulumi.Input<string>;
}

/**
 * Labels an instance as non-production: banner text, base colour and an active welcome notice. Previous values are
 * restored on destroy, and a welcome record it created is deleted.
 *
 * @example
 * new InstanceBranding("qa-branding", {
 *     bannerText: "ACME QA (non-production)",
 *     baseColor: "#8a2be2",
 *     welcomeText: "<p>This is QA. Data is refreshed from production every month.</p>",
 * });
 */
export class InstanceBranding extends pulumi.dynamic.Resource {
    /** The welcome content record managed. */
    declare readonly welcomeSysId: pulumi.Output<string | undefined>;
    /** Property values before this resource first wrote them (null: created by it). */
    declare readonly previous: pulumi.Output<Record<string, string | null>>;

    constructor(name: string, args: InstanceBrandingArgs = {}, opts?: pulumi.CustomResourceOptions) {
        super(
            shimProvider("instance-branding"),
            name,
            { welcomeSysId: undefined, previous: undefined, ...args },
            opts,
            "servicenow",
            "InstanceBranding",
        );
    }
}
