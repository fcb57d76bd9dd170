/**
 * The CI/CD API (`/api/sn_cicd/...`, versioned `/api/sn_cicd/v1/...`): plugin gate, role check, the route table, and
 * the response envelopes. Each starting call answers 200 with the progress body of a new Pending tracker.
 */
import type { ApiRequest, InstanceContext } from "../api-types";
import { type ApiResponse, errors, failure, json } from "../envelope";
import { glideDateTime } from "../values";
import { appRepoRoutes } from "./app-repo";
import { atfRoutes } from "./atf-routes";
import { activatePlugin, CICD_PLUGIN, pluginActive, pluginRow, rollbackPlugin } from "./plugins";
import { engineFor } from "./registry";
import { type CicdRoute, notFound } from "./responses";
import { CICD_ROLE } from "./tables";
import { updateSetRoutes } from "./update-sets";

export type { CicdCall, CicdRoute } from "./responses";

/** Paths the CI/CD API serves. */
export const CICD_PATH = /^\/api\/sn_cicd(?:\/v\d+)?(\/[^?]*?)\/?$/;

const progressRoute: CicdRoute = {
    method: "GET",
    path: /^\/progress\/([^/]+)$/,
    handle({ engine, args }) {
        const body = engine.progress(args[0]!);
        return body ? json(200, { result: body }) : notFound(`no execution tracker with id ${args[0]}`);
    },
};

const pluginRoutes: CicdRoute[] = [
    {
        method: "POST",
        path: /^\/plugin\/([^/]+)\/activate$/,
        handle({ ctx, args, start, now }) {
            if (!pluginRow(ctx.db, args[0]!)) return notFound(`plugin ${args[0]} does not exist on this instance`);
            return start(activatePlugin(ctx.db, args[0]!, now));
        },
    },
    {
        method: "POST",
        path: /^\/plugin\/([^/]+)\/rollback$/,
        handle({ ctx, args, start, now }) {
            if (!pluginRow(ctx.db, args[0]!)) return notFound(`plugin ${args[0]} does not exist on this instance`);
            return start(rollbackPlugin(ctx.db, args[0]!, Date.now, now));
        },
    },
];

/** Every route; areas built on the same trackers (update sets, apps, ATF) add theirs here. */
const ROUTES: CicdRoute[] = [progressRoute, ...pluginRoutes, ...updateSetRoutes, ...appRepoRoutes, ...atfRoutes];

/** Registers more routes (an area's module calls this once at load). */
export function addCicdRoutes(routes: readonly CicdRoute[]): void {
    ROUTES.push(...routes);
}

/**
 * Serves one CI/CD API request. With the CI/CD plugin inactive the namespace does not exist, so the platform's
 * "Requested URI does not represent any resource" answers; without admin or sn_cicd.sys_ci_automation, a 403.
 */
export async function cicdApi(ctx: InstanceContext, req: ApiRequest): Promise<ApiResponse> {
    if (!pluginActive(ctx.db, CICD_PLUGIN)) return errors.badUri();
    const sub = CICD_PATH.exec(req.pathname)?.[1] ?? "";
    const candidates = ROUTES.map((r) => ({ r, m: r.path.exec(sub) })).filter((x) => x.m);
    if (candidates.length === 0) return errors.badUri();
    const hit = candidates.find((x) => x.r.method === req.method);
    if (!hit) return errors.methodNotSupported(req.method);
    if (!req.user.roles.has("admin") && !req.user.roles.has(CICD_ROLE)) {
        return failure(403, "User Not Authorized", `The user isn't an admin or doesn't have the ${CICD_ROLE} role`);
    }
    const engine = engineFor(ctx.db, () => ctx.baseUrl);
    let args: string[];
    try {
        args = hit.m!.slice(1).map((a) => decodeURIComponent(a ?? ""));
    } catch {
        return failure(400, "Invalid URI", "The path has malformed percent-encoding");
    }
    return hit.r.handle({
        ctx,
        req,
        engine,
        args,
        start: (spec) => json(200, { result: engine.render(engine.start(spec)) }),
        now: () => glideDateTime(Date.now()),
    });
}
