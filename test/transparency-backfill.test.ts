import assert from "node:assert/strict";
import { after, test } from "node:test";
import { Migrator } from "kysely";
import { appendAudit } from "../src/audit/append-audit.js";
import { GENESIS_HASH, hashEvent, type UnsealedAuditEvent } from "../src/audit/audit-event.js";
import { MemoryTree } from "../src/audit/merkle.js";
import { canonicalEvent, rootOf } from "../src/audit/merkle-store.js";
import { connectDb } from "../src/db/connect.js";
import { migrateToLatest } from "../src/db/migrate.js";
import * as m1 from "../src/db/migrations/0001-initial.js";
import * as m2 from "../src/db/migrations/0002-enforcement.js";
import * as m3 from "../src/db/migrations/0003-notifications.js";
import * as m4 from "../src/db/migrations/0004-checkpoints.js";
import * as m5 from "../src/db/migrations/0005-session-idle.js";
import type { Db } from "../src/db/schema.js";
import { postgresReachable } from "./support/on-postgres.js";
import { createTestDatabase, type TestDatabase } from "./support/test-database.js";

const databases: TestDatabase[] = [];
after(async () => {
  for (const d of databases) await d.drop();
});

/** What an installation older than the tree wrote: events and a head row, nothing else. */
async function legacyAppend(db: Db, chain: string, tree: MemoryTree): Promise<void> {
  const head = await db.selectFrom("audit_heads").select(["seq", "hash"]).where("chain", "=", chain).executeTakeFirst();
  const seq = Number(head?.seq ?? 0) + 1;
  const unsealed: UnsealedAuditEvent = {
    chain,
    seq,
    id: `00000000-0000-4000-8000-${String(seq).padStart(6, "0")}${chain.length.toString().padStart(6, "0")}`,
    at: new Date(1_767_600_000_000 + seq * 1000).toISOString(),
    operation: "request.created",
    actor: { type: "user", id: "u-1", name: "Zoë ünïcode", ip: "203.0.113.7" },
    target: { type: "request", id: `r-${seq}` },
    details: { requestId: `r-${seq}`, n: seq, nested: { ok: true, none: null } },
    prevHash: head?.hash ?? GENESIS_HASH,
  };
  const hash = hashEvent(unsealed);
  await db
    .insertInto("audit_events")
    .values({
      chain,
      seq,
      id: unsealed.id,
      at: unsealed.at,
      operation: unsealed.operation,
      actor: JSON.stringify(unsealed.actor),
      actor_id: "u-1",
      target: JSON.stringify(unsealed.target),
      request_id: null,
      details: JSON.stringify(unsealed.details),
      prev_hash: unsealed.prevHash,
      hash,
    })
    .execute();
  if (head) await db.updateTable("audit_heads").set({ seq, hash }).where("chain", "=", chain).execute();
  else await db.insertInto("audit_heads").values({ chain, seq, hash }).execute();
  tree.append(Buffer.from(canonicalEvent(unsealed)));
}

for (const kind of ["sqlite", "postgres"] as const) {
  const reachable = kind === "sqlite" || (await postgresReachable("transparency backfill on PostgreSQL"));
  if (reachable) test(`${kind}: chains older than the tree get it on migration, and appends after it extend it`, () => backfill(kind));
}

async function backfill(kind: "sqlite" | "postgres") {
  const saved = process.env.LOCKBOX_TEST_DATABASE;
  process.env.LOCKBOX_TEST_DATABASE = kind;
  const database = await createTestDatabase().finally(() => {
    process.env.LOCKBOX_TEST_DATABASE = saved;
  });
  databases.push(database);
  const db = connectDb(database);
  try {
    const old = { "0001-initial": m1, "0002-enforcement": m2, "0003-notifications": m3, "0004-checkpoints": m4, "0005-session-idle": m5 };
    const { error } = await new Migrator({ db, provider: { getMigrations: async () => old } }).migrateToLatest();
    assert.equal(error, undefined);
    const trees = { "tenant:legacy": new MemoryTree(), provider: new MemoryTree() };
    for (let i = 0; i < 45; i++) await legacyAppend(db, "tenant:legacy", trees["tenant:legacy"]);
    for (let i = 0; i < 3; i++) await legacyAppend(db, "provider", trees.provider);

    await migrateToLatest(db);
    for (const [chain, tree] of Object.entries(trees)) {
      const head = await db.selectFrom("audit_heads").selectAll().where("chain", "=", chain).executeTakeFirstOrThrow();
      assert.equal(Number(head.tree_size), tree.size, chain);
      for (let n = 1; n <= tree.size; n++) assert.deepEqual(await rootOf(db, chain, n), tree.root(n), `${chain} root ${n}`);
    }

    // An instance still on the old code appends (a rolling upgrade): the next append catches up.
    const legacy = trees["tenant:legacy"];
    await legacyAppend(db, "tenant:legacy", legacy);
    await db.transaction().execute(async (trx) => {
      const e = await appendAudit(trx, { chain: "tenant:legacy", at: new Date(), operation: "test.new", actor: { type: "system", id: "s", name: "s" }, target: { type: "t", id: "1" } });
      const { hash: _h, ...unsealed } = e;
      legacy.append(Buffer.from(canonicalEvent(unsealed)));
    });
    assert.equal(legacy.size, 47);
    for (let n = 40; n <= legacy.size; n++) assert.deepEqual(await rootOf(db, "tenant:legacy", n), legacy.root(n), `root ${n}`);
  } finally {
    await db.destroy();
  }
}
