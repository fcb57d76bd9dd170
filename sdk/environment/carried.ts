/**
 * What a requested clone carries across for an environment: the update sets it parks on the holding instance and
 * the plugins PluginState activates again, from `environment:inFlight` and `environment:plugins`. Shared by the
 * environment program (CloneRun's inputs) and the Automation API's clone (`sn-clone apply --clone`), so both count
 * the same work as carried.
 */
import type { EnvironmentConfig } from "./config";

/** The work a requested clone carries, as CloneRun's in-flight inputs. */
export interface CarriedByClone {
    /** `inFlight.updateSets`, unless `inFlight.park` is false (the sets were parked some other way). */
    parkUpdateSets: string[];
    /** `plugins.captureBeforeClone`: re-activate whatever was active on the target just before the clone. */
    capturePlugins: boolean;
    /** `plugins.activate`. */
    carriedPlugins: string[];
}

/** What a requested clone parks and counts as carried, from environment:inFlight and environment:plugins. */
export function carriedByClone(config: Pick<EnvironmentConfig, "inFlight" | "plugins">): CarriedByClone {
    const park = config.inFlight?.park !== false ? (config.inFlight?.updateSets ?? []) : [];
    return {
        parkUpdateSets: park,
        capturePlugins: config.plugins?.captureBeforeClone ?? false,
        carriedPlugins: config.plugins?.activate ?? [],
    };
}
