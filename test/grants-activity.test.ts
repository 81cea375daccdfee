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

test("activity: a body that is not a batch is refused whole with 400 and writes nothing", async () => {
  const id = await approved();
  const before = (await events(id)).length;
  const ok = { requestId: id, operation: "read", target: "t" };
  const bad: unknown[] = [
    {},
    [],
    "events",
    { events: [] },
    { events: "read" },
    { events: { 0: ok } },
    { events: Array.from({ length: 1001 }, () => ok) },
    { events: [ok], extra: true },
  ];
  for (const body of bad) {
    const res = await t.request("POST", "/v1/activity", svc, JSON.stringify(body), { "content-type": "application/json" });
    assert.equal(res.status, 400, `${JSON.stringify(body).slice(0, 80)} → ${res.status}`);
    assert.equal(res.body.error.code, "invalid_request");
  }
  assert.equal((await events(id)).length, before);
});

// §13 changed this: a bad event no longer sinks its batch (before, the whole batch was refused
// with 400 and the SDK dropped it, so real reads went unrecorded).
test("activity: each bad event is recorded as operator.denied invalid_event, the rest are recorded (finding 2)", async () => {
  const id = await approved();
  const ok = { requestId: id, operation: "read", target: "t" };
  const badEvents: unknown[] = [
    { ...ok, operation: "Read!" },
    { ...ok, operation: "denied" },
    { ...ok, operation: "x".repeat(129) },
    { ...ok, target: "" },
    { ...ok, target: "x".repeat(513) },
    { ...ok, at: "yesterday" },
    { ...ok, at: "2026-02-31T10:00:00.000Z" },
    { ...ok, details: { n: 1.5 } },
    { ...ok, details: { nested: { a: 1 } } },
    { ...ok, extra: true },
  ];
  const res = await t.request("POST", "/v1/activity", svc, { events: [ok, ...badEvents, ok] });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.recorded, 2);
  assert.equal(res.body.denied, badEvents.length);
  assert.equal(res.body.invalid, badEvents.length);
  for (const item of res.body.items.slice(1, -1)) {
    assert.equal(item.outcome, "denied");
    assert.equal(item.reason, "invalid_event");
    assert.ok(item.problems.length >= 1 && typeof item.problems[0].field === "string", JSON.stringify(item));
  }
  assert.equal(res.body.items[1].problems[0].field, "operation");
  assert.equal(res.body.items[4].problems[0].field, "target");
  const rows = await events(id);
  assert.deepEqual(rows.map((r) => r.operation), ["operator.read", ...badEvents.map(() => "operator.denied"), "operator.read"]);
  for (const r of rows.slice(1, -1)) {
    assert.equal(r.chain, `tenant:${w.tenantA}`, "the customer sees the bad report under the engineer's name");
    assert.equal(JSON.parse(r.actor).name, "Erin Engineer");
    const d = JSON.parse(r.details);
    assert.equal(d.reason, "invalid_event");
    assert.equal(d.ticket, "CASE-42");
    assert.equal(typeof d.problems, "string");
  }
  assert.ok(JSON.parse(rows[3]!.details).operation.length <= 128, "what is kept of a bad field is bounded");

  // An item that names no request (or is not even an object) has no tenant: provider chain.
  const before = await t.app.deps.db.selectFrom("audit_events").select("id").where("chain", "=", "provider").where("operation", "=", "operator.denied").execute();
  const orphan = await t.request("POST", "/v1/activity", svc, { events: [42, { ...ok, requestId: 42 }, null, ok] });
  assert.equal(orphan.status, 200, JSON.stringify(orphan.body));
  assert.deepEqual(orphan.body.items.map((i: { reason?: string }) => i.reason ?? "recorded"), ["invalid_event", "invalid_event", "invalid_event", "recorded"]);
  const after = await t.app.deps.db.selectFrom("audit_events").selectAll().where("chain", "=", "provider").where("operation", "=", "operator.denied").execute();
  assert.equal(after.length, before.length + 3);
  assert.equal(JSON.parse(after.at(-1)!.actor).type, "service");
  assert.equal(JSON.parse(after.at(-1)!.details).reason, "invalid_event");
});

test("activity: operation is a namespaced name (mailbox.read_item, m-search)", async () => {
  const id = await approved();
  const ops = ["mailbox.read_item", "files.download", "m-search", `a${"b".repeat(127)}`];
  const res = await t.request("POST", "/v1/activity", svc, { events: ops.map((operation) => ({ requestId: id, operation, target: "t" })) });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.recorded, ops.length);
  assert.deepEqual((await events(id)).map((r) => r.operation), ops.map((o) => `operator.${o}`));
});

test("activity: a bad event in a batch of 1000 costs only itself (finding 2)", async () => {
  const id = await approved();
  const batch = Array.from({ length: 1000 }, (_, i) => ({ requestId: id, operation: i === 500 ? "M-SEARCH" : "read", target: `msg-${i}` }));
  const res = await t.request("POST", "/v1/activity", svc, { events: batch });
  assert.equal(res.status, 200, JSON.stringify(res.body).slice(0, 300));
  assert.deepEqual([res.body.recorded, res.body.denied, res.body.invalid], [999, 1, 1]);
  assert.equal(res.body.items[500].reason, "invalid_event");
  const rows = await events(id);
  assert.equal(rows.filter((r) => r.operation === "operator.read").length, 999);
  const denied = rows.filter((r) => r.operation === "operator.denied");
  assert.equal(denied.length, 1);
  assert.deepEqual([JSON.parse(denied[0]!.details).reason, JSON.parse(denied[0]!.details).target], ["invalid_event", "msg-500"]);
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
