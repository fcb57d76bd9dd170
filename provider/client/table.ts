/**
 * The Table API (`/api/now/table`): read one record, query, walk by keyset pages, insert, update, delete. Every write
 * first awaits the before-write hook (the production fence).
 */
import { NotFoundError, ServiceNowError } from "../errors";
import { type ReadAnswer, ReadCoalescer, type SmallRead } from "./coalesce";
import { keysetQuery } from "./query";
import { enc, readParams, type Transport, writeParams } from "./transport";

/** A record as the Table API returns it with `sysparm_exclude_reference_link=true`: every value a string. */
export type SnRecord = Record<string, string>;

/** Options of {@link TableApi.query}. */
export interface QueryOptions {
    /** Encoded query. @default "" */
    query?: string;
    /** Columns to return; all when omitted. */
    fields?: readonly string[];
    /** Maximum rows. @default 10000 */
    limit?: number;
    /**
     * A small read (a name lookup, a dictionary read): it may travel with the other small reads issued at the same
     * moment in one Batch API call (see provider/client/coalesce.ts). @default false
     */
    coalesce?: boolean;
}

/** Options of {@link TableApi.pages}. */
export interface PageOptions {
    /** Encoded query; ORDERBY terms are replaced by the keyset order. @default "" */
    query?: string;
    /** Columns to return; `sys_id` is always added. */
    fields?: readonly string[];
    /** Rows per page. @default 2000 */
    pageSize?: number;
    /**
     * Rows of the first pages, before `pageSize` applies: a small first page answers sooner (the instance charges per
     * row returned), so a caller can start working on it while the bigger pages are read. @default []
     */
    firstPages?: readonly number[];
    /** Each page is a small read that may travel with others in one Batch API call (lookups, not bulk walks). @default false */
    coalesce?: boolean;
}

/** Awaited before every write request with the table and, for inserts and updates, the values; throws to refuse it. */
export type BeforeWrite = (table: string, values?: Readonly<Record<string, string>>) => Promise<void>;

/** The Table API of one instance. */
export class TableApi {
    private readonly coalescer: ReadCoalescer;

    constructor(
        private readonly transport: Transport,
        private readonly beforeWrite: BeforeWrite,
    ) {
        this.coalescer = new ReadCoalescer(transport);
    }

    /** A GET, through the coalescer when it is a small read. */
    private get(read: SmallRead, coalesce: boolean | undefined): Promise<ReadAnswer> {
        return coalesce ? this.coalescer.read(read) : this.coalescer.alone(read);
    }

    /** Reads one record; NotFoundError when it does not exist. */
    async getRecord(table: string, sysId: string, fields?: readonly string[]): Promise<SnRecord> {
        const res = await this.transport.send(`GET ${table}/${sysId}`, {
            method: "GET",
            url: `/api/now/table/${enc(table)}/${enc(sysId)}`,
            params: readParams(fields),
        });
        return res.result as SnRecord;
    }

    /** One query, up to `limit` rows (no paging: use {@link pages} for large sets). */
    async query(table: string, options: QueryOptions = {}): Promise<SnRecord[]> {
        const { body } = await this.get(
            {
                what: `GET ${table}`,
                path: `/api/now/table/${enc(table)}`,
                params: {
                    ...readParams(options.fields),
                    sysparm_query: options.query ?? "",
                    sysparm_limit: options.limit ?? 10000,
                    sysparm_no_count: true,
                    sysparm_suppress_pagination_header: true,
                },
            },
            options.coalesce,
        );
        return body.result as SnRecord[];
    }

    /**
     * Walks every row matching a query, a page at a time, by keyset (`sys_id>{last}^ORDERBYsys_id`): unlike offsets,
     * rows inserted or deleted while walking neither repeat nor get skipped.
     *
     * The first page asks for the count (`X-Total-Count`), so a walk whose rows fill its pages exactly stops without
     * an empty last request; rows created after the first answer are not waited for (callers that care about them
     * tell them apart by `sys_created_on`, and a short page still ends the walk early when rows were deleted).
     */
    async *pages(table: string, options: PageOptions = {}): AsyncGenerator<SnRecord[]> {
        const fields = options.fields ? [...new Set(["sys_id", ...options.fields])] : undefined;
        let after: string | undefined;
        let total: number | undefined;
        let read = 0;
        for (let n = 0; ; n++) {
            const pageSize = options.firstPages?.[n] ?? options.pageSize ?? 2000;
            const { body, headers } = await this.get(
                {
                    what: `GET ${table}`,
                    path: `/api/now/table/${enc(table)}`,
                    params: {
                        ...readParams(fields),
                        sysparm_query: keysetQuery(options.query ?? "", after),
                        sysparm_limit: pageSize,
                        sysparm_no_count: total !== undefined,
                        sysparm_suppress_pagination_header: true,
                    },
                    headers: total === undefined,
                },
                options.coalesce,
            );
            const rows = body.result as SnRecord[];
            if (total === undefined) {
                const counted = Number(headers["x-total-count"]);
                total = Number.isFinite(counted) ? counted : Number.POSITIVE_INFINITY;
            }
            read += rows.length;
            if (rows.length > 0) yield rows;
            if (rows.length < pageSize || read >= total) return;
            const last = rows[rows.length - 1]!.sys_id;
            if (!last || last === after) {
                throw new ServiceNowError(
                    `paging ${table} on ${this.transport.url} did not advance past sys_id ${after}; the instance ignored the keyset order`,
                );
            }
            after = last;
        }
    }

    /** Inserts a record (after the before-write hook: the fence); never retried after an ambiguous failure, since a POST may have run. */
    async insert(table: string, values: Record<string, string>): Promise<SnRecord> {
        await this.beforeWrite(table, values);
        const res = await this.transport.send(
            `POST ${table}`,
            { method: "POST", url: `/api/now/table/${enc(table)}`, data: values, params: writeParams() },
            false,
        );
        return res.result as SnRecord;
    }

    /** Updates fields of a record (PATCH, after the fence). */
    async update(table: string, sysId: string, values: Record<string, string>): Promise<SnRecord> {
        await this.beforeWrite(table, values);
        const res = await this.transport.send(`PATCH ${table}/${sysId}`, {
            method: "PATCH",
            url: `/api/now/table/${enc(table)}/${enc(sysId)}`,
            data: values,
            params: writeParams(),
        });
        return res.result as SnRecord;
    }

    /** Deletes a record (after the before-write hook: the fence); a record already gone counts as deleted. */
    async remove(table: string, sysId: string): Promise<void> {
        await this.beforeWrite(table);
        try {
            await this.transport.send(`DELETE ${table}/${sysId}`, {
                method: "DELETE",
                url: `/api/now/table/${enc(table)}/${enc(sysId)}`,
            });
        } catch (e) {
            if (!(e instanceof NotFoundError)) throw e;
        }
    }

    /** The live `instance_name` system property ("" when the instance has none). */
    async liveInstanceName(): Promise<string> {
        const rows = await this.query("sys_properties", {
            query: "name=instance_name",
            fields: ["value"],
            limit: 1,
            coalesce: true,
        });
        return rows[0]?.value ?? "";
    }
}
