import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { appendAudit } from "../src/audit/append-audit.js";
import { tenantChain } from "../src/audit/audit-event.js";
import { leafHash, MemoryTree, verifyConsistency, verifyInclusion } from "../src/audit/merkle.js";
import { canonicalEvent, rootOf } from "../src/audit/merkle-store.js";
import { rotateAuditLogKey, signerOf } from "../src/audit/log-key.js";
import { formatVerifierKey, openNote, parseCheckpoint, parseVerifierKey } from "../src/audit/notes.js";
import { parseProofBundle } from "../src/audit/proof-bundle.js";
import { exportChain } from "./support/chains.js";
import { startTestApp, type TestApp } from "./support/test-app.js";
import { buildWorld, fileRequest, type World } from "./support/world.js";

let t: TestApp;
let w: World;
let chainA: string;
before(async () => {
  t = await startTestApp();
  w = await buildWorld(t);
  chainA = tenantChain(w.tenantA);
  const id = await fileRequest(w);
  await t.request("POST", `/v1/requests/${id}/approve`, w.manager.as, {});
  await filler(chainA, 30);
});
after(() => t.close());

async function filler(chain: string, n: number) {
  await t.app.deps.db.transaction().execute(async (trx) => {
    for (let i = 0; i < n; i++) {
      await appendAudit(trx, { chain, at: t.clock.now(), operation: "test.filler", actor: { type: "system", id: "t", name: "t" }, target: { type: "t", id: String(i) } });
    }
  });
}

/** The tree a customer computes from an export alone: leaf i = JCS(event i+1 without hash). */
async function treeFromExport(chain: string): Promise<{ tree: MemoryTree; lines: Record<string, unknown>[] }> {
  const lines = (await exportChain(t, chain)).trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
  const tree = new MemoryTree();
  for (const { hash: _h, ...unsealed } of lines) tree.append(Buffer.from(canonicalEvent(unsealed as never)));
  return { tree, lines };
}

const logKeys = async () => ((await t.request("GET", "/v1/audit/log-key", null)).body as string).trim().split("\n").map(parseVerifierKey);
const b64 = (list: string[]) => list.map((h) => Buffer.from(h, "base64"));

describe("transparency log: tree, checkpoints, proofs", () => {
  test("the log key is public, one note verifier key named <public host>/audit", async () => {
    const res = await t.request("GET", "/v1/audit/log-key", null);
    assert.equal(res.status, 200);
    assert.match(String(res.headers["content-type"]), /^text\/plain/);
    assert.match(res.body, /^lockbox\.test\/audit\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}\n$/);
    assert.equal((await logKeys())[0]!.type, 1);
  });

  test("before its first checkpoint a chain answers 204 with no body, not an error", async () => {
    const res = await t.request("GET", `/v1/audit/checkpoint?chain=${encodeURIComponent(chainA)}`, w.a.auditor.as);
    assert.equal(res.status, 204);
    assert.equal(res.body, "");
  });

  test("the checkpoint is a signed note over the root a customer computes from the export", async () => {
    await t.app.checkpointer.runOnce();
    const res = await t.request("GET", `/v1/audit/checkpoint?chain=${encodeURIComponent(chainA)}`, w.a.auditor.as);
    assert.equal(res.status, 200);
    assert.match(String(res.headers["content-type"]), /^text\/plain/);
    const { text } = openNote(res.body, await logKeys());
    const cp = parseCheckpoint(text);
    const { tree, lines } = await treeFromExport(chainA);
    assert.equal(cp.origin, `lockbox.test/audit/tenant/${w.tenantA}`);
    assert.equal(cp.size, lines.length);
    assert.deepEqual(cp.root, tree.root());
    // The tenant's own chain is the default for its readers.
    assert.equal((await t.request("GET", "/v1/audit/checkpoint", w.a.admin.as)).body, res.body);
    const provider = await t.request("GET", "/v1/audit/checkpoint?chain=provider", w.providerAdmin.as);
    assert.equal(parseCheckpoint(openNote(provider.body, await logKeys()).text).origin, "lockbox.test/audit/provider");
  });

  test("every event has an inclusion proof, and every earlier size a consistency proof, that verify", async () => {
    const { tree, lines } = await treeFromExport(chainA);
    const size = lines.length;
    const q = (path: string) => t.request("GET", `${path}&chain=${encodeURIComponent(chainA)}`, w.a.auditor.as);
    for (let seq = 1; seq <= size; seq++) {
      const res = await q(`/v1/audit/proof/inclusion?seq=${seq}&size=${size}`);
      assert.equal(res.status, 200);
      assert.deepEqual({ ...res.body, proof: undefined }, { chain: chainA, seq, size, proof: undefined });
      const { hash: _h, ...unsealed } = lines[seq - 1]!;
      assert.ok(verifyInclusion(seq - 1, size, leafHash(Buffer.from(canonicalEvent(unsealed as never))), b64(res.body.proof), tree.root()), `seq ${seq}`);
    }
    for (let from = 0; from <= size; from++) {
      const res = await q(`/v1/audit/proof/consistency?from=${from}&to=${size}`);
      assert.equal(res.status, 200);
      assert.ok(verifyConsistency(from, size, b64(res.body.proof), tree.root(from), tree.root()), `from ${from}`);
    }
  });

  test("each event's tlog-proof bundle carries its leaf, index, proof and the signed checkpoint", async () => {
    const { lines } = await treeFromExport(chainA);
    const event = lines[4]!;
    const res = await t.request("GET", `/v1/audit/events/${event.id}/proof`, w.a.admin.as);
    assert.equal(res.status, 200);
    const bundle = parseProofBundle(res.body);
    const { hash: _h, ...unsealed } = event;
    assert.equal(bundle.extra!.toString(), canonicalEvent(unsealed as never));
    assert.equal(bundle.index, 4);
    const cp = parseCheckpoint(openNote(bundle.checkpoint, await logKeys()).text);
    assert.ok(verifyInclusion(bundle.index, cp.size, leafHash(bundle.extra!), bundle.proof, cp.root));
    // Another tenant's reader never learns the event exists.
    assert.equal((await t.request("GET", `/v1/audit/events/${event.id}/proof`, w.b.auditor.as)).status, 404);
    assert.equal((await t.request("GET", `/v1/audit/events/nope/proof`, w.a.admin.as)).status, 404);
  });

  test("an event newer than the latest checkpoint has no bundle yet (409), until the next checkpoint", async () => {
    await filler(chainA, 1);
    const head = await t.app.deps.db.selectFrom("audit_events").select("id").where("chain", "=", chainA).orderBy("seq", "desc").executeTakeFirstOrThrow();
    assert.equal((await t.request("GET", `/v1/audit/events/${head.id}/proof`, w.a.admin.as)).status, 409);
    t.clock.advanceMinutes(6);
    await t.app.checkpointer.runOnce();
    assert.equal((await t.request("GET", `/v1/audit/events/${head.id}/proof`, w.a.admin.as)).status, 200);
  });

  test("concurrent appends to one chain keep its tree equal to the chain (several connections on PostgreSQL)", async () => {
    const chain = tenantChain(w.tenantB);
    await Promise.all(Array.from({ length: 24 }, () => filler(chain, 3)));
    const { tree, lines } = await treeFromExport(chain);
    const size = Number((await t.app.deps.db.selectFrom("audit_heads").select("tree_size").where("chain", "=", chain).executeTakeFirstOrThrow()).tree_size);
    assert.equal(size, lines.length);
    for (let n = 1; n <= size; n += 7) assert.deepEqual(await rootOf(t.app.deps.db, chain, n), tree.root(n), `root ${n}`);
    assert.deepEqual(await rootOf(t.app.deps.db, chain, size), tree.root());
  });

  test("bad input is 400 naming the field, other chains 404, other roles 403, no credentials 401", async () => {
    const size = Number((await t.app.deps.db.selectFrom("audit_heads").select("tree_size").where("chain", "=", chainA).executeTakeFirstOrThrow()).tree_size);
    const cases: [string, number, string?][] = [
      [`/v1/audit/proof/inclusion?seq=0&size=${size}`, 400, "seq"],
      [`/v1/audit/proof/inclusion?seq=1&size=${size + 1}`, 400, "size"],
      [`/v1/audit/proof/inclusion?seq=${size}&size=${size - 1}`, 400, "seq"],
      [`/v1/audit/proof/inclusion?seq=x&size=${size}`, 400, "seq"],
      [`/v1/audit/proof/inclusion?seq=1`, 400, "size"],
      [`/v1/audit/proof/inclusion?seq=1&size=99999999999999999999`, 400, "size"],
      [`/v1/audit/proof/consistency?from=5&to=4`, 400, "from"],
      [`/v1/audit/proof/consistency?from=1&to=${size + 1}`, 400, "to"],
      [`/v1/audit/proof/consistency?from=-1&to=2`, 400, "from"],
    ];
    for (const [path, status, field] of cases) {
      const res = await t.request("GET", `${path}&chain=${encodeURIComponent(chainA)}`, w.a.auditor.as);
      assert.equal(res.status, status, path);
      assert.equal(res.body.error.code, "invalid_request", path);
      assert.match(JSON.stringify(res.body.error), new RegExp(field!), path);
    }
    const other = encodeURIComponent(tenantChain(w.tenantB));
    assert.equal((await t.request("GET", `/v1/audit/checkpoint?chain=${other}`, w.a.auditor.as)).status, 404);
    assert.equal((await t.request("GET", `/v1/audit/proof/inclusion?chain=${other}&seq=1&size=1`, w.a.auditor.as)).status, 404);
    assert.equal((await t.request("GET", `/v1/audit/checkpoint?chain=tenant%3Anobody`, w.providerAdmin.as)).status, 404);
    assert.equal((await t.request("GET", `/v1/audit/checkpoint?chain=${encodeURIComponent(chainA)}`, w.engineer.as)).status, 403);
    assert.equal((await t.request("GET", `/v1/audit/checkpoint?chain=${encodeURIComponent(chainA)}`, w.a.approver.as)).status, 403);
    assert.equal((await t.request("GET", `/v1/audit/checkpoint?chain=${encodeURIComponent(chainA)}`, null)).status, 401);
    assert.equal((await t.request("GET", `/v1/audit/proof/consistency?chain=${encodeURIComponent(chainA)}&from=1&to=2`, null)).status, 401);
  });

  test("the log key is sealed at rest and rotates; retired keys stay published and old checkpoints keep verifying", async () => {
    const row = await t.app.deps.db.selectFrom("audit_log_keys").selectAll().executeTakeFirstOrThrow();
    assert.match(row.private_key_enc, /^v1\./);
    assert.throws(() => signerOf(Buffer.alloc(32, 9), row), /cannot be decrypted/);
    const before = await t.request("GET", `/v1/audit/checkpoint?chain=${encodeURIComponent(chainA)}`, w.a.auditor.as);
    const oldKeys = await logKeys();
    const rotated = await rotateAuditLogKey(t.app.deps.db, t.app.deps.config, t.clock.now());
    const keys = await logKeys();
    assert.equal(keys.length, 2);
    assert.equal(formatVerifierKey(keys[0]!), rotated.verifierKey, "the active key comes first");
    assert.deepEqual(rotated.retired, [row.key_id]);
    await filler(chainA, 2);
    t.clock.advanceMinutes(6);
    await t.app.checkpointer.runOnce();
    const after = (await t.request("GET", `/v1/audit/checkpoint?chain=${encodeURIComponent(chainA)}`, w.a.auditor.as)).body;
    assert.deepEqual(openNote(after, keys).signedBy, [keys[0]]);
    assert.throws(() => openNote(after, oldKeys), /not signed by a known key/);
    assert.deepEqual(openNote(before.body, keys).signedBy, [keys[1]]);
  });

  test("the database refuses to change or delete tree nodes and signed checkpoints", async () => {
    const db = t.app.deps.db;
    await assert.rejects(db.deleteFrom("audit_notes").where("chain", "=", chainA).execute(), /append-only/);
    await assert.rejects(db.updateTable("audit_notes").set({ root: "x" }).where("chain", "=", chainA).execute(), /append-only/);
    await assert.rejects(db.deleteFrom("merkle_nodes").where("chain", "=", chainA).execute(), /append-only/);
    await assert.rejects(db.updateTable("merkle_nodes").set({ hash: Buffer.alloc(32) }).where("chain", "=", chainA).execute(), /append-only/);
    await assert.rejects(db.updateTable("audit_heads").set({ tree_size: 1 }).where("chain", "=", chainA).execute(), /tree only grows/);
  });

  test("the log never signs a tree that no longer contains what it signed (a rewritten subtree stops the signing)", async () => {
    const before = await t.app.deps.db.selectFrom("audit_notes").select(["size", "root"]).where("chain", "=", chainA).orderBy("size", "desc").executeTakeFirstOrThrow();
    // Someone with the database rewrites history: the subtree over the first 32 events. At this
    // size (32–63 events) it is the first node of the tree's right edge, kept on the head row.
    const head = await t.app.deps.db.selectFrom("audit_heads").select(["tree_size", "tree_frontier"]).where("chain", "=", chainA).executeTakeFirstOrThrow();
    assert.ok(Number(head.tree_size) >= 32 && Number(head.tree_size) < 64, `tree of ${head.tree_size}`);
    const [, ...rest] = head.tree_frontier.split(",");
    const rewritten = [Buffer.alloc(32, 7).toString("base64"), ...rest].join(",");
    await t.app.deps.db.updateTable("audit_heads").set({ tree_frontier: rewritten }).where("chain", "=", chainA).execute();
    await filler(chainA, 3);
    t.clock.advanceMinutes(6);
    const logged = t.logs.length;
    await t.app.checkpointer.runOnce();
    const after = await t.app.deps.db.selectFrom("audit_notes").select(["size", "root"]).where("chain", "=", chainA).orderBy("size", "desc").executeTakeFirstOrThrow();
    assert.deepEqual(after, before, "no new checkpoint over the rewritten tree");
    assert.ok(t.logs.slice(logged).some((l) => l.includes("not consistent with the checkpoint signed")), "the refusal is logged");
  });
});
