import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { appendAudit } from "../src/audit/append-audit.js";
import { tenantChain } from "../src/audit/audit-event.js";
import { loadLogSigner, originOf } from "../src/audit/log-key.js";
import { consistencyProof, MemoryTree } from "../src/audit/merkle.js";
import { canonicalEvent } from "../src/audit/merkle-store.js";
import { formatCheckpoint, signNote } from "../src/audit/notes.js";
import { auditVerifyWithProofs } from "../src/cli/audit-verify-proofs.js";
import type { CliError } from "../src/cli/fail.js";
import { exportChain } from "./support/chains.js";
import { startTestApp, type TestApp } from "./support/test-app.js";
import { buildWorld, type World } from "./support/world.js";

let t: TestApp;
let w: World;
let chain: string;
let base: string;
let dir: string;
let cut: string;
before(async () => {
  t = await startTestApp();
  w = await buildWorld(t);
  chain = tenantChain(w.tenantA);
  await filler(20);
  t.clock.advanceMinutes(1);
  cut = t.clock.now().toISOString();
  await filler(20);
  await t.app.checkpointer.runOnce();
  await t.app.server.listen({ port: 0, host: "127.0.0.1" });
  base = `http://127.0.0.1:${(t.app.server.server.address() as { port: number }).port}`;
  dir = fs.mkdtempSync(path.join(t.database.dataDir, "cli-"));
});
after(() => t.close());

async function filler(n: number) {
  await t.app.deps.db.transaction().execute(async (trx) => {
    for (let i = 0; i < n; i++) {
      await appendAudit(trx, { chain, at: t.clock.now(), operation: "test.filler", actor: { type: "system", id: "t", name: "t" }, target: { type: "t", id: String(i) } });
    }
  });
}

function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
      env: { ...process.env, LOCKBOX_TOKEN: w.a.auditor.token, XDG_CONFIG_HOME: dir, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (c) => (out += c));
    child.stderr.on("data", (c) => (err += c));
    child.on("close", (code) => resolve({ code: code ?? -1, out, err }));
  });
}

const text = async (url: string) => (await t.request("GET", url, w.a.auditor.as)).body as string;
const file = (name: string, content: string) => {
  const p = path.join(dir, name);
  fs.writeFileSync(p, content);
  return p;
};

describe("lockbox audit verify: partial exports against a signed checkpoint", () => {
  test("an export from a time on (starting at seq > 1) is proven line by line, from the server or from a proofs file", async () => {
    const lines = (await exportChain(t, chain)).trim().split("\n");
    const partial = await t.request("GET", `/v1/audit/export?format=jsonl&chain=${encodeURIComponent(chain)}&from=${cut}`, w.a.auditor.as);
    assert.equal(partial.status, 200);
    const sliceLines = (partial.body as string).trim().split("\n");
    const firstSeq = JSON.parse(sliceLines[0]!).seq as number;
    assert.deepEqual(sliceLines, lines.slice(firstSeq - 1), "the export from the cut is the chain's tail");
    assert.ok(firstSeq > 1 && sliceLines.length === 20);
    const slice = file("slice.jsonl", `${sliceLines.join("\n")}\n`);
    const checkpoint = file("checkpoint.txt", await text(`/v1/audit/checkpoint?chain=${encodeURIComponent(chain)}`));
    const key = file("log-key.txt", await text("/v1/audit/log-key"));
    // The finding: today's verification refuses any export that does not start at seq 1.
    const old = await cli(["audit", "verify", slice]);
    assert.equal(old.code, 1);
    assert.match(old.err, /seq 1 is missing/);

    const viaServer = await cli(["audit", "verify", slice, "--checkpoint", checkpoint, "--log-key", key, "--server", base]);
    assert.equal(viaServer.code, 0, viaServer.err);
    assert.match(viaServer.out, new RegExp(`ok: 20 events \\(seq ${firstSeq}…${lines.length}\\) are in the log of lockbox\\.test/audit/tenant/`));

    const size = lines.length;
    const proofs = [];
    for (let seq = firstSeq; seq <= size; seq++) {
      proofs.push(JSON.stringify((await t.request("GET", `/v1/audit/proof/inclusion?chain=${encodeURIComponent(chain)}&seq=${seq}&size=${size}`, w.a.auditor.as)).body));
    }
    const proofsFile = file("proofs.jsonl", `${proofs.join("\n")}\n`);
    const viaFile = await cli(["audit", "verify", slice, "--checkpoint", checkpoint, "--log-key", key, "--proofs", proofsFile]);
    assert.equal(viaFile.code, 0, viaFile.err);

    // One changed event is named by its seq, whichever way the proofs come.
    const tampered = sliceLines.map((l) => {
      const e = JSON.parse(l);
      if (e.seq !== size) return l;
      // Re-hashed so only the log, not the hash chain, can catch it.
      const { hash: _h, ...rest } = { ...e, details: { forged: true } };
      return JSON.stringify({ ...rest, hash: createHashHex(canonicalEvent(rest)) });
    });
    const bad = file("tampered.jsonl", `${tampered.join("\n")}\n`);
    for (const source of [["--server", base], ["--proofs", proofsFile]]) {
      const r = await cli(["audit", "verify", bad, "--checkpoint", checkpoint, "--log-key", key, ...source]);
      assert.equal(r.code, 1, r.err);
      assert.match(r.err, new RegExp(`not proven at seq ${size} .*not in the log`));
    }
    // A key that is not one, or a checkpoint changed after signing, is refused (in process: both
    // stop before any proof is fetched).
    const otherKey = file("other-key.txt", "lockbox.test/audit+00000000+AQ==\n");
    await assert.rejects(auditVerifyWithProofs(slice, { checkpoint, logKey: otherKey, proofs: proofsFile }), (e: CliError) => e.exitCode === 2);
    const forged = file("forged.txt", (await text(`/v1/audit/checkpoint?chain=${encodeURIComponent(chain)}`)).replace(`\n${size}\n`, `\n${size + 1}\n`));
    await assert.rejects(
      auditVerifyWithProofs(slice, { checkpoint: forged, logKey: key, proofs: proofsFile }),
      (e: CliError) => e.exitCode === 1 && /the checkpoint does not verify/.test(e.message),
    );
  });
});

/**
 * A server in front of Lockbox that the test can turn into a liar: it serves the real answers
 * until `forge` is set, then the forged checkpoint and proofs. The log key is the real one (the
 * provider holds it), so only the monitor's consistency check can catch the lie.
 */
async function frontServer(): Promise<{ url: string; forge?: { note: string; proof: (from: number, to: number) => Buffer[] }; close(): Promise<void> }> {
  const state: { url: string; forge?: { note: string; proof: (from: number, to: number) => Buffer[] }; close(): Promise<void> } = {
    url: "",
    close: async () => undefined,
  };
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url!, "http://x");
    if (state.forge && url.pathname === "/v1/audit/checkpoint") {
      res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
      return res.end(state.forge.note);
    }
    if (state.forge && url.pathname === "/v1/audit/proof/consistency") {
      const from = Number(url.searchParams.get("from"));
      const to = Number(url.searchParams.get("to"));
      res.writeHead(200, { "content-type": "application/json" });
      return res.end(JSON.stringify({ chain, from, to, proof: state.forge.proof(from, to).map((h) => h.toString("base64")) }));
    }
    const real = await t.app.server.inject({ method: "GET", url: req.url!, headers: { authorization: String(req.headers.authorization ?? "") } });
    res.writeHead(real.statusCode, { "content-type": String(real.headers["content-type"] ?? "text/plain") });
    res.end(real.body);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  state.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  state.close = () => new Promise((r) => server.close(() => r()));
  return state;
}

/** The chain's leaves as a customer computes them from an export, with event `rewrite` changed. */
async function leavesOf(rewrite?: number): Promise<Buffer[]> {
  return (await exportChain(t, chain))
    .trim()
    .split("\n")
    .map((l) => {
      const { hash: _h, ...e } = JSON.parse(l);
      return Buffer.from(canonicalEvent(e.seq === rewrite ? { ...e, details: { rewritten: true } } : e));
    });
}

async function forgedCheckpoint(leaves: Buffer[]): Promise<{ note: string; tree: MemoryTree }> {
  const tree = new MemoryTree();
  for (const l of leaves) tree.append(l);
  const signer = await loadLogSigner(t.app.deps.db, t.app.deps.config);
  const note = signNote(formatCheckpoint({ origin: originOf(t.app.deps.config, chain), size: tree.size, root: tree.root() }), signer);
  return { note, tree };
}

describe("lockbox audit monitor", () => {
  test("accepts growth with a consistency proof; a forged fork signed with the real key exits 1 and alerts", async () => {
    const front = await frontServer();
    const alerts: unknown[] = [];
    const hook = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        alerts.push(JSON.parse(body));
        res.end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, "127.0.0.1", r));
    const hookUrl = `http://127.0.0.1:${(hook.address() as { port: number }).port}/alert`;
    const state = path.join(dir, "monitor.json");
    const monitor = () => cli(["audit", "monitor", "--server", front.url, "--chain", chain, "--state", state, "--alert-webhook", hookUrl]);
    try {
      const first = await monitor();
      assert.equal(first.code, 0, first.err);
      assert.match(first.out, /first checkpoint accepted/);
      assert.match(first.err, /pinned the log key/);
      assert.equal(fs.statSync(state).mode & 0o777, 0o600);
      const accepted = JSON.parse(fs.readFileSync(state, "utf8")).size as number;

      await filler(5);
      t.clock.advanceMinutes(6);
      await t.app.checkpointer.runOnce();
      const grown = await monitor();
      assert.equal(grown.code, 0, grown.err);
      assert.match(grown.out, new RegExp(`size ${accepted + 5} \\(grew from ${accepted}, consistent\\)`));

      // The provider rewrites event 3 and appends two more, signing the new history with its key.
      const forged = await forgedCheckpoint([...(await leavesOf(3)), Buffer.from("x"), Buffer.from("y")]);
      front.forge = { note: forged.note, proof: (from, to) => consistencyProof(from, to, forged.tree.get) };
      const fork = await monitor();
      assert.equal(fork.code, 1, fork.err);
      assert.match(fork.err, /ALERT .*the log forked: the checkpoint at size \d+ does not extend the one accepted at size/);
      assert.equal(alerts.length, 1);
      assert.equal((alerts[0] as { chain: string }).chain, chain);
      // The last good checkpoint stays in the state file, the evidence beside it.
      assert.equal(JSON.parse(fs.readFileSync(state, "utf8")).size, accepted + 5);
      assert.ok(fs.readdirSync(dir).some((f) => f.startsWith("monitor.json.evidence-")));

      // A log that shrinks (an honest prefix, re-signed) is caught as well.
      const shrunk = await forgedCheckpoint((await leavesOf()).slice(0, accepted));
      front.forge = { note: shrunk.note, proof: () => [] };
      const shrink = await monitor();
      assert.equal(shrink.code, 1);
      assert.match(shrink.err, /the log shrank/);
    } finally {
      await front.close();
      await new Promise<void>((r) => hook.close(() => r()));
    }
  });
});

function createHashHex(s: string): string {
  return createHash("sha256").update(s).digest("hex");
}
