import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startTestApp, type TestApp } from "./support/test-app.js";
import { buildWorld, fileRequest, type World } from "./support/world.js";

let t: TestApp;
let w: World;
let svc: { token: string };
before(async () => {
  t = await startTestApp();
  w = await buildWorld(t);
  const res = await t.request("POST", "/v1/service-credentials", w.providerAdmin.as, { name: "mail-backend" });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  assert.match(res.body.token, /^lbs_/);
  svc = { token: res.body.token };
});
after(() => t.close());

async function approved(overrides: Record<string, unknown> = {}, as = w.engineer): Promise<string> {
  const id = await fileRequest(w, overrides, as);
  assert.equal((await t.request("POST", `/v1/requests/${id}/approve`, w.manager.as, {})).status, 200);
  const c = await t.request("POST", `/v1/requests/${id}/approve`, w.a.approver.as, {});
  assert.equal(c.body.status, "approved", JSON.stringify(c.body));
  return id;
}

const check = (body: Record<string, unknown>, as: { token: string } | null = svc) => t.request("POST", "/v1/access/check", as, body);
const q = (userId: string, service = "mail", accessLevel = "read", tenantId = w.tenantA) => ({ userId, tenantId, service, accessLevel });

test("check: allowed during the grant, write includes read, refused for anything else", async () => {
  const id = await approved({ services: ["mail", "files"], accessLevel: "write", requestedMinutes: 30 });
  const ok = await check(q(w.engineer.user.id));
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.deepEqual(ok.body, {
    allowed: true,
    requestId: id,
    expiresAt: (await t.request("GET", `/v1/requests/${id}`, w.engineer.as)).body.accessEndsAt,
    reason: "granted",
  });
  assert.equal((await check(q(w.engineer.user.id, "files", "write"))).body.allowed, true);
  assert.deepEqual((await check(q(w.engineer.user.id, "chat"))).body, { allowed: false, reason: "service_not_granted" });
  assert.equal((await check(q(w.engineer.user.id, "mail", "read", w.tenantB))).body.allowed, false);
  assert.equal((await check(q(w.engineer2.user.id))).body.allowed, false);
  assert.equal((await check(q("no-such-user"))).body.reason, "no_active_grant");
});

test("check: a read grant does not allow write", async () => {
  await approved({ services: ["chat"], accessLevel: "read" });
  assert.equal((await check(q(w.engineer.user.id, "chat", "read"))).body.allowed, true);
  assert.deepEqual((await check(q(w.engineer.user.id, "chat", "write"))).body, { allowed: false, reason: "insufficient_access" });
});

test("check: never allows past accessEndsAt, whether or not the sweeper ran", async () => {
  const userId = w.engineer2.user.id;
  const id = await fileRequest(w, { requestedMinutes: 15 }, w.engineer2);
  await t.request("POST", `/v1/requests/${id}/approve`, w.manager.as, {});
  await t.request("POST", `/v1/requests/${id}/approve`, w.a.approver.as, {});
  assert.equal((await check(q(userId))).body.allowed, true);
  t.clock.advanceMinutes(14);
  assert.equal((await check(q(userId))).body.allowed, true);
  t.clock.advanceMinutes(1);
  // No sweep has run: the index still holds the grant, time alone refuses it.
  assert.deepEqual((await check(q(userId))).body, { allowed: false, reason: "expired" });
  await t.app.sweeper.runOnce();
  assert.equal((await check(q(userId))).body.allowed, false);
  const feed = await t.request("GET", "/v1/revocations", svc);
  const item = feed.body.items.find((i: { requestId: string }) => i.requestId === id);
  assert.equal(item?.reason, "access_window_over");
});

test("revoke makes check false at once and appears in the revocations feed", async () => {
  const start = await t.request("GET", "/v1/revocations", svc);
  assert.equal(start.status, 200, JSON.stringify(start.body));
  const cursor = start.body.nextCursor as string;
  assert.match(cursor, /^\d+$/);

  const id = await approved({ services: ["files"] }, w.engineer2);
  assert.equal((await check(q(w.engineer2.user.id, "files"))).body.allowed, true);
  assert.equal((await t.request("POST", `/v1/requests/${id}/revoke`, w.a.approver.as, { comment: "enough" })).status, 200);
  assert.deepEqual((await check(q(w.engineer2.user.id, "files"))).body, { allowed: false, reason: "no_active_grant" });

  const feed = await t.request("GET", `/v1/revocations?after=${cursor}`, svc);
  assert.equal(feed.status, 200);
  assert.deepEqual(
    feed.body.items.map((i: { requestId: string; tenantId: string; reason: string }) => [i.requestId, i.tenantId, i.reason]),
    [[id, w.tenantA, "revoked"]],
  );
  assert.ok(Number(feed.body.nextCursor) > Number(cursor));
  const again = await t.request("GET", `/v1/revocations?after=${feed.body.nextCursor}`, svc);
  assert.deepEqual(again.body, { items: [], nextCursor: feed.body.nextCursor });

  // Release by the requester ends it too, with its own reason.
  const released = await approved({ services: ["files"] }, w.engineer2);
  assert.equal((await t.request("POST", `/v1/requests/${released}/complete`, w.engineer2.as)).status, 200);
  const feed2 = await t.request("GET", `/v1/revocations?after=${feed.body.nextCursor}`, svc);
  assert.deepEqual(feed2.body.items.map((i: { reason: string }) => i.reason), ["released"]);
});

test("the index is rebuilt from the database at start (another instance's view)", async () => {
  const id = await approved({ services: ["mail"], requestedMinutes: 120 });
  t.app.deps.grants.remove(id);
  // A miss asks the database, so a grant this instance did not see is still honoured.
  assert.equal((await check(q(w.engineer.user.id))).body.requestId !== undefined, true);
  await t.app.deps.grants.reloadAll(t.clock.now());
  assert.equal((await check(q(w.engineer.user.id))).body.allowed, true);
});

test("check: bad input is 400", async () => {
  assert.equal((await check({ userId: "u" })).status, 400);
  assert.equal((await check({ ...q("u"), accessLevel: "admin" })).status, 400);
  assert.equal((await check({ ...q("u"), extra: 1 })).status, 400);
  assert.equal((await check({ ...q("u"), service: "x".repeat(65) })).status, 400);
  assert.equal((await t.request("POST", "/v1/access/check", svc, "not json", { "content-type": "application/json" })).status, 400);
  assert.equal((await t.request("GET", "/v1/revocations?after=abc", svc)).status, 400);
  assert.equal((await t.request("GET", "/v1/revocations?limit=5000", svc)).status, 400);
});

test("permission matrix: service routes take only service credentials; service credentials nothing else", async () => {
  const people = [w.engineer, w.manager, w.providerAdmin, w.a.admin, w.a.approver, w.a.auditor];
  for (const who of people) {
    assert.equal((await check(q(w.engineer.user.id), who.as)).status, 403, who.user.name);
    assert.equal((await t.request("GET", "/v1/revocations", who.as)).status, 403, who.user.name);
    const act = await t.request("POST", "/v1/activity", who.as, { events: [{ requestId: "x", operation: "read", target: "t" }] });
    assert.equal(act.status, 403, who.user.name);
  }
  assert.equal((await check(q(w.engineer.user.id), null)).status, 401);
  assert.equal((await t.request("GET", "/v1/revocations", null)).status, 401);
  assert.equal((await check(q(w.engineer.user.id), { token: "lbs_forged" })).status, 401);

  for (const [method, url] of [
    ["GET", "/v1/requests"],
    ["GET", "/v1/me"],
    ["GET", "/v1/tenants"],
    ["GET", "/v1/service-credentials"],
    ["GET", `/v1/tenants/${w.tenantA}/settings`],
    ["POST", "/v1/requests"],
  ] as const) {
    const res = await t.request(method, url, svc, method === "POST" ? {} : undefined);
    assert.equal(res.status, 401, `${method} ${url}: ${res.status}`);
  }

  // Managing credentials: provider_admin only.
  for (const who of [w.engineer, w.manager, w.a.admin, w.a.approver]) {
    assert.equal((await t.request("POST", "/v1/service-credentials", who.as, { name: "x" })).status, 403, who.user.name);
    assert.equal((await t.request("GET", "/v1/service-credentials", who.as)).status, 403, who.user.name);
  }
});

test("service credentials: listed without secrets, deleted credentials stop working at once", async () => {
  const created = await t.request("POST", "/v1/service-credentials", w.providerAdmin.as, { name: "gateway" });
  assert.equal(created.status, 201);
  assert.equal((await check(q("u"), { token: created.body.token })).status, 200);
  const list = await t.request("GET", "/v1/service-credentials", w.providerAdmin.as);
  assert.ok(list.body.items.some((c: { id: string }) => c.id === created.body.id));
  assert.ok(!JSON.stringify(list.body).includes(created.body.token));
  assert.equal((await t.request("DELETE", `/v1/service-credentials/${created.body.id}`, w.a.admin.as)).status, 403);
  assert.equal((await t.request("DELETE", `/v1/service-credentials/${created.body.id}`, w.providerAdmin.as)).status, 204);
  assert.equal((await check(q("u"), { token: created.body.token })).status, 401);
  assert.equal((await t.request("DELETE", `/v1/service-credentials/${created.body.id}`, w.providerAdmin.as)).status, 404);
  assert.equal((await t.request("POST", "/v1/service-credentials", w.providerAdmin.as, { name: "" })).status, 400);
  const stored = await t.app.deps.db.selectFrom("service_credentials").select("token_hash").execute();
  assert.ok(stored.every((s) => !s.token_hash.startsWith("lbs_")));
});

test("allow never writes to the database", async () => {
  await approved({ services: ["mail"], requestedMinutes: 200 });
  const count = async () => {
    const tables = ["audit_events", "revocations", "access_requests"] as const;
    const out: number[] = [];
    for (const table of tables) {
      const r = await t.app.deps.db.selectFrom(table).select((eb) => eb.fn.countAll().as("n")).executeTakeFirstOrThrow();
      out.push(Number(r.n));
    }
    return out;
  };
  const before = await count();
  for (let i = 0; i < 20; i++) assert.equal((await check(q(w.engineer.user.id))).body.allowed, true);
  assert.deepEqual(await count(), before);
});

test("the OpenAPI document describes the enforcement routes", async () => {
  const doc = await t.request("GET", "/openapi.json", null);
  assert.equal(doc.status, 200);
  for (const path of ["/v1/access/check", "/v1/activity", "/v1/revocations", "/v1/service-credentials", "/v1/requests/{id}/token"]) {
    assert.ok(doc.body.paths[path], `${path} missing from /openapi.json`);
  }
  const jwks = await t.request("GET", "/.well-known/jwks.json", null);
  assert.equal(jwks.status, 200);
  assert.equal(jwks.body.keys[0].kty, "OKP");
  assert.equal(jwks.body.keys[0].crv, "Ed25519");
});

test("a stale database read can never bring an ended grant back", async () => {
  const id = await approved({ services: ["files"], requestedMinutes: 100 }, w.engineer2);
  const row = await t.app.deps.db.selectFrom("access_requests").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
  const { grantOf } = await import("../src/grants/grant-index.js");
  const stale = grantOf(row)!; // read while approved
  assert.equal((await t.request("POST", `/v1/requests/${id}/revoke`, w.a.approver.as, {})).status, 200);
  t.app.deps.grants.put(stale); // e.g. a reloadAll that started before the revoke committed
  assert.equal((await check(q(w.engineer2.user.id, "files"))).body.allowed, false);
});
