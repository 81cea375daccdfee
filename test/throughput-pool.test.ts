import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { sql } from "kysely";
import pg from "pg";
import { postgresReachable } from "./support/on-postgres.js";
import { startTestApp, type TestApp } from "./support/test-app.js";
import { createTestDatabase, type TestDatabase } from "./support/test-database.js";
import { buildWorld, fileRequest, type World } from "./support/world.js";

/**
 * SPEC §18 on PostgreSQL: the pool and its timeouts are configurable, a timeout is a 503 `busy`
 * (never a 500), and `/readyz` and the access check never wait behind writers.
 */
if (await postgresReachable("PostgreSQL pool suite")) {
  process.env.LOCKBOX_TEST_DATABASE = "postgres";
  let database: TestDatabase;
  let t: TestApp;
  let w: World;
  let svc: { token: string };
  let granted: string;

  before(async () => {
    database = await createTestDatabase();
    t = await startTestApp(
      { LOCKBOX_PG_POOL_SIZE: "2", LOCKBOX_PG_ACQUIRE_TIMEOUT_MS: "300", LOCKBOX_PG_LOCK_TIMEOUT_MS: "300", LOCKBOX_PG_STATEMENT_TIMEOUT_MS: "5000" },
      database,
    );
    w = await buildWorld(t);
    svc = { token: (await t.request("POST", "/v1/service-credentials", w.providerAdmin.as, { name: "checker" })).body.token };
    granted = await fileRequest(w);
    await t.request("POST", `/v1/requests/${granted}/approve`, w.manager.as, {});
    assert.equal((await t.request("POST", `/v1/requests/${granted}/approve`, w.a.approver.as, {})).body.status, "approved");
  });
  after(async () => {
    await t?.close();
    await database?.drop();
  });

  /** Holds every pool connection in an open transaction until the returned release is called. */
  async function exhaustPool(size: number): Promise<() => Promise<void>> {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let started = 0;
    const holders = Array.from({ length: size }, () =>
      t.app.deps.db.transaction().execute(async (trx) => {
        await sql`select 1`.execute(trx);
        started += 1;
        await released;
      }),
    );
    while (started < size) await new Promise((r) => setTimeout(r, 5));
    return async () => {
      release();
      await Promise.all(holders);
    };
  }

  const check = (userId: string) => ({ userId, tenantId: w.tenantA, service: "mail", accessLevel: "read" });

  test("with every pool connection held by writers, /readyz and the access check still answer, and a write gets 503 busy", async () => {
    // The service is in use (its credential is cached, as on any busy instance).
    assert.equal((await t.request("POST", "/v1/access/check", svc, check(w.engineer.user.id))).body.allowed, true);
    const release = await exhaustPool(2);
    try {
      const ready = await t.request("GET", "/readyz", null);
      assert.equal(ready.status, 200, JSON.stringify(ready.body));

      const allowed = await t.request("POST", "/v1/access/check", svc, check(w.engineer.user.id));
      assert.equal(allowed.status, 200);
      assert.equal(allowed.body.allowed, true);
      const refused = await t.request("POST", "/v1/access/check", svc, check(w.engineer2.user.id));
      assert.equal(refused.status, 200, JSON.stringify(refused.body));
      assert.equal(refused.body.allowed, false);

      const write = await t.request("POST", "/v1/requests", w.engineer.as, {
        tenantId: w.tenantA,
        ticket: "CASE-9",
        reason: "Pool is full",
        services: ["mail"],
        accessLevel: "read",
        requestedMinutes: 60,
      });
      assert.equal(write.status, 503, JSON.stringify(write.body));
      assert.equal(write.body.error.code, "busy");
      assert.equal(write.headers["retry-after"], "1");
    } finally {
      await release();
    }
    // And everything works again once the writers are done.
    assert.equal((await t.request("POST", "/v1/access/check", svc, check(w.engineer2.user.id))).status, 200);
  });

  test("a write that waits longer than LOCKBOX_PG_LOCK_TIMEOUT_MS for a lock is answered 503 busy, not 500", async () => {
    const holder = new pg.Client({ connectionString: database.databaseUrl });
    await holder.connect();
    try {
      await holder.query("begin");
      await holder.query("select * from audit_heads where chain = $1 for update", [`tenant:${w.tenantA}`]);
      const res = await t.request("POST", "/v1/activity", svc, { events: [{ requestId: granted, operation: "read", target: "mailbox/x" }] });
      assert.equal(res.status, 503, JSON.stringify(res.body));
      assert.equal(res.body.error.code, "busy");
    } finally {
      await holder.query("rollback").catch(() => {});
      await holder.end();
    }
    const again = await t.request("POST", "/v1/activity", svc, { events: [{ requestId: granted, operation: "read", target: "mailbox/x" }] });
    assert.equal(again.status, 200, JSON.stringify(again.body));
  });
}
