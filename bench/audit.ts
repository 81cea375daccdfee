/**
 * `npm run bench:audit` — audit log figures (a benchmark, not a test; it prints numbers):
 *   1. append rate on SQLite: one event per transaction, and 1000 events per transaction;
 *   2. verify rate of `lockbox audit verify`'s ChainVerifier over a 1,000,000-event export,
 *      against raw SHA-256 over the same lines (ratio);
 *   3. peak memory (max RSS) of `lockbox audit verify` on that file, in a fresh process.
 * Set BENCH_AUDIT_EVENTS to change the size of the export (default 1,000,000).
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { appendAudit } from "../src/audit/append-audit.js";
import { GENESIS_HASH, hashEvent } from "../src/audit/audit-event.js";
import { ChainVerifier } from "../src/audit/verify-chain.js";
import { connectDb } from "../src/db/connect.js";
import { migrateToLatest } from "../src/db/migrate.js";

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
  await db.destroy();
  console.log(`append, one event per transaction:   ${rate(single, singleMs)} events/s (${single} events, SQLite WAL)`);
  console.log(`append, 1000 events per transaction: ${rate(batches * 1000, batchMs)} events/s (${batches * 1000} events)`);
}

function writeExport(file: string) {
  const out = fs.openSync(file, "w");
  let prev = GENESIS_HASH;
  let buffer = "";
  for (let i = 1; i <= EVENTS; i++) {
    const { requestId: _r, ...e } = entry(i);
    const unsealed = { ...e, at: e.at.toISOString(), seq: i, id: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`, prevHash: prev };
    prev = hashEvent(unsealed);
    buffer += `${JSON.stringify({ ...unsealed, hash: prev })}\n`;
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
    console.log(process.resourceUsage().maxRSS);`;
  const out = execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script]).toString().trim();
  const sizeMb = fs.statSync(file).size / 1024 / 1024;
  console.log(`verify peak memory (max RSS):        ${(Number(out) / 1024).toFixed(0)} MiB for a ${sizeMb.toFixed(0)} MiB, ${EVENTS.toLocaleString("en-US")}-event export`);
}

console.log(`node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}`);
await appendRates();
const file = path.join(dir, "export.jsonl");
const t0 = performance.now();
writeExport(file);
console.log(`(wrote a ${EVENTS.toLocaleString("en-US")}-event export in ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
await verifyRates(file);
verifyMemory(file);
fs.rmSync(dir, { recursive: true, force: true });
