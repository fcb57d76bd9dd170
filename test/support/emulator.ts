/**
 * Mocha set-up shared by the provider tests that run against the emulator.
 */
import { type ChecklistInstance, startChecklistInstance } from "../fixtures/checklist/harness";

/**
 * Starts one checklist instance (a freshly cloned target, connections configured) before the suite's tests and stops
 * it after them; call it inside `describe`.
 *
 * The instance only exists once `before` has run, so the returned object forwards each use to it: the suite can hold
 * it in a `const` and use it in every test.
 *
 * @example const env = useChecklistInstance(); // then env.instance.db, env.mark(), env.writesSince(seq) in tests
 */
export function useChecklistInstance(): ChecklistInstance {
    let started: ChecklistInstance | undefined;
    before(async () => {
        started = await startChecklistInstance();
    });
    after(async () => {
        await started?.stop();
    });
    const current = (): ChecklistInstance => {
        if (!started) throw new Error("the checklist instance starts in before(): use it inside a test or a hook");
        return started;
    };
    return {
        get emulator() {
            return current().emulator;
        },
        get instance() {
            return current().instance;
        },
        mark: () => current().mark(),
        writesSince: (seq) => current().writesSince(seq),
        stop: () => current().stop(),
    };
}
