import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { tenantChain } from "../src/audit/audit-event.js";
import { checkAccess } from "../src/grants/check-access.js";
import { operationsOf, verifyAllChains } from "./support/chains.js";
import { startTestApp, type TestApp } from "./support/test-app.js";
import { postgresReachable } from "./support/on-postgres.js";
import { createTestDatabase, type TestDatabase } from "./support/test-database.js";
import { type Actor, buildWorld, fileRequest, type World } from "./support/world.js";

/**
 * Several `lockbox serve` instances on one PostgreSQL database (SPEC section 11): two apps with
 * their own pools, clocks, sweepers and in-memory state, sharing only the database, as two
 * processes behind a load balancer would.
 */
if (await postgresReachable("PostgreSQL multi-instance suite")) {
  process.env.LOCKBOX_TEST_DATABASE = "postgres";
  let database: TestDatabase;
  let one: TestApp;
  let two: TestApp;
  let w: World;
  const base: Record<string, string> = {};

  before(async () => {
    database = await createTestDatabase();
    // Both start at the same moment on an empty database: migrations, keys and the admin.
    [one, two] = await Promise.all([startTestApp({}, database), startTestApp({}, database)]);
    w = await buildWorld(one);
    for (const [name, app] of [
      ["one", one],
      ["two", two],
    ] as const) {
      await app.app.server.listen({ port: 0, host: "127.0.0.1" });
      base[name] = `http://127.0.0.1:${(app.app.server.server.address() as AddressInfo).port}`;
    }
  });
  after(async () => {
    await one?.close();
    await two?.close();
    await database?.drop();
  });

  /** An engineer with no other grants, so a check answers about one request only. */
  const freshEngineer = async (): Promise<Actor> => {
    const { user, token } = await one.user(["engineer"], null);
    return { user, token, as: { token } };
  };

  const post = (instance: string, path: string, who: Actor) =>
    fetch(`${base[instance]}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${who.token}`, "content-type": "application/json" },
      body: "{}",
    }).then(async (r) => ({ status: r.status, body: await r.json() }));

  describe("two instances, one PostgreSQL database", () => {
    test("started together on an empty database, they created one admin and one schema", async () => {
      const admins = await one.app.deps.db.selectFrom("users").select("id").where("tenant_id", "is", null).where("email", "=", one.admin.email).execute();
      assert.equal(admins.length, 1);
      assert.equal(one.admin.id, two.admin.id);
      const keys = await one.app.deps.db.selectFrom("signing_keys").select("kid").execute();
      assert.equal(keys.length, 1, "one signing key, which both use");
      assert.equal(await one.app.deps.keys.activeKid(), await two.app.deps.keys.activeKid());
      assert.equal((await two.request("GET", "/v1/me", w.a.admin.as)).status, 200, "a token made through one works on two");
    });

    test("decisions racing across both instances have exactly one winner", async () => {
      const approvers = [w.a.admin, w.a.approver, w.a.approver2];
      for (let round = 0; round < 5; round++) {
        const id = await fileRequest(w);
        assert.equal((await post("two", `/v1/requests/${id}/approve`, w.manager)).status, 200);
        const calls = approvers.flatMap((who) =>
          ["one", "two"].flatMap((instance) => ["approve", "deny"].map((verb) => post(instance, `/v1/requests/${id}/${verb}`, who))),
        );
        const results = await Promise.all(calls);
        assert.equal(results.filter((r) => r.status === 200).length, 1, JSON.stringify(results.map((r) => r.status)));
        assert.ok(results.filter((r) => r.status !== 200).every((r) => r.status === 409));
        const decisions = (await operationsOf(one, id)).filter((op) => op === "request.approved" || op === "request.denied");
        assert.equal(decisions.length, 1);
      }
    });

    test("appends interleaved across instances leave one unbroken chain", async () => {
      const before = await one.app.deps.db.selectFrom("audit_heads").select("seq").where("chain", "=", tenantChain(w.tenantA)).executeTakeFirstOrThrow();
      const created = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          fetch(`${base[i % 2 ? "one" : "two"]}/v1/requests`, {
            method: "POST",
            headers: { authorization: `Bearer ${w.engineer.token}`, "content-type": "application/json" },
            body: JSON.stringify({ tenantId: w.tenantA, ticket: `MI-${i}`, reason: "r", services: ["mail"], accessLevel: "read", requestedMinutes: 30 }),
          }).then((r) => r.status),
        ),
      );
      assert.ok(created.every((s) => s === 201));
      const afterHead = await one.app.deps.db.selectFrom("audit_heads").select("seq").where("chain", "=", tenantChain(w.tenantA)).executeTakeFirstOrThrow();
      assert.equal(Number(afterHead.seq), Number(before.seq) + 40);
      await verifyAllChains(one);
    });

    test("a revoke on one instance stops the access check on the other within a second", async () => {
      const credential = await one.request("POST", "/v1/service-credentials", w.providerAdmin.as, { name: "mi" });
      const service = { token: credential.body.token as string };
      const engineer = await freshEngineer();
      const id = await fileRequest(w, {}, engineer);
      await post("one", `/v1/requests/${id}/approve`, w.manager);
      await post("two", `/v1/requests/${id}/approve`, w.a.approver);
      const body = { userId: engineer.user.id, tenantId: w.tenantA, service: "mail", accessLevel: "read" };
      const check = (app: TestApp) => app.request("POST", "/v1/access/check", service, body).then((r) => r.body.allowed as boolean);
      assert.equal(await check(two), true);
      assert.equal(await check(one), true);
      const revokedAt = Date.now();
      assert.equal((await post("one", `/v1/requests/${id}/revoke`, w.a.admin)).status, 200);
      assert.equal(await check(one), false, "at once on the instance that revoked");
      while (await check(two)) {
        assert.ok(Date.now() - revokedAt < 1000, "the other instance still allowed after a second");
        await new Promise((r) => setTimeout(r, 25));
      }
    });

    test("an instance that cannot confirm its index never allows on doubt", async () => {
      const engineer = await freshEngineer();
      const id = await fileRequest(w, {}, engineer);
      await post("one", `/v1/requests/${id}/approve`, w.manager);
      await post("one", `/v1/requests/${id}/approve`, w.a.approver);
      const input = { userId: engineer.user.id, tenantId: w.tenantA, service: "mail", accessLevel: "read" as const };
      assert.equal((await checkAccess(two.app.deps, input)).allowed, true, "two learns the grant on its first check");
      // Another instance's end this one never heard of (no revocations row reaches it).
      await one.app.deps.db.updateTable("access_requests").set({ status: "revoked" }).where("id", "=", id).execute();
      two.app.deps.grants.markSynced();
      assert.equal((await checkAccess(two.app.deps, input)).allowed, true, "a fresh index answers from memory");
      two.app.deps.grants.markSynced(Date.now() - 60_000);
      assert.equal((await checkAccess(two.app.deps, input)).allowed, false, "a stale index confirms with the database");
    });

    test("both sweepers running at once expire each request exactly once", async () => {
      const ids = await Promise.all(Array.from({ length: 10 }, () => fileRequest(w)));
      one.clock.advanceMinutes(13 * 60);
      two.clock.advanceMinutes(13 * 60);
      const [a, b] = await Promise.all([one.app.sweeper.runOnce(), two.app.sweeper.runOnce()]);
      assert.ok(a + b >= ids.length);
      for (const id of ids) {
        const ops = await operationsOf(one, id);
        assert.equal(ops.filter((op) => op === "request.expired").length, 1, `${id}: ${ops.join(",")}`);
      }
      await verifyAllChains(one);
    });
  });
}
