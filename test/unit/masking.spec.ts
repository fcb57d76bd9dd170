import * as assert from "node:assert/strict";
import { planMasking, requestLowerBound, type ScopedRecord } from "../../provider/masking/plan";
import { PERSONAL_DATA_RULES } from "../../provider/masking/presets";
import {
    DEFAULT_EMAIL_DOMAIN,
    FAKE_KINDS,
    isUndeliverableDomain,
    type MaskContext,
    maskValue,
    selectiveMask,
    Technique,
} from "../../provider/masking/techniques";
import { sinceOf } from "../../provider/resources/data-masking";
import { parseEnvironmentConfig } from "../../sdk/environment/config";
import { maskingArgs } from "../../sdk/environment/masking";

const ctx = (sysId: string, over: Partial<MaskContext> = {}): MaskContext => ({
    salt: "s3cret-salt",
    table: "sys_user",
    field: "email",
    sysId,
    emailDomain: DEFAULT_EMAIL_DOMAIN,
    ...over,
});
const t = (raw: unknown): Technique => Technique.parse(raw);

describe("masking techniques", () => {
    it("static replaces, optionally keeping the original's length as the platform's default does", () => {
        assert.equal(maskValue(t({ technique: "static", value: "REDACTED" }), "Mary Smith", ctx("a")), "REDACTED");
        assert.equal(
            maskValue(t({ technique: "static", value: "TEXT123", preserveLength: true }), "0123456789", ctx("a")),
            "TEXT123TEX",
        );
    });

    it("fakes deterministically from the salt and the record, not from the value", () => {
        const email = t({ technique: "fake", fake: "email" });
        const a1 = maskValue(email, "mary.smith@acme-corp.com", ctx("a"));
        assert.equal(maskValue(email, "someone.else@acme-corp.com", ctx("a")), a1, "same record, same fake");
        assert.notEqual(maskValue(email, "mary.smith@acme-corp.com", ctx("b")), a1, "another record, another fake");
        assert.notEqual(
            maskValue(email, "mary.smith@acme-corp.com", ctx("a", { salt: "other" })),
            a1,
            "another salt, another fake",
        );
        assert.match(a1, /^user\.\d{6}@example\.invalid$/);
        assert.ok(!a1.includes("mary"));
    });

    it("keeps the record's phone, name and text fakes free of the original", () => {
        const original = "Caller Mary Smith (+1 555 0134 2231) reports the VPN drops";
        for (const fake of FAKE_KINDS) {
            const v = maskValue(t({ technique: "fake", fake }), original, ctx("x", { field: fake }));
            assert.ok(v !== "" && !v.includes("Mary") && !v.includes("2231"), `${fake}: ${v}`);
        }
        assert.match(maskValue(t({ technique: "fake", fake: "phone" }), "x", ctx("x")), /^\+1 555 01\d\d \d{4}$/);
    });

    it("random replaces with characters of the chosen set, keeping the length", () => {
        const v = maskValue(t({ technique: "random", charset: "digits" }), "AB-1234", ctx("a"));
        assert.match(v, /^\d{7}$/);
    });

    it("selectively masks a range, keeping excluded characters", () => {
        assert.equal(selectiveMask("+1 555 0134 2231", { start: 0, end: -4, exclude: " +" }), "+* *** **** 2231");
        assert.equal(selectiveMask("mary@acme.com", { start: 1, exclude: "@." }), "m***@****.***");
        assert.equal(selectiveMask("abc", { start: 5 }), "abc");
    });

    it("removes", () => {
        assert.equal(maskValue(t({ technique: "remove" }), "secret", ctx("a")), "");
    });

    it("is idempotent for every technique: masking a masked value changes nothing", () => {
        const all: unknown[] = [
            { technique: "static", value: "X" },
            { technique: "static", value: "TEXT123", preserveLength: true },
            { technique: "random" },
            { technique: "selective", start: 2, end: -2, exclude: "@" },
            { technique: "remove" },
            ...FAKE_KINDS.map((fake) => ({ technique: "fake", fake })),
        ];
        for (const raw of all) {
            const tech = t(raw);
            const once = maskValue(tech, "Mary Smith <mary@acme-corp.com>", ctx("r1"));
            assert.equal(maskValue(tech, once, ctx("r1")), once, JSON.stringify(raw));
        }
    });

    it("leaves an empty value empty", () => {
        assert.equal(maskValue(t({ technique: "fake", fake: "email" }), "", ctx("a")), "");
    });

    it("accepts only email domains that cannot receive mail", () => {
        assert.equal(isUndeliverableDomain("example.invalid"), true);
        assert.equal(isUndeliverableDomain("masked.acme.invalid"), true);
        for (const d of ["example.com", "acme-corp.com", "mail.test", "invalid.com", "example.invalid.com"])
            assert.equal(isUndeliverableDomain(d), false, d);
    });

    it("rejects a technique it does not know, naming the allowed ones", () => {
        const r = Technique.safeParse({ technique: "scramble" });
        assert.equal(r.success, false);
        assert.match(JSON.stringify(r.error!.issues), /static.*fake.*random.*selective.*remove/s);
    });
});

describe("masking planner", () => {
    const rule = {
        table: "sys_user",
        fields: {
            email: t({ technique: "fake", fake: "email" }),
            phone: t({ technique: "selective", end: -4, exclude: " +" }),
        },
    };
    const settings = { salt: "s3cret-salt", emailDomain: DEFAULT_EMAIL_DOMAIN };
    const rec = (sysId: string, email: string, phone: string): ScopedRecord => ({
        sysId,
        cls: "sys_user",
        values: { email, phone },
    });

    it("writes only the fields that differ from their masked value, and nothing once masked", () => {
        const live = [rec("a", "mary@acme-corp.com", "+1 555 0134 2231"), rec("b", "", "")];
        const first = planMasking(rule, live, new Set(), settings);
        assert.equal(first.writes.length, 1);
        assert.deepEqual(Object.keys(first.writes[0]!.values).sort(), ["email", "phone"]);
        assert.equal(first.masked, 1, "an empty record is already masked");
        const after = live.map((r) => {
            const w = first.writes.find((x) => x.sysId === r.sysId);
            return w ? { ...r, values: { ...r.values, ...w.values } } : r;
        });
        const second = planMasking(rule, after, new Set(), settings);
        assert.deepEqual([second.writes.length, second.masked, second.fieldWrites], [0, 2, 0]);
    });

    it("sees a hand-restored value as unmasked, and plans only that field", () => {
        const masked = maskValue(rule.fields.phone, "+1 555 0134 2231", {
            ...settings,
            table: "",
            field: "",
            sysId: "",
        });
        const email = maskValue(rule.fields.email, "x", { ...settings, table: "sys_user", field: "email", sysId: "a" });
        const p = planMasking(rule, [rec("a", "mary@acme-corp.com", masked)], new Set(), settings);
        assert.deepEqual(p.writes, [{ sysId: "a", cls: "sys_user", values: { email } }]);
    });

    it("leaves excepted records alone and counts them", () => {
        const p = planMasking(
            rule,
            [rec("a", "mary@acme-corp.com", ""), rec("b", "bob@acme-corp.com", "")],
            new Set(["b"]),
            settings,
        );
        assert.deepEqual([p.inScope, p.exempt, p.writes.map((w) => w.sysId)], [2, 1, ["a"]]);
    });

    it("never carries an original value in what it plans to write", () => {
        const p = planMasking(
            rule,
            [rec("a", "planted.original@acme-corp.com", "+1 555 0199 8877")],
            new Set(),
            settings,
        );
        assert.ok(!JSON.stringify(p).includes("planted.original"));
        assert.ok(!JSON.stringify(p).includes("0199"));
    });

    it("computes the request lower bound of one read pass plus batched writes", () => {
        assert.equal(requestLowerBound(100_000, 100_000, 5000, 200), 21 + 500);
        assert.equal(requestLowerBound(10, 0, 5000, 200), 1);
    });
});

describe("DataMasking's Data Privacy window", () => {
    it("opens a day before the clone's completion, in glide date-time, and is empty without a time", () => {
        assert.equal(sinceOf("0123@2026-11-30T10:00:00Z"), "2026-11-29 10:00:00");
        assert.equal(sinceOf("0123@2026-11-30T10:00:00Z+rolled-back"), "2026-11-29 10:00:00");
        assert.equal(sinceOf(""), "");
        assert.equal(sinceOf("0123@"), "");
    });
});

describe("environment:masking", () => {
    it("defaults to the personal-data rules and names a bad key with the fix", () => {
        const ok = parseEnvironmentConfig({ masking: { exceptUsers: ["uat.lead"] } });
        assert.ok(ok.ok);
        assert.deepEqual(maskingArgs(ok.config.masking!).rules, [...PERSONAL_DATA_RULES]);
        const verify = parseEnvironmentConfig({ masking: { mode: "verifyDataPrivacy" } });
        assert.ok(verify.ok);
        assert.deepEqual(maskingArgs(verify.config.masking!).rules, []);

        const bad = parseEnvironmentConfig({ masking: { emailDomain: "acme-corp.com", knownCloneEpoch: "x" } });
        assert.ok(!bad.ok);
        const lines = bad.problems.map((p) => `${p.key}: ${p.reason}`).join("\n");
        assert.match(lines, /environment:masking\.emailDomain: .*\.invalid.*received "acme-corp.com"/);
        assert.match(lines, /environment:masking\.knownCloneEpoch: unknown key/);
    });
});
