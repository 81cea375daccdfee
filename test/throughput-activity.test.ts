import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { toAuditEvent } from "../src/audit/audit-queries.js";
import { appendLeaf, leafHash, rootOfFrontier } from "../src/audit/merkle.js";
import { canonicalEvent, rootOf } from "../src/audit/merkle-store.js";
import { verifyAllChains } from "./support/chains.js";
import { startTestApp, type TestApp } from "./support/test-app.js";
import { buildWorld, fileRequest, type World } from "./support/world.js";

// SPEC §18: activity batches lock each chain once, in a fixed order, and insert in bulk. Run on
// PostgreSQL (test/postgres wrapper) this is the deadlock regression: before, a batch locked chain
// heads in its own event order, so two batches naming the same tenants in opposite orders
// deadlocked and one of them failed with a 500.

let t: TestApp;
let w: World;
let svc: { token: string };
let inA: string;
let inB: string;
before(async () => {
  t = await startTestApp();
  w = await buildWorld(t);
  for (const setting of [{ auditingEnabled: true }, { lockboxEnabled: true }]) {
    const res = await t.request("PATCH", `/v1/tenants/${w.tenantB}/settings`, w.b.admin.as, setting);
    assert.equal(res.status, 200, JSON.stringify(res.body));
  }
  svc = { token: (await t.request("POST", "/v1/service-credentials", w.providerAdmin.as, { name: "bulk-backend" })).body.token };
  inA = await fileRequest(w);
  inB = await fileRequest(w, { tenantId: w.tenantB });
});
after(() => t.close());

/** The stored Merkle nodes give the same root as the tree recomputed from the chain's events. */
async function assertTreeMatches(chain: string): Promise<void> {
  const rows = await t.app.deps.db.selectFrom("audit_events").selectAll().where("chain", "=", chain).orderBy("seq").execute();
  let frontier: Buffer[] = [];
  rows.forEach((row, i) => {
    const { hash: _hash, ...unsealed } = toAuditEvent(row);
    frontier = appendLeaf(frontier, i, leafHash(Buffer.from(canonicalEvent(unsealed)))).frontier;
  });
  const stored = await rootOf(t.app.deps.db, chain, rows.length);
  assert.equal(stored.toString("hex"), rootOfFrontier(frontier).toString("hex"), `${chain}: Merkle root`);
}

const event = (requestId: string, n: number) => ({ requestId, operation: "read", target: `item/${n}` });
const unknown = "00000000-0000-4000-8000-000000000000";

test("two batches over the same chains in opposite orders, concurrently, never fail and keep every chain valid", async () => {
  const before = await verifyAllChains(t);
  const rounds = 15;
  const perChain = 5;
  let sent = 0;
  for (let round = 0; round < rounds; round++) {
    const forward = [inA, inB, unknown].flatMap((id) => Array.from({ length: perChain }, (_, n) => event(id, n)));
    const backward = [unknown, inB, inA].flatMap((id) => Array.from({ length: perChain }, (_, n) => event(id, n)));
    const answers = await Promise.all([forward, backward, forward, backward].map((events) => t.request("POST", "/v1/activity", svc, { events })));
    for (const res of answers) {
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.items.length, perChain * 3);
      sent += perChain;
    }
  }
  const counts = await verifyAllChains(t);
  for (const chain of [`tenant:${w.tenantA}`, `tenant:${w.tenantB}`, "provider"]) {
    assert.equal(counts[chain]! - (before[chain] ?? 0), sent, `${chain} holds every event once`);
    await assertTreeMatches(chain);
  }
});

test("each outcome names the event appended for it, in batch order, across chains", async () => {
  const events = [event(inB, 1), event(unknown, 2), event(inA, 3), event(inB, 4), event(inA, 5)];
  const res = await t.request("POST", "/v1/activity", svc, { events });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.deepEqual(
    res.body.items.map((i: { index: number }) => i.index),
    [0, 1, 2, 3, 4],
  );
  const rows = await t.app.deps.db
    .selectFrom("audit_events")
    .select(["id", "chain", "details", "seq"])
    .where("id", "in", res.body.items.map((i: { eventId: string }) => i.eventId))
    .execute();
  const byId = new Map(rows.map((r) => [r.id, r]));
  const expected = [`tenant:${w.tenantB}`, "provider", `tenant:${w.tenantA}`, `tenant:${w.tenantB}`, `tenant:${w.tenantA}`];
  res.body.items.forEach((item: { eventId: string }, i: number) => {
    const row = byId.get(item.eventId)!;
    assert.equal(row.chain, expected[i]);
    assert.equal(JSON.parse(row.details).target, `item/${i + 1}`);
  });
  // Within a chain the batch order is kept.
  assert.ok(byId.get(res.body.items[0].eventId)!.seq < byId.get(res.body.items[3].eventId)!.seq);
});

test("a batch of 1000 events into one chain is one append that verifies (multi-row inserts within parameter limits)", async () => {
  const events = Array.from({ length: 1000 }, (_, n) => event(inA, n));
  const res = await t.request("POST", "/v1/activity", svc, { events });
  assert.equal(res.status, 200, JSON.stringify(res.body).slice(0, 500));
  assert.equal(res.body.items.length, 1000);
  const head = await t.app.deps.db.selectFrom("audit_heads").select(["seq", "tree_size"]).where("chain", "=", `tenant:${w.tenantA}`).executeTakeFirstOrThrow();
  assert.equal(Number(head.tree_size), Number(head.seq), "the Merkle tree covers every event");
  await verifyAllChains(t);
  await assertTreeMatches(`tenant:${w.tenantA}`);
});
