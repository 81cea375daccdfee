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
  svc = { token: (await t.request("POST", "/v1/service-credentials", w.providerAdmin.as, { name: "mail-backend" })).body.token };
});
after(() => t.close());

async function approved(overrides: Record<string, unknown> = {}): Promise<string> {
  const id = await fileRequest(w, overrides);
  await t.request("POST", `/v1/requests/${id}/approve`, w.manager.as, {});
  const c = await t.request("POST", `/v1/requests/${id}/approve`, w.a.approver.as, {});
  assert.equal(c.body.status, "approved", JSON.stringify(c.body));
  return id;
}

const events = (requestId: string) =>
  t.app.deps.db
    .selectFrom("audit_events")
    .selectAll()
    .where("request_id", "=", requestId)
    .where("operation", "like", "operator.%")
    .orderBy("seq")
    .execute();

test("activity inside a grant lands in the tenant chain under the engineer's real name", async () => {
  const id = await approved();
  const res = await t.request("POST", "/v1/activity", svc, {
    events: [
      { requestId: id, operation: "read", target: "mailbox/alice/inbox", at: t.clock.now().toISOString() },
      { requestId: id, operation: "export", target: "mailbox/alice/msg-7", details: { method: "GET", status: 200 } },
    ],
  });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.recorded, 2);
  assert.equal(res.body.denied, 0);
  const rows = await events(id);
  assert.deepEqual(rows.map((r) => r.operation), ["operator.read", "operator.export"]);
  for (const r of rows) {
    assert.equal(r.chain, `tenant:${w.tenantA}`);
    assert.deepEqual(JSON.parse(r.actor), { type: "user", id: w.engineer.user.id, name: "Erin Engineer" });
    const d = JSON.parse(r.details);
    assert.equal(d.requestId, id);
    assert.equal(d.ticket, "CASE-42");
    assert.equal(d.serviceCredential, "mail-backend");
  }
  assert.equal(JSON.parse(rows[1]!.details).status, 200);
  assert.equal(JSON.parse(rows[0]!.target).id, "mailbox/alice/inbox");
  // The customer sees it through the audit API too.
  const seen = await t.request("GET", `/v1/audit?chain=tenant:${w.tenantA}&requestId=${id}`, w.a.auditor.as);
  if (seen.status === 200) assert.ok(JSON.stringify(seen.body).includes("operator.read"));
});

test("activity outside an active grant is refused and recorded as operator.denied", async () => {
  const pending = await fileRequest(w);
  const revoked = await approved();
  const revokedAt = t.clock.now();
  t.clock.advanceMinutes(1);
  await t.request("POST", `/v1/requests/${revoked}/revoke`, w.a.approver.as, {});
  t.clock.advanceMinutes(1);
  const during = new Date(revokedAt.getTime() + 30_000).toISOString();
  const res = await t.request("POST", "/v1/activity", svc, {
    events: [
      { requestId: pending, operation: "read", target: "mailbox/bob" },
      { requestId: revoked, operation: "read", target: "mailbox/carol" }, // now: after the revoke
      { requestId: revoked, operation: "read", target: "mailbox/carol/old", at: during }, // reported late, happened during
      { requestId: "00000000-0000-0000-0000-000000000000", operation: "read", target: "x" },
      { requestId: revoked, operation: "read", target: "y", at: new Date(t.clock.now().getTime() + 3_600_000).toISOString() },
      { requestId: revoked, operation: "read", target: "z", at: during, refused: "wrong_tenant" },
    ],
  });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.deepEqual(
    res.body.items.map((i: { outcome: string; reason?: string }) => [i.outcome, i.reason ?? null]),
    [
      ["denied", "not_granted"],
      ["denied", "outside_access_window"],
      ["recorded", null],
      ["denied", "unknown_request"],
      ["denied", "in_the_future"],
      ["denied", "refused_by_service"],
    ],
  );
  const p = await events(pending);
  assert.equal(p.length, 1);
  assert.equal(p[0]!.operation, "operator.denied");
  assert.equal(JSON.parse(p[0]!.actor).name, "Erin Engineer");
  assert.equal(JSON.parse(p[0]!.details).reason, "not_granted");
  assert.equal(JSON.parse(p[0]!.details).operation, "read");
  assert.deepEqual((await events(revoked)).map((r) => r.operation), ["operator.denied", "operator.read", "operator.denied", "operator.denied"]);
  const unknown = await t.app.deps.db.selectFrom("audit_events").selectAll().where("chain", "=", "provider").where("operation", "=", "operator.denied").execute();
  assert.equal(unknown.length, 1);
  assert.equal(JSON.parse(unknown[0]!.actor).type, "service");
});

test("activity after accessEndsAt is denied even before the sweeper runs", async () => {
  const id = await approved({ requestedMinutes: 15 });
  t.clock.advanceMinutes(16);
  const res = await t.request("POST", "/v1/activity", svc, { events: [{ requestId: id, operation: "read", target: "z" }] });
  assert.equal(res.body.items[0].reason, "outside_access_window");
});

test("activity: a malformed batch is refused whole with 400 and writes nothing", async () => {
  const id = await approved();
  const before = (await events(id)).length;
  const ok = { requestId: id, operation: "read", target: "t" };
  const bad: unknown[] = [
    {},
    { events: [] },
    { events: Array.from({ length: 1001 }, () => ok) },
    { events: [ok, { ...ok, operation: "Read!" }] },
    { events: [ok, { ...ok, operation: "denied" }] },
    { events: [ok, { ...ok, target: "" }] },
    { events: [ok, { ...ok, target: "x".repeat(513) }] },
    { events: [ok, { ...ok, at: "yesterday" }] },
    { events: [ok, { ...ok, at: "2026-02-31T10:00:00.000Z" }] },
    { events: [ok, { ...ok, details: { n: 1.5 } }] },
    { events: [ok, { ...ok, details: { nested: { a: 1 } } }] },
    { events: [ok, { ...ok, extra: true }] },
    { events: [{ ...ok, requestId: 42 }] },
  ];
  for (const body of bad) {
    const res = await t.request("POST", "/v1/activity", svc, body);
    assert.equal(res.status, 400, `${JSON.stringify(body).slice(0, 80)} → ${res.status}`);
  }
  assert.equal((await events(id)).length, before);
});

test("activity: 1000 events in one call", async () => {
  const id = await approved();
  const res = await t.request("POST", "/v1/activity", svc, {
    events: Array.from({ length: 1000 }, (_, i) => ({ requestId: id, operation: "read", target: `msg-${i}` })),
  });
  assert.equal(res.status, 200);
  assert.equal(res.body.recorded, 1000);
  assert.equal((await events(id)).length, 1000);
});
