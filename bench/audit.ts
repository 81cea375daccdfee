/**
 * `npm run bench:audit` — audit log figures (a benchmark, not a test; it prints numbers):
 *   1. append rate on SQLite: one event per transaction, and 1000 events per transaction;
 *   2. verify rate of `lockbox audit verify`'s ChainVerifier over a 1,000,000-event export,
 *      against raw SHA-256 over the same lines (ratio);
 *   3. peak memory (max RSS) of `lockbox audit verify` on that file, in a fresh process;
 *   4. the transparency log (SPEC §16): append rate with the Merkle tree maintained vs the hash
 *      chain alone, inclusion proofs/s read from the database, and the time and memory to verify a
 *      1,000-event partial export of the 1,000,000-event chain against a signed checkpoint.
 *   5. signed decisions (SPEC §15) verified offline per second, next to raw ECDSA P-256 and
 *      Ed25519 verification in node:crypto (bench/signed-decisions.ts; BENCH_SIGNED_DECISIONS).
 * Set BENCH_AUDIT_EVENTS to change the size of the export (default 1,000,000).
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { appendAudit, appendAuditEvents } from "../src/audit/append-audit.js";
import { GENESIS_HASH, hashEvent } from "../src/audit/audit-event.js";
import { inclusionProof, MemoryTree } from "../src/audit/merkle.js";
import { canonicalEvent, proveInclusion } from "../src/audit/merkle-store.js";
import { formatCheckpoint, formatVerifierKey, makeSigner, KEY_TYPE_ED25519, signNote } from "../src/audit/notes.js";
import { generateKeyPairSync } from "node:crypto";
import type { Tx } from "../src/db/schema.js";
import { ChainVerifier } from "../src/audit/verify-chain.js";
import { signedDecisionRates } from "./signed-decisions.js";
import { connectDb } from "../src/db/connect.js";
import { migrateToLatest } from "../src/db/migrate.js";
import { startTestApp } from "../test/support/test-app.js";

/**
 * The child's own peak memory in KiB. Not ru_maxrss: on Linux it survives fork+exec, so a child of
 * this process (which holds a million-leaf tree) would report the parent's size. VmHWM is reset
 * with the new process image.
 */
const PEAK_RSS = `(Number(/VmHWM:\\s+(\\d+)/.exec((await import("node:fs")).readFileSync("/proc/self/status", "utf8"))?.[1]) || process.resourceUsage().maxRSS)`;

const EVENTS = Number(process.env.BENCH_AUDIT_EVENTS ?? 1_000_000);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lockbox-bench-audit-"));
const rate = (n: number, ms: number) => Math.round((n * 1000) / ms).toLocaleString("en-US");

const entry = (i: number) => ({
  chain: "tenant:bench",
  at: new Date(1_767_600_000_000 + i),
  operation: "operator.read_mailbox",
  actor: { type: "user" as const, id: "u-1", name: "Erin Engineer", ip: "203.0.113.7" },
  target: { type: "mailbox", id: `mbx-${i}` },
  details: { requestId: "r-1", ticket: "CASE-1", service: "mail" },
  requestId: "r-1",
});

async function appendRates() {
  const db = connectDb({ dataDir: dir });
  await migrateToLatest(db);
  const single = 3000;
  let t0 = performance.now();
  for (let i = 0; i < single; i++) await db.transaction().execute((trx) => appendAudit(trx, entry(i)));
  const singleMs = performance.now() - t0;
  const batches = 20;
  t0 = performance.now();
  for (let b = 0; b < batches; b++) {
    await db.transaction().execute(async (trx) => {
      for (let i = 0; i < 1000; i++) await appendAudit(trx, entry(single + b * 1000 + i));
    });
  }
  const batchMs = performance.now() - t0;
  // The same appends with the hash chain alone (the code before the tree), on another chain,
  // interleaved with tree appends in rounds so a busy machine slows both alike: the median of the
  // rounds' ratios.
  const ratios: number[] = [];
  let chainOnlyMs = 0;
  for (let round = 0; round < 10; round++) {
    t0 = performance.now();
    for (let i = 0; i < 200; i++) await db.transaction().execute((trx) => appendAudit(trx, entry(100_000 + round * 200 + i)));
    const treeRound = performance.now() - t0;
    t0 = performance.now();
    for (let i = 0; i < 200; i++) await db.transaction().execute((trx) => appendChainOnly(trx, round * 200 + i));
    const chainRound = performance.now() - t0;
    chainOnlyMs += chainRound;
    ratios.push(chainRound / treeRound);
  }
  ratios.sort((a, b) => a - b);
  t0 = performance.now();
  const proofs = 5000;
  const size = single + batches * 1000 + 2000;
  for (let i = 0; i < proofs; i++) await proveInclusion(db, "tenant:bench", 1 + ((i * 7919) % size), size);
  const proofMs = performance.now() - t0;
  await db.destroy();
  console.log(`append, one event per transaction:   ${rate(single, singleMs)} events/s (${single} events, SQLite WAL)`);
  console.log(`append, 1000 events per transaction: ${rate(batches * 1000, batchMs)} events/s (${batches * 1000} events)`);
  console.log(`append, hash chain only (no tree):   ${rate(2000, chainOnlyMs)} events/s; with the tree: ${((ratios[4]! + ratios[5]!) / 2).toFixed(2)}× that (median of 10 interleaved rounds of 200, range ${ratios[0]!.toFixed(2)}–${ratios[9]!.toFixed(2)})`);
  console.log(`inclusion proofs from the database:  ${rate(proofs, proofMs)} proofs/s (tree of ${size.toLocaleString("en-US")})`);
}

/** appendAudit as it was before the Merkle tree: the baseline of the "with the tree" ratio. */
async function appendChainOnly(trx: Tx, i: number) {
  const chain = "tenant:bench-chain-only";
  await trx.insertInto("audit_heads").values({ chain, seq: 0, hash: GENESIS_HASH }).onConflict((oc) => oc.column("chain").doNothing()).execute();
  const head = await trx.selectFrom("audit_heads").select(["seq", "hash"]).where("chain", "=", chain).executeTakeFirstOrThrow();
  const { requestId: _r, ...e } = entry(i);
  const unsealed = { ...e, chain, at: e.at.toISOString(), seq: head.seq + 1, id: `c0000000-0000-4000-8000-${String(i).padStart(12, "0")}`, prevHash: head.hash };
  const hash = hashEvent(unsealed);
  await trx
    .insertInto("audit_events")
    .values({
      chain,
      seq: unsealed.seq,
      id: unsealed.id,
      at: unsealed.at,
      operation: unsealed.operation,
      actor: JSON.stringify(e.actor),
      actor_id: e.actor.id,
      target: JSON.stringify(e.target),
      request_id: "r-1",
      details: JSON.stringify(e.details),
      prev_hash: head.hash,
      hash,
    })
    .execute();
  await trx.updateTable("audit_heads").set({ seq: unsealed.seq, hash }).where("chain", "=", chain).execute();
}

const tree = new MemoryTree();
const tail: string[] = [];

function writeExport(file: string) {
  const out = fs.openSync(file, "w");
  let prev = GENESIS_HASH;
  let buffer = "";
  for (let i = 1; i <= EVENTS; i++) {
    const { requestId: _r, ...e } = entry(i);
    const unsealed = { ...e, at: e.at.toISOString(), seq: i, id: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`, prevHash: prev };
    const canonical = canonicalEvent(unsealed);
    prev = createHash("sha256").update(canonical).digest("hex");
    tree.append(Buffer.from(canonical));
    const line = JSON.stringify({ ...unsealed, hash: prev });
    buffer += `${line}\n`;
    if (i > EVENTS - 1000) tail.push(line);
    if (buffer.length > 1 << 20) {
      fs.writeSync(out, buffer);
      buffer = "";
    }
  }
  fs.writeSync(out, buffer);
  fs.closeSync(out);
}

async function forEachLine(file: string, fn: (line: string) => void) {
  const lines = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
  for await (const line of lines) fn(line);
}

async function verifyRates(file: string) {
  let t0 = performance.now();
  await forEachLine(file, (line) => {
    createHash("sha256").update(line).digest("hex");
  });
  const rawMs = performance.now() - t0;
  const verifier = new ChainVerifier();
  t0 = performance.now();
  await forEachLine(file, (line) => {
    const fault = verifier.pushLine(line);
    if (fault) throw new Error(`bench export is broken: ${JSON.stringify(fault)}`);
  });
  const verifyMs = performance.now() - t0;
  console.log(`raw SHA-256 over the lines:          ${rate(EVENTS, rawMs)} lines/s`);
  console.log(`verify (parse + JCS + SHA-256 + link): ${rate(EVENTS, verifyMs)} events/s`);
  console.log(`verify / raw SHA-256:                ${(rawMs / verifyMs).toFixed(2)}`);
}

function verifyMemory(file: string) {
  // A fresh process running the real CLI path; it prints its own peak RSS on exit.
  const script = `
    const { auditVerify } = await import(${JSON.stringify(path.resolve("src/cli/audit-verify.ts"))});
    await auditVerify(${JSON.stringify(file)}, {}, { write() { return true; } });
    console.log(${PEAK_RSS});`;
  const out = execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script]).toString().trim();
  const sizeMb = fs.statSync(file).size / 1024 / 1024;
  console.log(`verify peak memory (max RSS):        ${(Number(out) / 1024).toFixed(0)} MiB for a ${sizeMb.toFixed(0)} MiB, ${EVENTS.toLocaleString("en-US")}-event export`);
}

/** The last 1,000 events of the export, proven against a signed checkpoint by a fresh CLI process. */
function partialVerify() {
  const lines = tail;
  const slice = path.join(dir, "slice.jsonl");
  fs.writeFileSync(slice, `${lines.join("\n")}\n`);
  const first = EVENTS - lines.length + 1;
  const proofs = lines.map((_, i) => JSON.stringify({ chain: "tenant:bench", seq: first + i, size: EVENTS, proof: inclusionProof(first + i - 1, EVENTS, tree.get).map((h) => h.toString("base64")) }));
  fs.writeFileSync(path.join(dir, "proofs.jsonl"), `${proofs.join("\n")}\n`);
  const signer = makeSigner("bench.example/audit", KEY_TYPE_ED25519, generateKeyPairSync("ed25519").privateKey);
  fs.writeFileSync(path.join(dir, "checkpoint.txt"), signNote(formatCheckpoint({ origin: "bench.example/audit/tenant/bench", size: EVENTS, root: tree.root() }), signer));
  const script = `
    const { auditVerifyWithProofs } = await import(${JSON.stringify(path.resolve("src/cli/audit-verify-proofs.ts"))});
    const t0 = performance.now();
    await auditVerifyWithProofs(${JSON.stringify(slice)}, { checkpoint: ${JSON.stringify(path.join(dir, "checkpoint.txt"))}, logKey: ${JSON.stringify(formatVerifierKey(signer))}, proofs: ${JSON.stringify(path.join(dir, "proofs.jsonl"))} }, { write() { return true; } });
    console.log(JSON.stringify({ ms: performance.now() - t0, rss: ${PEAK_RSS} }));`;
  const out = JSON.parse(execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script]).toString().trim()) as { ms: number; rss: number };
  console.log(`partial verify, 1,000 events of ${EVENTS.toLocaleString("en-US")}: ${out.ms.toFixed(0)} ms against a signed checkpoint (--proofs), max RSS ${(out.rss / 1024).toFixed(0)} MiB`);
}

/**
 * Inclusion proofs served over real HTTP by a running app (GET /v1/audit/proof/inclusion), as a
 * provider admin reading the provider chain: sequentially and with 8 requests in flight.
 */
async function servedProofRates() {
  const t = await startTestApp({ LOCKBOX_LOG_LEVEL: "silent" });
  const size = 20_000;
  await t.app.deps.db.transaction().execute((trx) => appendAuditEvents(trx, "provider", Array.from({ length: size }, (_, i) => ({ ...entry(i), chain: "provider" }))));
  await t.app.server.listen({ port: 0, host: "127.0.0.1" });
  const address = t.app.server.server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  const headSize = Number((await t.app.deps.db.selectFrom("audit_heads").select("seq").where("chain", "=", "provider").executeTakeFirstOrThrow()).seq);
  const get = async (i: number) => {
    const res = await fetch(`http://127.0.0.1:${port}/v1/audit/proof/inclusion?chain=provider&seq=${1 + ((i * 7919) % headSize)}&size=${headSize}`, {
      headers: { authorization: `Bearer ${t.adminToken}` },
    });
    if (res.status !== 200) throw new Error(`proof answered ${res.status}`);
    await res.arrayBuffer();
  };
  const n = 2000;
  let t0 = performance.now();
  for (let i = 0; i < n; i++) await get(i);
  const sequentialMs = performance.now() - t0;
  t0 = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next < n) await get(next++);
  }));
  const parallelMs = performance.now() - t0;
  await t.close();
  console.log(`inclusion proofs served over HTTP:   ${rate(n, sequentialMs)} proofs/s one at a time, ${rate(n, parallelMs)} with 8 in flight (tree of ${headSize.toLocaleString("en-US")})`);
}

console.log(`node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}`);
signedDecisionRates();
await appendRates();
await servedProofRates();
const file = path.join(dir, "export.jsonl");
const t0 = performance.now();
writeExport(file);
console.log(`(wrote a ${EVENTS.toLocaleString("en-US")}-event export in ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
await verifyRates(file);
verifyMemory(file);
partialVerify();
fs.rmSync(dir, { recursive: true, force: true });
