#!/usr/bin/env node
// @ts-check
// `npm run docs:resources`: writes docs/resources/<resource>.md, one page per resource class exported by sdk/, from
// the classes' own JSDoc (summary, inputs with their defaults, outputs, example), like a Pulumi Registry page. The
// pages are generated so they cannot disagree with the code; `--check` exits 1 when a page is out of date (CI).
"use strict";

const fs = require("node:fs");
const path = require("node:path");
const ts = require("typescript");
const { packageRoot } = require("./toolchain.cjs");

const SDK = path.join(packageRoot, "sdk");
const OUT = path.join(packageRoot, "docs", "resources");

/**
 * Outputs that count drift (0 or empty when converged), and what the drift report says for each resource; the same
 * list the drift report uses (sdk/automation/drift.ts DRIFT_FIELDS), plus the inputs a read puts back.
 * @type {Record<string, string>}
 */
const DRIFT = {
    UserLockout:
        "`unlockedCount` (users in scope not locked out; expected 0) and `pendingUnlockCount`. The report names the property; `apply` locks them again.",
    ScheduledJobState:
        "`activeCount` (jobs in scope active again; expected 0) and `pendingReactivationCount`. `apply` deactivates them again.",
    LdapServerState:
        "`driftedServers` (servers active against the policy; expected empty) and `active`. `apply` deactivates them again.",
    EmailPolicy:
        "`sending`, `receiving`, `redirectTo` and the SMTP account fields as read from `sys_properties` / `sys_email_account`: a hand edit shows as the input that differs, e.g. `receiving: expected false, found true`.",
    InstanceBranding:
        "`bannerText`, `baseColor`, `welcomeText` as read from the instance: a hand edit shows as the input that differs.",
    SystemProperty: "`value` as read from `sys_properties`: a hand edit shows as `value: expected …, found …`.",
    IntegrationEndpoints:
        "endpoints the rules should have rewritten that point at a production host again show as a planned update.",
    MidServerState:
        "missing or inactive MID server users and queued ECC output are drift; `downMidServers` is reported, never drift (the platform, not the stack, brings a MID server up).",
    CloneRun:
        "none: a clone is a job, not a setting. A newer clone into the target changes `epoch` (`reclonedSinceApply` says so), and every post-clone resource re-asserts its policy.",
    ClonePreserver:
        "the record's fields on the source, read back by natural key: a hand edit shows as the input that differs.",
    CloneExclusion:
        "the record's fields on the source, read back by natural key: a hand edit shows as the input that differs.",
    CloneCleanupScript:
        "the record's fields on the source, read back by natural key: a hand edit shows as the input that differs.",
    CloneProfile:
        "the profile and its links on the source, read back by natural key: a hand edit shows as the input that differs.",
};

/** @param {ts.Node} node */
function jsDoc(node) {
    const docs = /** @type {ts.JSDoc[]} */ (/** @type {any} */ (node).jsDoc ?? []);
    const doc = docs[docs.length - 1];
    if (!doc) return { text: "", tags: /** @type {Record<string, string>} */ ({}) };
    const text = typeof doc.comment === "string" ? doc.comment : (ts.getTextOfJSDocComment(doc.comment) ?? "");
    /** @type {Record<string, string>} */
    const tags = {};
    for (const tag of doc.tags ?? []) {
        const c = typeof tag.comment === "string" ? tag.comment : (ts.getTextOfJSDocComment(tag.comment) ?? "");
        tags[tag.tagName.text] = c.trim();
    }
    // "@default x" written inside the summary line (the project's habit) is split off here.
    const m = /^([\s\S]*?)\s*@default\s+([\s\S]*)$/.exec(text);
    if (m) {
        tags.default ??= (m[2] ?? "").trim();
        return { text: (m[1] ?? "").trim(), tags };
    }
    return { text: text.trim(), tags };
}

/** Renders a TypeScript type for a reader: pulumi.Input<…> and pulumi.Output<…> unwrapped. @param {string} t */
function plainType(t) {
    let prev;
    let out = t.replace(/\s+/g, " ");
    do {
        prev = out;
        out = out.replace(/pulumi\.(Input|Output)<([^<>]*(?:<[^<>]*>[^<>]*)*)>/g, "$2");
    } while (out !== prev);
    return out.replace(/\|/g, "\\|");
}

/** @param {string} text */
function cell(text) {
    return text.replace(/\s*\n\s*/g, " ").replace(/\|/g, "\\|");
}

/** @param {string} file */
function describe(file) {
    const source = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true);
    /** @type {ts.ClassDeclaration | undefined} */
    let cls;
    /** @type {Map<string, ts.InterfaceDeclaration>} */
    const interfaces = new Map();
    source.forEachChild((n) => {
        if (ts.isInterfaceDeclaration(n)) interfaces.set(n.name.text, n);
        if (ts.isClassDeclaration(n) && n.name && n.heritageClauses?.some((h) => /dynamic\.Resource/.test(h.getText())))
            cls = n;
    });
    if (!cls?.name) return undefined;
    const name = cls.name.text;
    const ctor = cls.members.find(ts.isConstructorDeclaration);
    const argsParam = ctor?.parameters[1];
    const argsType = argsParam?.type?.getText();
    const args = argsType ? interfaces.get(argsType) : undefined;
    const inputs = (args?.members ?? []).filter(ts.isPropertySignature).map((m) => {
        const d = jsDoc(m);
        return {
            name: m.name.getText(),
            type: plainType(m.type?.getText() ?? "unknown"),
            required: !m.questionToken,
            doc: d.text,
            default: d.tags.default,
        };
    });
    const outputs = cls.members
        .filter(ts.isPropertyDeclaration)
        .filter((m) => m.modifiers?.some((x) => x.kind === ts.SyntaxKind.DeclareKeyword))
        .map((m) => ({ name: m.name.getText(), type: plainType(m.type?.getText() ?? "unknown"), doc: jsDoc(m).text }));
    const doc = jsDoc(cls);
    return { name, module: path.basename(file, ".ts"), doc: doc.text, example: doc.tags.example, inputs, outputs };
}

/** @param {NonNullable<ReturnType<typeof describe>>} r */
function page(r) {
    const lines = [
        `# ${r.name}`,
        "",
        `<!-- Generated by \`npm run docs:resources\` from sdk/${r.module}.ts; edit the JSDoc there, not this page. -->`,
        "",
        r.doc,
        "",
        "```ts",
        `import { ${r.name} } from "pulumi-servicenow-clone";`,
        "",
        (r.example ?? `new ${r.name}("${r.module}", {});`).trim(),
        "```",
        "",
        `Type token: \`pulumi-nodejs:dynamic/servicenow:${r.name}\`. Existing records and settings are adopted by`,
        "their natural key (this is the import: Pulumi cannot `pulumi import` a dynamic resource); `destroy` restores what",
        "the resource changed.",
        "",
        "## Inputs",
        "",
        "| Input | Type | Required | Default | Description |",
        "| --- | --- | --- | --- | --- |",
        ...r.inputs.map(
            (i) =>
                `| \`${i.name}\` | \`${i.type}\` | ${i.required ? "yes" : "no"} | ${i.default && i.default !== "none" ? `\`${cell(i.default)}\`` : ""} | ${cell(i.doc)} |`,
        ),
        "",
        "## Outputs",
        "",
        "Every input is also an output. In addition:",
        "",
        "| Output | Type | Description |",
        "| --- | --- | --- |",
        ...r.outputs.map((o) => `| \`${o.name}\` | \`${o.type}\` | ${cell(o.doc)} |`),
        "",
        "## Drift",
        "",
        `\`sn-clone drift\` (and \`pulumi preview --refresh\`) report: ${DRIFT[r.name] ?? "the inputs that differ from what the instance holds."}`,
        "",
        "See [../troubleshooting.md](../troubleshooting.md) for what each error means and [../state.md](../state.md) for",
        "what state holds.",
        "",
    ];
    return lines.join("\n");
}

function main() {
    const check = process.argv.includes("--check");
    const pages = fs
        .readdirSync(SDK)
        .filter((f) => f.endsWith(".ts"))
        .map((f) => describe(path.join(SDK, f)))
        .filter((r) => r !== undefined)
        .sort((a, b) => a.name.localeCompare(b.name));
    fs.mkdirSync(OUT, { recursive: true });
    const stale = [];
    for (const r of pages) {
        const file = path.join(OUT, `${r.module}.md`);
        const text = page(r);
        const current = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
        if (current === text) continue;
        stale.push(path.relative(packageRoot, file));
        if (!check) fs.writeFileSync(file, text);
    }
    const index = [
        "# Resources",
        "",
        "<!-- Generated by `npm run docs:resources`. -->",
        "",
        "| Resource | What it converges |",
        "| --- | --- |",
        ...pages.map((r) => `| [${r.name}](${r.module}.md) | ${cell(r.doc.split("\n\n")[0] ?? "")} |`),
        "",
    ].join("\n");
    const indexFile = path.join(OUT, "README.md");
    if ((fs.existsSync(indexFile) ? fs.readFileSync(indexFile, "utf8") : "") !== index) {
        stale.push(path.relative(packageRoot, indexFile));
        if (!check) fs.writeFileSync(indexFile, index);
    }
    if (check && stale.length > 0) {
        process.stderr.write(`out of date (run npm run docs:resources): ${stale.join(", ")}\n`);
        process.exit(1);
    }
    if (!check) process.stdout.write(`${pages.length} resource pages in docs/resources (${stale.length} updated)\n`);
}

main();
