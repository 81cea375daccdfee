import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import pg from "pg";
import { sql } from "kysely";
import { GRANTS_CHANNEL, recordRevocation } from "../src/grants/grant-listener.js";
import { LISTENER_APPLICATION_NAME } from "../src/grants/grant-sync.js";
import { postgresReachable } from "./support/on-postgres.js";
import { startTestApp, type TestApp } from "./support/test-app.js";
import { createTestDatabase, pgAdminUrl, type TestDatabase } from "./support/test-database.js";
import { buildWorld, fileRequest, type World } from "./support/world.js";

/**
 * SPEC §18 on PostgreSQL, two instances on one database: a revoke on one reaches the other's
 * access check by LISTEN/NOTIFY (under 100 ms is the target; the bound asserted is 1 s, the
 * measured figure is reported), and within the 500 ms poll when notifications are lost.
 */
if (await postgresReachable("PostgreSQL revocation-across-instances suite")) {
  process.env.LOCKBOX_TEST_DATABASE = "postgres";
  let database: TestDatabase;
  let one: TestApp;
  let two: TestApp;
  let w: World;
  let svc: { token: string };
  let admin: pg.Client;
  let dbName: string;

  before(async () => {
    database = await createTestDatabase();
    dbName = new URL(database.databaseUrl!).pathname.slice(1);
    admin = new pg.Client({ connectionString: pgAdminUrl });
    await admin.connect();
    one = await startTestApp({}, database);
    two = await startTestApp({}, database);
    w = await buildWorld(one);
    svc = { token: (await one.request("POST", "/v1/service-credentials", w.providerAdmin.as, { name: "checker" })).body.token };
  });
  after(async () => {
    await admin?.end();
    await two?.close();
    await one?.close();
    await database?.drop();
  });

  const check = () => ({ userId: w.engineer.user.id, tenantId: w.tenantA, service: "mail", accessLevel: "read" });

  /** Approves a request on instance one and waits until instance two allows it. */
  async function grantedOnBoth(): Promise<string> {
    const id = await fileRequest(w);
    await one.request("POST", `/v1/requests/${id}/approve`, w.manager.as, {});
    assert.equal((await one.request("POST", `/v1/requests/${id}/approve`, w.a.approver.as, {})).body.status, "approved");
    const res = await two.request("POST", "/v1/access/check", svc, check());
    assert.equal(res.body.allowed, true, JSON.stringify(res.body));
    return id;
  }

  /** Revokes on one and polls two's check every 5 ms until refused; returns the milliseconds. */
  async function revokeAndWatch(id: string, boundMs: number): Promise<number> {
    assert.equal((await one.request("POST", `/v1/requests/${id}/revoke`, w.a.approver.as, {})).status, 200);
    const revoked = Date.now();
    for (;;) {
      const res = await two.request("POST", "/v1/access/check", svc, check());
      if (!res.body.allowed) return Date.now() - revoked;
      assert.ok(Date.now() - revoked < boundMs, `instance two still allows ${boundMs} ms after the revoke`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  async function listenerConnected(): Promise<boolean> {
    const rows = await admin.query("select count(*)::int as n from pg_stat_activity where application_name = $1 and datname = $2", [
      LISTENER_APPLICATION_NAME,
      dbName,
    ]);
    return rows.rows[0].n >= 2;
  }

  test("every approval and every end is NOTIFYed on commit, so other instances need not wait for the poll", async () => {
    const client = new pg.Client({ connectionString: database.databaseUrl });
    await client.connect();
    const seen: string[] = [];
    client.on("notification", (m) => seen.push(m.payload ?? ""));
    await client.query(`LISTEN ${GRANTS_CHANNEL}`);
    try {
      const id = await grantedOnBoth();
      assert.equal((await one.request("POST", `/v1/requests/${id}/revoke`, w.a.approver.as, {})).status, 200);
      for (let i = 0; i < 200 && seen.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
      const [granted, ended] = seen.map((s) => JSON.parse(s));
      // The grant travels with its notification, so other instances need not read it back.
      assert.equal(granted.grant, id);
      assert.equal(granted.g.u, w.engineer.user.id);
      assert.equal(granted.g.t, w.tenantA);
      assert.deepEqual(granted.g.s, ["mail"]);
      assert.deepEqual(ended, { end: id });
    } finally {
      await client.end();
    }
  });

  test("a revoke on one instance is refused by the other's check at once (LISTEN/NOTIFY)", async (ctx) => {
    for (let i = 0; i < 50 && !(await listenerConnected()); i++) await new Promise((r) => setTimeout(r, 20));
    const figures: number[] = [];
    for (let round = 0; round < 5; round++) figures.push(await revokeAndWatch(await grantedOnBoth(), 1000));
    ctx.diagnostic(`revoke on one → refused on two after ${figures.join(", ")} ms (target < 100 ms)`);
  });

  test("when notifications are lost, the poll still carries the revoke to the other instance", async (ctx) => {
    const id = await grantedOnBoth();
    // Cut both instances' LISTEN connections; they reconnect after a second.
    await admin.query("select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1 and datname = $2", [
      LISTENER_APPLICATION_NAME,
      dbName,
    ]);
    const ms = await revokeAndWatch(id, 2000);
    ctx.diagnostic(`without notifications: refused on two after ${ms} ms (poll every 500 ms)`);
    // And they listen again afterwards.
    for (let i = 0; i < 150 && !(await listenerConnected()); i++) await new Promise((r) => setTimeout(r, 20));
    assert.ok(await listenerConnected(), "both instances listen again");
  });

  test("a grant whose notification was lost is still allowed at once on the other instance (no refusal from memory then)", async () => {
    for (let i = 0; i < 50 && !(await listenerConnected()); i++) await new Promise((r) => setTimeout(r, 20));
    // Cut both LISTEN connections: the approval's notification reaches nobody.
    await admin.query("select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1 and datname = $2", [
      LISTENER_APPLICATION_NAME,
      dbName,
    ]);
    const who = await one.user(["engineer"], null, "Lost Notification");
    const actor = { user: who.user, token: who.token, as: { token: who.token } };
    const id = await fileRequest(w, {}, actor);
    await one.request("POST", `/v1/requests/${id}/approve`, w.manager.as, {});
    assert.equal((await one.request("POST", `/v1/requests/${id}/approve`, w.a.approver.as, {})).body.status, "approved");
    const res = await two.request("POST", "/v1/access/check", svc, { userId: who.user.id, tenantId: w.tenantA, service: "mail", accessLevel: "read" });
    assert.equal(res.body.allowed, true, JSON.stringify(res.body));
    assert.equal(res.body.requestId, id);
    for (let i = 0; i < 150 && !(await listenerConnected()); i++) await new Promise((r) => setTimeout(r, 20));
  });

  /**
   * A reader pages the feed while one ending step has taken its cursor and stays open and a later
   * one commits: the later row must not be served before the earlier one commits, and both are
   * then served, in cursor order.
   */
  async function lateCommitIsNeverSkipped(): Promise<void> {
    const start = (await feed("0")).nextCursor;
    const entry = (requestId: string) => ({ requestId, tenantId: w.tenantA, at: new Date().toISOString(), reason: "revoked" });
    let finishFirst!: () => void;
    const firstMayCommit = new Promise<void>((r) => (finishFirst = r));
    let firstWritten!: () => void;
    const firstIsWritten = new Promise<void>((r) => (firstWritten = r));
    const late = `late-commit-${Math.random()}`;
    const early = `early-commit-${Math.random()}`;
    // The first ending step takes its cursor and stays open...
    const first = one.app.deps.db.transaction().execute(async (trx) => {
      await recordRevocation(trx, entry(late));
      firstWritten();
      await firstMayCommit;
    });
    await firstIsWritten;
    // ...while a second one, with a larger cursor, commits. No table lock: it does not wait.
    await one.app.deps.db.transaction().execute(async (trx) => {
      await sql`set local lock_timeout = '2s'`.execute(trx);
      await recordRevocation(trx, entry(early));
    });
    const during = await feed(start);
    assert.deepEqual(during.items, [], "nothing is served past a cursor whose transaction is still open");
    assert.equal(during.nextCursor, start);
    finishFirst();
    await first;
    // Both are served now. The instances' own short transactions in this database (the sweeper,
    // the streamer) can hold the bound back for a moment: poll, bounded.
    let afterwards = await feed(during.nextCursor);
    for (let i = 0; i < 100 && afterwards.items.length < 2; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      afterwards = await feed(during.nextCursor);
    }
    assert.deepEqual(
      afterwards.items.map((i) => i.requestId),
      [late, early],
    );
  }

  const feed = async (after: string, wait = 0) =>
    (await two.request("GET", `/v1/revocations?after=${after}&wait=${wait}`, svc)).body as { items: { requestId: string }[]; nextCursor: string };

  test("revocation cursors come from a sequence, and the feed never lets a reader page past a row that commits late", async () => {
    await lateCommitIsNeverSkipped();
  });

  test("a long transaction in another database, or a session of ours that wrote nothing, does not hold the feed back", async () => {
    // Another application's database on the same server, with a transaction that has written
    // (so it holds a transaction id) and stays open for the whole test.
    const elsewhere = await createTestDatabase();
    const other = new pg.Client({ connectionString: elsewhere.databaseUrl });
    // In Lockbox's own database: a session idle in a REPEATABLE READ transaction that only read.
    const reader = new pg.Client({ connectionString: database.databaseUrl });
    try {
      await other.connect();
      await other.query("create table t (x int)");
      await other.query("begin");
      await other.query("insert into t values (1)");
      const otherXid = Number((await other.query("select pg_current_xact_id()::text as x")).rows[0].x);
      await reader.connect();
      await reader.query("begin isolation level repeatable read");
      await reader.query("select count(*) from revocations");
      // The trap is set: the cluster's oldest running transaction is at or below the other
      // database's, which is what held the feed back before.
      const xmin = Number((await admin.query("select pg_snapshot_xmin(pg_current_snapshot())::text as x")).rows[0].x);
      assert.ok(xmin <= otherXid, `cluster xmin ${xmin} ≤ the other database's open transaction ${otherXid}`);

      // A revoke reaches a long poll on the other instance while both stay open.
      const id = await grantedOnBoth();
      const cursor = (await feed("0")).nextCursor;
      const waiting = feed(cursor, 20);
      assert.equal((await one.request("POST", `/v1/requests/${id}/revoke`, w.a.approver.as, {})).status, 200);
      const page = await waiting;
      assert.deepEqual(
        page.items.map((i) => i.requestId),
        [id],
        "the long poll answered with the revocation, not empty at the end of its wait",
      );
      assert.equal((await other.query("select pg_current_xact_id()::text as x")).rows[0].x, String(otherXid), "the other transaction is still open");

      // And with them still open, a reader still never pages past a row that commits late.
      await lateCommitIsNeverSkipped();
    } finally {
      await other.end().catch(() => {});
      await reader.end().catch(() => {});
      await elsewhere.drop();
    }
  });
}
