/**
 * The one error tree of the provider, the SDK and the client: transport and platform failures (mapped from HTTP
 * statuses in one place), the production fence, and domain failures found in a resource's inputs, each carrying the
 * property, the value received and the fix.
 *
 * Callers recover by type (`instanceof RateLimitedError`), never by message text. Status codes map to these classes in
 * exactly one place, {@link errorForStatus}. No message, cause or property here ever holds a password or a token: the
 * axios error that caused one is summarized into plain text, not attached (its config carries the Authorization header).
 */
export class ServiceNowError extends Error {
    /** True when the same request may succeed if sent again later. */
    readonly retryable: boolean = false;
    /** The HTTP status that produced this error, when there was one. */
    readonly status: number | undefined;
    constructor(message: string, options?: { cause?: unknown; status?: number }) {
        super(message, options?.cause === undefined ? undefined : { cause: options.cause });
        this.name = new.target.name;
        this.status = options?.status;
    }
}

/** The record or table does not exist, or an ACL hides it (ServiceNow answers 404 for both). */
export class NotFoundError extends ServiceNowError {}

/** The instance did not accept the credentials (401), or the OAuth token endpoint refused them. */
export class AuthError extends ServiceNowError {}

/** An ACL, business rule or data policy refused the operation (403). */
export class AccessDeniedError extends ServiceNowError {}

/** The request was malformed or named an unknown table (400). */
export class BadRequestError extends ServiceNowError {}

/** A rate-limit rule refused the request (429) and retries ran out. */
export class RateLimitedError extends ServiceNowError {
    override readonly retryable = true;
}

/** The connection failed, timed out or the instance answered 5xx, and retries ran out. */
export class TransportError extends ServiceNowError {
    override readonly retryable = true;
}

/**
 * The instance's TLS certificate was refused (unknown issuer, expired, or issued for another host). Not retryable: it
 * fails the same way until the trust store or the URL changes.
 */
export class UntrustedCertificateError extends ServiceNowError {}

/**
 * The instance answered with something other than JSON: typically a hibernating developer instance, which answers
 * 200 with an HTML wake-up page, or a proxy's error page.
 */
export class NonJsonResponseError extends ServiceNowError {}

/** The production fence refused a write: the live instance is not the declared target, or is a production instance. */
export class UnsafeTargetError extends ServiceNowError {}

/** A connection is missing settings or has invalid ones (no URL, no credentials, plain http to a remote host). */
export class ConnectionConfigError extends ServiceNowError {}

/** A connection setting is not given at all (as opposed to given with a wrong value). */
export class MissingConnectionSettingError extends ConnectionConfigError {}

/**
 * Maps an HTTP status and ServiceNow's error envelope to the error class for it: the only place that does.
 *
 * @param what the operation in words, e.g. `GET sys_user` (never a URL with credentials).
 * @param detail ServiceNow's `error.message: error.detail` text, when the body carried the envelope.
 */
export function errorForStatus(
    status: number,
    what: string,
    where: string,
    detail: string | undefined,
): ServiceNowError {
    const said = detail ? `: ${detail}` : "";
    const opts = { status };
    if (status === 401) {
        return new AuthError(
            `${what} on ${where} was refused as unauthenticated (401${said}); check servicenow:username/password or the OAuth client settings`,
            opts,
        );
    }
    if (status === 403) {
        return new AccessDeniedError(
            `${what} on ${where} was denied (403${said}); grant the integration user the roles this operation needs`,
            opts,
        );
    }
    if (status === 404) return new NotFoundError(`${what} on ${where} found nothing (404${said})`, opts);
    if (status === 400)
        return new BadRequestError(`${what} on ${where} was rejected as a bad request (400${said})`, opts);
    if (status === 429) {
        return new RateLimitedError(
            `${what} on ${where} stayed rate limited after retries (429${said}); raise the rate-limit rule or lower concurrency`,
            opts,
        );
    }
    if (status >= 500) {
        return new TransportError(`${what} on ${where} failed on the instance after retries (${status}${said})`, opts);
    }
    return new ServiceNowError(`${what} on ${where} answered an unexpected ${status}${said}`, opts);
}

/** Reads `error.message` and `error.detail` from ServiceNow's failure envelope, if the body is one. */
export function envelopeText(body: unknown): string | undefined {
    if (!body || typeof body !== "object") return undefined;
    const err = (body as { error?: unknown }).error;
    if (!err || typeof err !== "object") return undefined;
    const { message, detail } = err as { message?: unknown; detail?: unknown };
    const parts = [message, detail].filter((p): p is string => typeof p === "string" && p.length > 0);
    return parts.length ? parts.join(": ") : undefined;
}

/**
 * A resource's input names something the instance does not have, or asks for what the platform refuses (an unknown
 * LDAP server, SMTP account or MID role; a read-only record). Carries the property, the value received and the fix,
 * so check can report it as a failure of that property.
 */
export class InputError extends ServiceNowError {
    /** The input property, e.g. `smtpAccount.name` or `servers[1]`. */
    readonly property: string;
    /** What the user wrote (never a secret). */
    readonly value: unknown;
    /** What to do about it, in words. */
    readonly fix: string;
    /** @param message the whole sentence: what is wrong with the value, and the fix. */
    constructor(message: string, detail: { property: string; value: unknown; fix: string }) {
        super(message);
        this.property = detail.property;
        this.value = detail.value;
        this.fix = detail.fix;
    }
}

/** Two resources of one stack manage the same record: each would undo the other's writes, and destroy restore wrongly. */
export class DuplicateResourceError extends ServiceNowError {}

/** An allow-list entry of a bulk resource matches nothing on the instance (create/update re-check what check did). */
export class AllowListError extends ServiceNowError {}

/** Thrown by the endpoint tripwire; names every offending record. Nothing has been written when it is thrown. */
export class ProductionEndpointError extends ServiceNowError {
    constructor(readonly endpoints: readonly string[]) {
        super(
            `${endpoints.length} active endpoint(s) would still point at a production host after the rules, so nothing was written:\n  ` +
                `${endpoints.join("\n  ")}\n` +
                "add a rule for each host (rules: [{ from: <production host>, to: <sandbox host> }]) or deactivate the record",
        );
    }
}

/**
 * Thrown when some updates of a batch failed for good; says which succeeded so callers can record exactly those.
 */
export class BatchWriteError extends ServiceNowError {
    constructor(
        message: string,
        /** sys_ids written before and besides the failures. */
        readonly succeeded: readonly string[],
        /** sys_ids that were not written. */
        readonly failed: readonly string[],
        options?: { cause?: unknown; status?: number },
    ) {
        super(message, options);
    }
}

/** A clone that ended in Error, Canceled, Hold or a rollback state; the message is the platform's own. */
export class CloneFailedError extends ServiceNowError {
    constructor(
        message: string,
        /** The request's final state. */
        readonly state: string,
    ) {
        super(message);
    }
}

/**
 * A clone that was not requested because it would destroy work the stack does not carry (`requireNoLoss`); nothing
 * was written. The message names each piece of work.
 */
export class CloneWouldLoseWorkError extends CloneFailedError {
    constructor(message: string) {
        super(message, "Not requested");
    }
}

/** A clone that did not end within the allowed time (not a failure of the clone itself: it may still finish). */
export class CloneTimeoutError extends ServiceNowError {}

/**
 * A create or update wrote part of what it meant to, then failed. Pulumi records it as "written, but not fully"
 * (ErrorResourceInitFailed): the resource lands in state with {@link properties}, so destroy can revert what was written.
 */
export class PartialWriteError extends ServiceNowError {
    /** The resource id to record. */
    readonly id: string;
    /** The outputs to record. */
    readonly properties: object;
    /** The underlying failures, as Pulumi shows them. */
    readonly reasons: string[];
    constructor(id: string, properties: object, cause: Error) {
        super(`${cause.message} (what was changed before the failure is recorded; run up again to converge)`, {
            cause,
        });
        this.id = id;
        this.properties = properties;
        this.reasons = [cause.message];
    }
}

/** A CI/CD API operation that ended Failed (3) or Canceled (4); the message is the platform's status message. */
export class CicdOperationError extends ServiceNowError {
    /** The tracker's final status, "3" or "4". */
    readonly trackerStatus: string;
    /** The platform's `status_message`, as it said it. */
    readonly statusMessage: string;
    /** The progress id to follow it on the instance ("" when the call answered without one). */
    readonly progressId: string;
    constructor(message: string, detail: { status: string; statusMessage: string; progressId: string }) {
        super(message);
        this.trackerStatus = detail.status;
        this.statusMessage = detail.statusMessage;
        this.progressId = detail.progressId;
    }
}

/** A CI/CD API operation that did not end in time (it may still finish on the instance). */
export class CicdTimeoutError extends ServiceNowError {
    constructor(
        message: string,
        /** The progress id to follow it on the instance. */
        readonly progressId: string,
    ) {
        super(message);
    }
}

/** A preview found problems in update sets, so nothing was committed; names each set, update and problem. */
export class UpdateSetProblemError extends ServiceNowError {
    constructor(
        message: string,
        /** The first set with a problem. */
        readonly updateSet: string,
        /** One line per problem. */
        readonly problems: readonly string[],
    ) {
        super(message);
    }
}
