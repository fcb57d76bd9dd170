/**
 * The demo's verification step: `sn-clone verify`'s library form on the qa environment, once right after the clone
 * (production's endpoints, jobs and users are still live, so the gate fails) and once after the apply (it passes).
 */
import type { EnvironmentSession } from "../sdk/automation/environment";
import { formatVerificationText, verifySession } from "../sdk/automation/verify";

/**
 * Verifies an environment and prints the report, indented for the demo's output.
 *
 * @returns whether the gate passed.
 */
export async function demoVerify(
    session: EnvironmentSession,
    say: (text?: string) => void,
    when: string,
): Promise<boolean> {
    say(`      Verifying ${session.environment} ${when} (sn-clone verify ${session.environment}: ATF suite + checks):`);
    const report = await verifySession(session, { pollMs: 100 });
    const text = formatVerificationText(report, { color: process.stdout.isTTY === true });
    for (const line of text.trimEnd().split("\n")) say(`        ${line}`);
    return report.passed;
}
