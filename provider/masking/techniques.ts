/**
 * Masking techniques as pure functions: what a field's value becomes once masked.
 *
 * The vocabulary follows the platform's Data Privacy techniques (Static Replace, Random Replace, Selective Replace,
 * Remove; reference/platform-apis.md §2.5) plus deterministic fakes (names, emails, phones, free text). Two promises
 * hold for every technique, and the planner relies on them:
 *
 * - Deterministic: the result depends on the secret salt, the table, the field and the record's sys_id, never on a
 *   clock or a random source, so the same stack masks the same record to the same value on every run.
 * - Idempotent: masking a masked value gives it back unchanged, so "the live value differs from its masked value" is
 *   exactly "this value is not masked" (never masked, or restored by hand), and a second run writes nothing.
 *
 * A fake never depends on the value it replaces, so no fragment of the original can leak through it. An empty value
 * stays empty: there is nothing personal in it, and writing a fake there would invent data.
 */
import { createHmac } from "node:crypto";
import { z } from "zod";

/** The kinds of fake value a `fake` technique produces. */
export const FAKE_KINDS = ["first_name", "last_name", "name", "user_name", "email", "phone", "text", "number"] as const;

/** A technique as users write it in a rule (`fields: { email: { technique: "fake", fake: "email" } }`). */
export const Technique = z.discriminatedUnion("technique", [
    z.object({
        technique: z.literal("static"),
        /** The replacement. */
        value: z.string(),
        /** Repeat or cut the value to the original's length (the platform's `preserve_data_length`). @default false */
        preserveLength: z.boolean().default(false),
    }),
    z.object({
        technique: z.literal("fake"),
        fake: z.enum(FAKE_KINDS),
    }),
    z.object({
        technique: z.literal("random"),
        /** Characters drawn from. @default "alphanumeric" */
        charset: z.enum(["alphanumeric", "letters", "digits"]).default("alphanumeric"),
    }),
    z.object({
        technique: z.literal("selective"),
        /** First position replaced, from 0. @default 0 */
        start: z.number().int().min(0).default(0),
        /** Positions at or after this one are kept; a negative number counts from the end (-4 keeps the last four). */
        end: z.number().int().optional(),
        /** Characters never replaced (e.g. "@." keeps an address's shape). @default "" */
        exclude: z.string().default(""),
        /** The replacement character (the platform's `char_to_replace`). @default "*" */
        char: z.string().length(1).default("*"),
    }),
    z.object({ technique: z.literal("remove") }),
]);
/** A parsed technique. */
export type Technique = z.infer<typeof Technique>;

/** Where a value lives: with the salt, this is all a deterministic technique may depend on. */
export interface MaskContext {
    /** The stack's secret; never stored in state. */
    salt: string;
    table: string;
    field: string;
    sysId: string;
    /** Domain of fake email addresses; must not be able to receive mail (see {@link isUndeliverableDomain}). */
    emailDomain: string;
}

/** The default domain of fake email addresses: `.invalid` is reserved and never resolves (RFC 2606 §2). */
export const DEFAULT_EMAIL_DOMAIN = "example.invalid";

/**
 * True when mail to the domain cannot be delivered: the `.invalid` top-level domain, reserved by RFC 2606 for names
 * that must never resolve. (`example.com` has DNS records and `.test` may resolve on a local resolver, so neither
 * qualifies.)
 */
export function isUndeliverableDomain(domain: string): boolean {
    const d = domain.trim().toLowerCase().replace(/\.$/, "");
    return /^([a-z0-9-]+\.)*invalid$/.test(d);
}

const FIRST = [
    "Alex",
    "Sam",
    "Robin",
    "Jordan",
    "Casey",
    "Morgan",
    "Taylor",
    "Jamie",
    "Avery",
    "Riley",
    "Quinn",
    "Drew",
];
const LAST = ["Ashdown", "Birch", "Calder", "Dunmore", "Ellery", "Fenwick", "Garrow", "Hollis", "Ingram", "Jessop"];
const WORDS = ["lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "adipiscing", "elit", "sed", "do", "tempor"];
const CHARSETS = {
    alphanumeric: "abcdefghijklmnopqrstuvwxyz0123456789",
    letters: "abcdefghijklmnopqrstuvwxyz",
    digits: "0123456789",
} as const;

/**
 * A stream of pseudo-random integers keyed by the salt and the value's place: HMAC-SHA256 in counter mode, so it is
 * unpredictable without the salt and the same for the same place.
 */
class KeyedStream {
    private block = Buffer.alloc(0);
    private offset = 0;
    private counter = 0;
    private readonly key: string;
    private readonly label: string;

    constructor(ctx: MaskContext) {
        this.key = ctx.salt;
        // NUL separators: no table/field/sys_id combination can collide with another by concatenation.
        this.label = `${ctx.table}\u0000${ctx.field}\u0000${ctx.sysId}`;
    }

    /** An integer in [0, n). */
    below(n: number): number {
        if (this.offset + 4 > this.block.length) {
            this.block = createHmac("sha256", this.key)
                .update(`${this.label}\u0000${this.counter++}`)
                .digest();
            this.offset = 0;
        }
        const v = this.block.readUInt32BE(this.offset);
        this.offset += 4;
        return v % n;
    }

    pick<T>(items: readonly T[]): T {
        return items[this.below(items.length)]!;
    }

    /** `n` characters of a charset. */
    chars(charset: string, n: number): string {
        let out = "";
        for (let i = 0; i < n; i++) out += charset[this.below(charset.length)];
        return out;
    }
}

/** The value `current` becomes under `technique`; deterministic and idempotent (see the file header). */
export function maskValue(technique: Technique, current: string, ctx: MaskContext): string {
    if (current === "") return "";
    switch (technique.technique) {
        case "static":
            return technique.preserveLength ? fitLength(technique.value, current.length) : technique.value;
        case "fake":
            return fakeValue(technique.fake, new KeyedStream(ctx), ctx);
        case "random":
            // Same length as the value it replaces: the length is all a random replacement keeps.
            return new KeyedStream(ctx).chars(CHARSETS[technique.charset], current.length);
        case "selective":
            return selectiveMask(current, technique);
        case "remove":
            return "";
    }
}

/**
 * Replaces the characters from `start` up to (not including) `end` with `char`, except those in `exclude`: the
 * platform's Selective Replace. `end` omitted means to the end; negative counts from the end.
 */
export function selectiveMask(
    value: string,
    opts: { start?: number; end?: number | undefined; exclude?: string; char?: string },
): string {
    const chars = [...value];
    const start = Math.max(0, opts.start ?? 0);
    const end =
        opts.end === undefined
            ? chars.length
            : opts.end < 0
              ? chars.length + opts.end
              : Math.min(opts.end, chars.length);
    const exclude = opts.exclude ?? "";
    const char = opts.char ?? "*";
    for (let i = start; i < end; i++) if (!exclude.includes(chars[i]!)) chars[i] = char;
    return chars.join("");
}

/** `value` repeated or cut to exactly `length` characters. */
export function fitLength(value: string, length: number): string {
    if (value === "") return "";
    return value.repeat(Math.ceil(length / value.length)).slice(0, length);
}

function fakeValue(kind: (typeof FAKE_KINDS)[number], s: KeyedStream, ctx: MaskContext): string {
    // Every fake carries a few keyed digits, so two records rarely share a value (user names and emails stay unique
    // enough to log in with and to tell apart).
    const tag = () => s.chars(CHARSETS.digits, 6);
    switch (kind) {
        case "first_name":
            return s.pick(FIRST);
        case "last_name":
            return s.pick(LAST);
        case "name":
            return `${s.pick(FIRST)} ${s.pick(LAST)}`;
        case "user_name":
            return `user.${tag()}`;
        case "email":
            return `user.${tag()}@${ctx.emailDomain}`;
        case "phone":
            // North America's 555-01xx range is reserved for fiction.
            return `+1 555 01${s.chars(CHARSETS.digits, 2)} ${s.chars(CHARSETS.digits, 4)}`;
        case "text": {
            const n = 6 + s.below(6);
            const words = Array.from({ length: n }, () => s.pick(WORDS));
            return `${words.join(" ")} (masked ${tag()})`;
        }
        case "number":
            return String(100000 + s.below(900000));
    }
}
