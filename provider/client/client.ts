/**
 * ServiceNowClient: the facade over the one transport and the Table, Aggregate and Batch APIs of an instance, with the
 * production fence as the before-write hook. The only code that speaks HTTP to an instance goes through it.
 */
import { CHANGE_API_WRITE, type ConnectionName, writeFence } from "../fence";
import { AggregateApi } from "./aggregate";
import { BatchApi, type BatchResult, type RecordUpdate } from "./batch";
import { CicdApi, type CicdCaller } from "./cicd";
import { type BeforeWrite, type PageOptions, type QueryOptions, type SnRecord, TableApi } from "./table";
import { Transport, type TransportOptions } from "./transport";

export type { BatchResult, RecordUpdate } from "./batch";
export type { BeforeWrite, PageOptions, QueryOptions, SnRecord } from "./table";

/** Settings of one client. */
export interface ClientOptions extends TransportOptions {
    /** Which named connection this is; a `source` client only writes clone configuration. @default "target" */
    connection?: ConnectionName;
    /** The `instance_name` the stack expects; writes are refused without it. */
    instanceName?: string;
    /** Names and/or URLs of instances that must never be written. @default [] */
    productionInstances?: readonly string[];
    /** The stack's declared target instance name: the only instance a clone request may target. */
    cloneTarget?: string;
    /** Sub-requests per Batch API call. @default 200 */
    batchSize?: number;
    /** Allow change records through the Change Management API (`servicenow:allowChangeRequests`). @default false */
    allowChangeRequests?: boolean;
    /** Replaces the production fence built from the settings above (tools that are not a stack's provider). */
    beforeWrite?: BeforeWrite;
}

/**
 * A REST client for one instance: auth, retries, keyset paging, Batch API writes, typed errors and the production fence.
 *
 * @example
 * const client = new ServiceNowClient({ url, credentials: { kind: "basic", username, password }, instanceName: "acme-dev" });
 * for await (const page of client.pages("sys_user", { query: "active=true", fields: ["user_name"] })) { ... }
 */
export class ServiceNowClient {
    /** Instance origin, without trailing slash. */
    readonly url: string;
    readonly connection: ConnectionName;
    /** The ServiceNow user the client acts as, when known (Basic, or the OAuth password grant). */
    readonly username: string | undefined;
    private readonly transport: Transport;
    private readonly table: TableApi;
    private readonly aggregate: AggregateApi;
    private readonly batch: BatchApi;
    private readonly beforeWrite: BeforeWrite;
    private readonly identity: () => Promise<void>;
    /**
     * Sends one CI/CD API call (`/api/sn_cicd/...`); callers that change the instance fence first. Use it through
     * `runCicdOperation(client.cicd, ...)` (provider/client/cicd.ts), which follows the operation to its end.
     */
    readonly cicd: CicdCaller;

    constructor(options: ClientOptions) {
        this.transport = new Transport(options);
        this.url = this.transport.url;
        this.username = this.transport.username;
        this.connection = options.connection ?? "target";
        const fence = options.beforeWrite
            ? undefined
            : writeFence(
                  {
                      connection: this.connection,
                      url: this.url,
                      declaredName: options.instanceName,
                      productionInstances: options.productionInstances ?? [],
                      allowChangeRequests: options.allowChangeRequests ?? false,
                      cloneTarget: options.cloneTarget,
                  },
                  () => this.liveInstanceName(),
                  // Only the identity fields: the instance table also holds the target's admin password.
                  (table, sysId) => this.getRecord(table, sysId, ["instance_name", "instance_url"]),
              );
        this.beforeWrite = options.beforeWrite ?? fence!;
        // A replaced hook (a tool that is not a stack's provider) has no identity of its own to check.
        this.identity = fence ? () => fence.identity() : () => Promise.resolve();
        this.table = new TableApi(this.transport, this.beforeWrite);
        this.aggregate = new AggregateApi(this.transport);
        this.batch = new BatchApi(this.transport, this.beforeWrite, Math.max(1, options.batchSize ?? 200));
        const cicd = new CicdApi(this.transport);
        this.cicd = (method, path, params, body) => cicd.call(method, path, params, body);
    }

    /** HTTP requests sent by this client so far, retries and token requests excluded from the latter. */
    get requestCount(): number {
        return this.transport.requestCount;
    }

    /** Sub-requests per Batch API call at most: callers that send writes in steps send them in multiples of it. */
    get batchSize(): number {
        return this.batch.batchSize;
    }

    /** The instance's clock at its latest answer (`Date` header), as ServiceNow stores datetimes: `YYYY-MM-DD HH:MM:SS` UTC. */
    get lastServerTime(): string | undefined {
        return this.transport.lastServerTime;
    }

    /** Reads one record; NotFoundError when it does not exist. */
    getRecord(table: string, sysId: string, fields?: readonly string[]): Promise<SnRecord> {
        return this.table.getRecord(table, sysId, fields);
    }

    /** One query, up to `limit` rows (no paging: use {@link pages} for large sets). */
    query(table: string, options: QueryOptions = {}): Promise<SnRecord[]> {
        return this.table.query(table, options);
    }

    /** Walks every row matching a query, a page at a time, by keyset. */
    pages(table: string, options: PageOptions = {}): AsyncGenerator<SnRecord[]> {
        return this.table.pages(table, options);
    }

    /** Counts rows with the Aggregate (Stats) API. */
    count(table: string, query = ""): Promise<number> {
        return this.aggregate.count(table, query);
    }

    /** Inserts a record (after the fence); never retried after an ambiguous failure, since a POST may have run. */
    insert(table: string, values: Record<string, string>): Promise<SnRecord> {
        return this.table.insert(table, values);
    }

    /** Updates fields of a record (PATCH, after the fence). */
    update(table: string, sysId: string, values: Record<string, string>): Promise<SnRecord> {
        return this.table.update(table, sysId, values);
    }

    /** Deletes a record (after the fence); a record already gone counts as deleted. */
    remove(table: string, sysId: string): Promise<void> {
        return this.table.remove(table, sysId);
    }

    /** Applies many PATCHes through the Batch API (after the fence); see {@link BatchApi.batchUpdate}. */
    batchUpdate(table: string, updates: readonly RecordUpdate[]): Promise<BatchResult> {
        return this.batch.batchUpdate(table, updates);
    }

    /** The live `instance_name` system property ("" when the instance has none). */
    liveInstanceName(): Promise<string> {
        return this.table.liveInstanceName();
    }

    /**
     * Calls the Change Management API (`/api/sn_chg_rest/change{path}`) and returns the envelope's `result`. Writes
     * pass the fence first: the instance's identity, and the declared permission for change records.
     */
    async changeApi(method: "GET" | "POST" | "PATCH", path: string, body?: Record<string, string>): Promise<unknown> {
        if (method !== "GET") await this.beforeWrite(CHANGE_API_WRITE);
        const res = await this.transport.send(
            `${method} sn_chg_rest/change${path}`,
            { method, url: `/api/sn_chg_rest/change${path}`, data: body },
            method !== "POST",
        );
        return res.result;
    }

    /**
     * The production fence: refuses (UnsafeTargetError) before any write request unless the live instance is the
     * declared one and allowed to take writes to this table.
     */
    assertWritable(table: string): Promise<void> {
        return this.beforeWrite(table);
    }

    /**
     * The fence's identity check without a write: refuses (UnsafeTargetError) unless the live instance is the
     * declared one and, for a target, not production. Read once per client, so a check that calls it costs the write
     * path nothing; a small read, it travels with the check's other lookups.
     */
    assertTarget(): Promise<void> {
        return this.identity();
    }
}
