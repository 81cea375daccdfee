import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash, generateKeyPairSync } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import canonicalizeModule from "canonicalize";
import { CompactSign, compactVerify, createLocalJWKSet, decodeProtectedHeader } from "jose";
import { appendAudit } from "../src/audit/append-audit.js";
import { tenantChain } from "../src/audit/audit-event.js";
import { loadMasterKey } from "../src/keys/master-key.js";
import { rotateSigningKey } from "../src/keys/signing-keys.js";
import { exportChain } from "./support/chains.js";
import { startTestApp, type TestApp } from "./support/test-app.js";
import { buildWorld, fileRequest, type World } from "./support/world.js";

const canonicalize = canonicalizeModule as unknown as (v: unknown) => string;
const run = promisify(execFile);

let t: TestApp;
let w: World;
let chainA: string;
before(async () => {
  t = await startTestApp();
  w = await buildWorld(t);
  chainA = tenantChain(w.tenantA);
  const id = await fileRequest(w);
  await t.request("POST", `/v1/requests/${id}/approve`, w.manager.as, {});
});
after(() => t.close());

const checkpointsOf = async (chain: string) =>
  (await t.request("GET", `/v1/audit/checkpoints?chain=${encodeURIComponent(chain)}`, w.providerAdmin.as)).body.items as {
    chain: string;
    seq: number;
    hash: string;
    at: string;
    jws: string;
  }[];

async function filler(chain: string, n: number) {
  for (let i = 0; i < n; i++) {
    await t.app.deps.db.transaction().execute((trx) =>
      appendAudit(trx, { chain, at: t.clock.now(), operation: "test.filler", actor: { type: "system", id: "t", name: "t" }, target: { type: "t", id: String(i) } }),
    );
  }
}

/** Writes the inputs as a customer would have downloaded them, runs `lockbox audit verify`. */
async function verify(lines: string[], checkpoints: unknown, jwks: unknown) {
  const dir = fs.mkdtempSync(path.join(t.database.dataDir, "v-"));
  fs.writeFileSync(`${dir}/chain.jsonl`, `${lines.join("\n")}\n`);
  fs.writeFileSync(`${dir}/checkpoints.json`, JSON.stringify(checkpoints));
  fs.writeFileSync(`${dir}/jwks.json`, JSON.stringify(jwks));
  const args = ["--import", "tsx", "src/cli/main.ts", "audit", "verify", `${dir}/chain.jsonl`, "--jwks", `${dir}/jwks.json`, "--checkpoints", `${dir}/checkpoints.json`];
  return run(process.execPath, args).then(
    (r) => ({ code: 0, out: r.stdout, err: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout, err: e.stderr }),
  );
}

describe("signed checkpoints", () => {
  test("the first run signs every chain's head; a second run within 5 minutes signs nothing new", async () => {
    const chains = await t.app.deps.db.selectFrom("audit_heads").select("chain").where("seq", ">", 0).execute();
    assert.equal(await t.app.checkpointer.runOnce(), chains.length, "one per chain with events");
    assert.equal(await t.app.checkpointer.runOnce(), 0);
    const [cp] = await checkpointsOf(chainA);
    const head = await t.app.deps.db.selectFrom("audit_heads").selectAll().where("chain", "=", chainA).executeTakeFirstOrThrow();
    assert.equal(cp!.seq, Number(head.seq));
    assert.equal(cp!.hash, head.hash);
  });

  test("each checkpoint is a compact EdDSA JWS over exactly {chain, seq, hash, at}, verifiable with plain jose", async () => {
    const jwks = (await t.request("GET", "/v1/audit/jwks.json", null)).body;
    const [cp] = await checkpointsOf(chainA);
    const header = decodeProtectedHeader(cp!.jws);
    assert.equal(header.alg, "EdDSA");
    assert.ok(jwks.keys.some((k: { kid: string }) => k.kid === header.kid));
    const { payload } = await compactVerify(cp!.jws, createLocalJWKSet(jwks));
    assert.deepEqual(JSON.parse(new TextDecoder().decode(payload)), { chain: cp!.chain, seq: cp!.seq, hash: cp!.hash, at: cp!.at });
  });

  test("a new checkpoint every 1000 events, and at the head once the last is 5 minutes old", async () => {
    await filler("provider", 2100);
    const before = (await checkpointsOf("provider")).map((c) => c.seq);
    await t.app.checkpointer.runOnce();
    const after = (await checkpointsOf("provider")).map((c) => c.seq);
    const first = before[0]!;
    assert.deepEqual(after, [first, first + 1000, first + 2000]);
    t.clock.advanceMinutes(5);
    await t.app.checkpointer.runOnce();
    const head = await t.app.deps.db.selectFrom("audit_heads").select("seq").where("chain", "=", "provider").executeTakeFirstOrThrow();
    assert.equal((await checkpointsOf("provider")).at(-1)!.seq, Number(head.seq));
  });

  test("the checkpoint routes follow the audit permissions", async () => {
    assert.equal((await t.request("GET", "/v1/audit/checkpoints", w.a.auditor.as)).status, 200);
    assert.equal((await t.request("GET", `/v1/audit/checkpoints?chain=${chainA}`, w.b.admin.as)).status, 404);
    assert.equal((await t.request("GET", "/v1/audit/checkpoints", w.a.approver.as)).status, 403);
    assert.equal((await t.request("GET", "/v1/audit/checkpoints", w.engineer.as)).status, 403);
    assert.equal((await t.request("GET", "/v1/audit/checkpoints", null)).status, 401);
  });
});

describe("lockbox audit verify with checkpoints", () => {
  let lines: string[];
  let checkpoints: Awaited<ReturnType<typeof checkpointsOf>>;
  let jwks: { keys: unknown[] };
  before(async () => {
    lines = (await exportChain(t, "provider")).trim().split("\n");
    checkpoints = await checkpointsOf("provider");
    jwks = (await t.request("GET", "/v1/audit/jwks.json", null)).body;
    assert.ok(checkpoints.length >= 3);
  });
  const listing = (items: unknown[]) => ({ items, nextCursor: null });

  test("an untouched export verifies against every checkpoint", async () => {
    const r = await verify(lines, listing(checkpoints), jwks);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, new RegExp(`${checkpoints.length} signed checkpoints match`));
  });

  test("a truncated tail past a checkpoint fails, naming the first missing seq", async () => {
    const last = checkpoints.at(-1)!.seq;
    const cut = lines.slice(0, last - 10);
    const r = await verify(cut, listing(checkpoints), jwks);
    assert.equal(r.code, 1);
    assert.match(r.err, new RegExp(`seq ${last - 9}\\b.*missing: a signed checkpoint covers seq ${last}`));
  });

  test("a chain rewritten and fully re-hashed from seq 5 on fails at the first checkpoint after it", async () => {
    let prev = JSON.parse(lines[3]!).hash as string;
    const forged = lines.map((line, i) => {
      if (i < 4) return line;
      const e = JSON.parse(line);
      if (i === 4) e.details = { ...e.details, forged: true };
      e.prevHash = prev;
      const { hash: _h, ...body } = e;
      e.hash = createHash("sha256").update(canonicalize(body)).digest("hex");
      prev = e.hash;
      return JSON.stringify(e);
    });
    const firstAfter = checkpoints.find((c) => c.seq >= 5)!.seq;
    const r = await verify(forged, listing(checkpoints), jwks);
    assert.equal(r.code, 1);
    assert.match(r.err, new RegExp(`seq ${firstAfter}\\b.*signed checkpoint`));
  });

  test("a forged checkpoint listing fails, naming its seq", async () => {
    const forged = checkpoints.map((c, i) => (i === 1 ? { ...c, hash: "f".repeat(64) } : c));
    const r = await verify(lines, listing(forged), jwks);
    assert.equal(r.code, 1);
    assert.match(r.err, new RegExp(`seq ${checkpoints[1]!.seq}\\b.*differs from what was signed`));
  });

  test("a checkpoint re-signed with a key that is not the server's fails", async () => {
    const { privateKey } = generateKeyPairSync("ed25519");
    const target = checkpoints[1]!;
    const statement = { chain: target.chain, seq: target.seq, hash: "e".repeat(64), at: target.at };
    const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(statement)))
      .setProtectedHeader({ alg: "EdDSA", kid: decodeProtectedHeader(target.jws).kid! })
      .sign(privateKey);
    const forged = checkpoints.map((c, i) => (i === 1 ? { ...statement, jws } : c));
    const r = await verify(lines, listing(forged), jwks);
    assert.equal(r.code, 1);
    assert.match(r.err, new RegExp(`seq ${target.seq}\\b.*signature does not verify`));
  });

  test("checkpoints signed before a key rotation still verify", async () => {
    const masterKey = loadMasterKey({ dataDir: t.app.deps.config.dataDir });
    await rotateSigningKey(t.app.deps.db, masterKey, t.clock.now(), t.app.deps.config.maxAccessMinutes);
    await t.app.deps.keys.reload();
    await filler("provider", 5);
    t.clock.advanceMinutes(10 * 24 * 60);
    await t.app.checkpointer.runOnce();
    const all = await checkpointsOf("provider");
    const kids = new Set(all.map((c) => decodeProtectedHeader(c.jws).kid));
    assert.equal(kids.size, 2, "old and new key both signed checkpoints");
    const allKeys = (await t.request("GET", "/v1/audit/jwks.json", null)).body;
    const r = await verify((await exportChain(t, "provider")).trim().split("\n"), listing(all), allKeys);
    assert.equal(r.code, 0, r.err);
  });

  test("--checkpoints without --jwks is a usage error (exit 2)", async () => {
    const file = path.join(t.database.dataDir, "c.jsonl");
    fs.writeFileSync(file, `${lines.join("\n")}\n`);
    const r = await run(process.execPath, ["--import", "tsx", "src/cli/main.ts", "audit", "verify", file, "--checkpoints", file]).catch((e) => e);
    assert.equal(r.code, 2);
  });
});
