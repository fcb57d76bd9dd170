/**
 * The `diff` rule of the adopt-and-restore resources: only input keys are compared (remembered values are
 * bookkeeping, never a reason to write), and a change to an identity key replaces the resource, deleting first.
 */
import { sameJson } from "../adopt/row";

/** What {@link diffInputs} returns: Pulumi's DiffResult, narrowed. */
export interface InputDiff {
    changes: boolean;
    replaces: string[];
    deleteBeforeReplace?: boolean;
}

/**
 * Compares the input keys of olds and news.
 *
 * @param inputKeys keys of the resource's input schema.
 * @param replaceKeys keys whose change means a different thing is managed (e.g. a property name or the connection).
 */
export function diffInputs(
    olds: object,
    news: object,
    inputKeys: readonly string[],
    replaceKeys: readonly string[] = [],
): InputDiff {
    const o = olds as Record<string, unknown>;
    const n = news as Record<string, unknown>;
    const changed = inputKeys.filter((k) => !sameJson(o[k], n[k]));
    const replaces = changed.filter((k) => replaceKeys.includes(k));
    // Delete before replace: the old resource must restore the setting before the new one adopts it, or the new one
    // would remember the old resource's value as "previous".
    return { changes: changed.length > 0, replaces, ...(replaces.length ? { deleteBeforeReplace: true } : {}) };
}

/** True when the input keys of `a` and `b` are equal (`undefined` and `null` count as the same absence). */
export function sameInputs(keys: readonly string[], a: object, b: object): boolean {
    const ao = a as Record<string, unknown>;
    const bo = b as Record<string, unknown>;
    return keys.every((k) => sameJson(ao[k] ?? null, bo[k] ?? null));
}
