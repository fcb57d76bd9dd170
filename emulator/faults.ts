/**
 * Seeded, repeatable fault injection: latency, rate limits (429), 5xx, connection resets and hibernation.
 */
import { randomBytes } from "node:crypto";
import { Prng } from "./prng";

/**
 * A rate-limit rule as in `sys_rate_limit_rules`: a count per user per window for matching requests.
 *
 * Precedence as documented: a rule for a single user beats a role rule, which beats an all-users rule; among rules
 * of the same kind the lowest limit wins.
 */
export interface RateLimitRule {
    /**
     * Rule sys_id, sent as `X-RateLimit-Rule`.
     *
     * @default a random sys_id
     */
    id?: string;
    /** Only this user name. */
    user?: string;
    /** Only users holding this role. */
    role?: string;
    /** Only this table (Table and Stats APIs). */
    table?: string;
    /** Only this HTTP method. */
    method?: string;
    /** Requests allowed per window. */
    limit: number;
    /**
     * Window length; the platform's is one hour, shorter windows let tests see the reset.
     *
     * @default 3600000
     */
    windowMs?: number;
}

/** Runtime fault configuration (`PUT /emulator/faults` takes a partial one). */
export interface FaultConfig {
    /**
     * Extra latency added to every HTTP response, on top of the cost model's round trip (a slow network or a slow
     * instance); batch items do not pay it.
     */
    latencyMs: number;
    /** Fraction of API requests answered 502/503/504. */
    errorRate: number;
    /** Statuses drawn from for injected errors. */
    errorStatuses: number[];
    /** Fraction of API requests whose connection is reset without a response. */
    resetRate: number;
    /** Answer every request with the 200 text/html "Instance Hibernating" page. */
    hibernating: boolean;
    rateLimits: RateLimitRule[];
    /** Whether each batch item counts against rate limits (undocumented; assumed yes). */
    rateLimitBatchItems: boolean;
    /** Seed of the fault sequence; setting it restarts the sequence. */
    randomSeed: number;
    /**
     * Enforce the documented data-format headers: Accept on every API request, Content-Type on POST/PUT/PATCH
     * (400 when missing, 406/415 when not JSON or XML). Off by default because real clients always send them.
     */
    strictHeaders: boolean;
}

/** The platform's defaults: no faults at all. */
export function defaultFaults(): FaultConfig {
    return {
        latencyMs: 0,
        errorRate: 0,
        errorStatuses: [502, 503, 504],
        resetRate: 0,
        hibernating: false,
        rateLimits: [],
        rateLimitBatchItems: true,
        randomSeed: 1,
        strictHeaders: false,
    };
}

/** A transport-level fault for one request. */
export type TransportFault = { kind: "reset" } | { kind: "error"; status: number };

/** The rate-limit verdict for one request, with the X-RateLimit-* headers of the governing rule. */
export type RateLimitDecision =
    | { kind: "pass"; headers: Record<string, string> }
    | { kind: "limited"; headers: Record<string, string>; limit: number; windowMs: number };

/** The facts a fault decision depends on. */
export interface FaultSubject {
    instance: string;
    user: string;
    roles: ReadonlySet<string>;
    table: string | undefined;
    method: string;
}

/**
 * Decides faults for requests. One draw sequence per process, so a given seed and request order repeat exactly.
 */
export class FaultInjector {
    config: FaultConfig;
    private prng: Prng;
    private readonly counters = new Map<string, { windowStart: number; count: number }>();
    private readonly clock: () => number;

    /** Starts from the defaults overlaid with `initial`. */
    constructor(initial: Partial<FaultConfig> = {}, clock: () => number = Date.now) {
        this.config = { ...defaultFaults(), ...initial };
        this.config.rateLimits = this.config.rateLimits.map(withId);
        this.prng = new Prng(this.config.randomSeed);
        this.clock = clock;
    }

    /** Overlays a partial configuration; a new seed or new rules restart the sequence or the counters. */
    configure(patch: Partial<FaultConfig>): FaultConfig {
        this.config = { ...this.config, ...patch };
        if (patch.rateLimits) {
            this.config.rateLimits = patch.rateLimits.map(withId);
            this.counters.clear();
        }
        if (patch.randomSeed !== undefined) this.prng = new Prng(patch.randomSeed);
        return this.config;
    }

    /** Random-draw faults that do not depend on who is calling: resets, then 5xx. */
    transportFault(): TransportFault | undefined {
        const c = this.config;
        if (c.resetRate > 0 && this.prng.chance(c.resetRate)) return { kind: "reset" };
        if (c.errorRate > 0 && this.prng.chance(c.errorRate)) {
            return { kind: "error", status: this.prng.pick(c.errorStatuses.length ? c.errorStatuses : [503]) };
        }
        return undefined;
    }

    /** Counts the request against the rule that governs it; 429 once the window's allowance is used. */
    rateLimit(s: FaultSubject): RateLimitDecision {
        const rule = this.governingRule(s);
        if (!rule) return { kind: "pass", headers: {} };
        const windowMs = rule.windowMs ?? 3_600_000;
        const now = this.clock();
        const windowStart = Math.floor(now / windowMs) * windowMs;
        const key = `${s.instance}|${rule.id}|${s.user}`;
        let c = this.counters.get(key);
        if (!c || c.windowStart !== windowStart) {
            c = { windowStart, count: 0 };
            this.counters.set(key, c);
        }
        const reset = windowStart + windowMs;
        const headers = {
            "X-RateLimit-Limit": String(rule.limit),
            "X-RateLimit-Reset": String(Math.ceil(reset / 1000)),
            "X-RateLimit-Rule": rule.id!,
        };
        if (c.count >= rule.limit) {
            return {
                kind: "limited",
                headers: { ...headers, "Retry-After": String(Math.max(1, Math.ceil((reset - now) / 1000))) },
                limit: rule.limit,
                windowMs,
            };
        }
        c.count++;
        return { kind: "pass", headers };
    }

    private governingRule(s: FaultSubject): RateLimitRule | undefined {
        const matching = this.config.rateLimits.filter(
            (r) =>
                (!r.user || r.user === s.user) &&
                (!r.role || s.roles.has(r.role)) &&
                (!r.table || r.table === s.table) &&
                (!r.method || r.method.toUpperCase() === s.method),
        );
        const rank = (r: RateLimitRule) => (r.user ? 0 : r.role ? 1 : 2);
        matching.sort((a, b) => rank(a) - rank(b) || a.limit - b.limit);
        return matching[0];
    }
}

function withId(r: RateLimitRule): RateLimitRule {
    return { ...r, id: r.id ?? randomBytes(16).toString("hex") };
}

/** The page a hibernating developer instance serves (with status 200), so clients must check Content-Type. */
export const HIBERNATING_PAGE = `<!DOCTYPE html>
<html><head><title>Instance Hibernating page</title></head>
<body><h1>Your instance is hibernating</h1><p>Log in to the developer portal to wake it up.</p></body></html>
`;

/** The body of an injected gateway error. */
export function gatewayErrorPage(status: number): string {
    return `<html><head><title>${status}</title></head><body><h1>${status}</h1></body></html>\n`;
}
