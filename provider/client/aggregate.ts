/**
 * The Aggregate (Stats) API (`/api/now/stats`): counts without reading rows.
 */
import { ServiceNowError } from "../errors";
import { enc, type Transport } from "./transport";

/** The Aggregate API of one instance. */
export class AggregateApi {
    constructor(private readonly transport: Transport) {}

    /** Counts rows with the Aggregate (Stats) API. */
    async count(table: string, query = ""): Promise<number> {
        const res = await this.transport.send(`COUNT ${table}`, {
            method: "GET",
            url: `/api/now/stats/${enc(table)}`,
            params: { sysparm_count: true, sysparm_query: query },
        });
        const n = Number((res.result as { stats?: { count?: unknown } })?.stats?.count);
        if (!Number.isFinite(n))
            throw new ServiceNowError(`the Stats API on ${this.transport.url} gave no count for ${table}`);
        return n;
    }
}
