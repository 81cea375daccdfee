import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { tenantChain } from "../src/audit/audit-event.js";
import { operationsOf, verifyAllChains } from "./support/chains.js";
import { startTestApp, type TestApp } from "./support/test-app.js";
import { type Actor, buildWorld, fileRequest, type World } from "./support/world.js";

let t: TestApp;
let w: World;
before(async () => {
  t = await startTestApp();
  w = await buildWorld(t);
});
after(() => t.close());

const act = (verb: string, id: string, who: Actor, body: unknown = {}) =>
  t.request("POST", `/v1/requests/${id}/${verb}`, who.as, body);
const show = (id: string, who: Actor) => t.request("GET", `/v1/requests/${id}`, who.as);

describe("the customer lockbox path (tenant A: lockbox on)", () => {
  test("engineer → manager → customer approver → approved for the requested time", async () => {
    const created = await t.request("POST", "/v1/requests", w.engineer.as, {
      tenantId: w.tenantA,
      ticket: "CASE-100",
      reason: "Mail flow stuck",
      services: ["mail", "files"],
      accessLevel: "write",
      requestedMinutes: 120,
    });
    assert.equal(created.status, 201);
    const id = created.body.id;
    assert.equal(created.body.status, "pending_manager");
    assert.equal(created.body.requester.name, "Erin Engineer");
    assert.equal(created.body.decideBy, new Date(t.clock.now().getTime() + 12 * 3600_000).toISOString());

    t.clock.advanceMinutes(30);
    const m = await act("approve", id, w.manager, { comment: "Looks right" });
    assert.equal(m.status, 200);
    assert.equal(m.body.status, "pending_customer");
    assert.equal(m.body.managerDecision.by.name, "Maya Manager");
    assert.equal(m.body.decideBy, new Date(t.clock.now().getTime() + 720 * 60_000).toISOString(), "customer window starts at manager approval");

    t.clock.advanceMinutes(60);
    const c = await act("approve", id, w.a.approver, { comment: "Go ahead" });
    assert.equal(c.status, 200);
    assert.equal(c.body.status, "approved");
    assert.equal(c.body.grantedMinutes, 120);
    assert.equal(c.body.accessStartsAt, t.clock.now().toISOString());
    assert.equal(c.body.accessEndsAt, new Date(t.clock.now().getTime() + 120 * 60_000).toISOString());
    assert.equal(c.body.approvals.length, 1);
    assert.equal(c.body.approvals[0].by.id, w.a.approver.user.id);

    // The tenant sees it; the other tenant does not know it exists.
    assert.equal((await show(id, w.a.auditor)).body.status, "approved");
    assert.equal((await show(id, w.b.admin)).status, 404);
    assert.deepEqual(await operationsOf(t, id), ["request.created", "request.manager_approved", "request.approved"]);

    // Access ends by itself at accessEndsAt: the read shows it at once, the sweeper records it.
    t.clock.advanceMinutes(119);
    assert.equal((await show(id, w.engineer)).body.status, "approved");
    t.clock.advanceMinutes(1);
    const ended = await show(id, w.engineer);
    assert.equal(ended.body.status, "completed");
    assert.equal(ended.body.endReason, "access_window_over");
    assert.equal(ended.body.endedAt, c.body.accessEndsAt);
    assert.ok((await t.app.sweeper.runOnce()) >= 1);
    assert.deepEqual((await operationsOf(t, id)).at(-1), "request.completed");
    const swept = await show(id, w.engineer);
    assert.deepEqual(swept.body, ended.body, "the sweeper records exactly what reads already showed");
    assert.equal(await t.app.sweeper.runOnce(), 0, "a second sweep finds nothing");
  });

  test("the customer may shorten the grant; never lengthen it", async () => {
    const id = await fileRequest(w, { requestedMinutes: 240 });
    await act("approve", id, w.manager);
    const tooLong = await act("approve", id, w.a.approver, { grantedMinutes: 241 });
    assert.equal(tooLong.status, 400);
    assert.equal(tooLong.body.error.details[0].field, "grantedMinutes");
    const ok = await act("approve", id, w.a.approver, { grantedMinutes: 45 });
    assert.equal(ok.body.grantedMinutes, 45);
    assert.equal(Date.parse(ok.body.accessEndsAt) - Date.parse(ok.body.accessStartsAt), 45 * 60_000);
  });

  test("a customer deny is final and ends the request", async () => {
    const id = await fileRequest(w);
    await act("approve", id, w.manager);
    const d = await act("deny", id, w.a.admin, { comment: "Not now" });
    assert.equal(d.status, 200);
    assert.equal(d.body.status, "denied");
    assert.equal(d.body.customerDecision.decision, "deny");
    assert.equal(d.body.endedBy.id, w.a.admin.user.id);
    const again = await act("approve", id, w.a.approver);
    assert.equal(again.status, 409);
    assert.equal(again.body.error.details.status, "denied");
  });

  test("the requester can never approve its own request, even as a manager", async () => {
    const id = await fileRequest(w, {}, w.manager2);
    const own = await act("approve", id, w.manager2);
    assert.equal(own.status, 403);
    assert.equal(own.body.error.code, "self_approval");
    const ownReject = await act("deny", id, w.manager2);
    assert.equal(ownReject.status, 403);
    assert.equal((await act("approve", id, w.manager)).body.status, "pending_customer");
  });

  test("a manager can reject; the request is then closed to everyone", async () => {
    const id = await fileRequest(w);
    const r = await act("deny", id, w.manager, { comment: "Wrong tenant" });
    assert.equal(r.body.status, "rejected");
    assert.equal(r.body.managerDecision.decision, "reject");
    assert.equal((await act("approve", id, w.manager)).status, 409);
    assert.equal((await act("cancel", id, w.engineer)).status, 409);
  });

  test("the requester or a manager cancels while pending; nobody cancels after approval", async () => {
    const a = await fileRequest(w);
    assert.equal((await act("cancel", a, w.engineer, { comment: "Fixed it" })).body.status, "canceled");
    const b = await fileRequest(w);
    await act("approve", b, w.manager);
    assert.equal((await act("cancel", b, w.manager)).body.status, "canceled");
    const c = await fileRequest(w);
    await act("approve", c, w.manager);
    await act("approve", c, w.a.approver);
    assert.equal((await act("cancel", c, w.engineer)).status, 409);
  });

  test("the customer revokes granted access; the requester releases early", async () => {
    const a = await fileRequest(w);
    await act("approve", a, w.manager);
    await act("approve", a, w.a.approver);
    const r = await act("revoke", a, w.a.approver2, { comment: "Enough" });
    assert.equal(r.body.status, "revoked");
    assert.equal(r.body.endReason, "revoked");
    assert.equal(r.body.endedBy.id, w.a.approver2.user.id);
    const b = await fileRequest(w);
    await act("approve", b, w.manager);
    await act("approve", b, w.a.approver);
    const done = await act("complete", b, w.engineer);
    assert.equal(done.body.status, "completed");
    assert.equal(done.body.endReason, "released");
    assert.equal((await act("revoke", b, w.a.approver)).status, 409);
  });
});

describe("several approvers, protected services, lockbox off", () => {
  test("requiredApprovals 2 needs two distinct people; the same person twice is refused", async () => {
    const set = await t.request("PATCH", `/v1/tenants/${w.tenantA}/settings`, w.a.admin.as, { requiredApprovals: 2 });
    assert.equal(set.status, 200);
    try {
      const id = await fileRequest(w);
      assert.equal((await act("approve", id, w.manager)).body.requiredApprovals, 2);
      const first = await act("approve", id, w.a.approver, { grantedMinutes: 30 });
      assert.equal(first.body.status, "pending_customer");
      assert.equal(first.body.approvals.length, 1);
      const twice = await act("approve", id, w.a.approver);
      assert.equal(twice.status, 409);
      assert.equal(twice.body.error.code, "already_decided");
      t.clock.advanceMinutes(1);
      const second = await act("approve", id, w.a.admin);
      assert.equal(second.body.status, "approved");
      assert.equal(second.body.grantedMinutes, 30, "the shortest grant any approver allowed");
      assert.deepEqual(
        second.body.approvals.map((a: { by: { id: string } }) => a.by.id),
        [w.a.approver.user.id, w.a.admin.user.id],
      );
      const events = await t.app.deps.db
        .selectFrom("audit_events")
        .select("details")
        .where("request_id", "=", id)
        .where("operation", "=", "request.approved")
        .orderBy("pos")
        .execute();
      assert.deepEqual(
        events.map((e) => JSON.parse(e.details).final),
        [false, true],
      );
    } finally {
      await t.request("PATCH", `/v1/tenants/${w.tenantA}/settings`, w.a.admin.as, { requiredApprovals: 1 });
    }
  });

  test("only protected services need the customer", async () => {
    await t.request("PATCH", `/v1/tenants/${w.tenantA}/settings`, w.a.admin.as, { protectedServices: ["mail"] });
    try {
      const chatOnly = await fileRequest(w, { services: ["chat"] });
      const m = await act("approve", chatOnly, w.manager);
      assert.equal(m.body.status, "approved", "chat is not protected: the manager's approval grants");
      const mixed = await fileRequest(w, { services: ["chat", "mail"] });
      assert.equal((await act("approve", mixed, w.manager)).body.status, "pending_customer");
    } finally {
      await t.request("PATCH", `/v1/tenants/${w.tenantA}/settings`, w.a.admin.as, { protectedServices: "all" });
    }
  });

  test("with lockbox off (tenant B) the manager's approval alone grants access", async () => {
    const id = await fileRequest(w, { tenantId: w.tenantB, requestedMinutes: 30 });
    const m = await act("approve", id, w.manager, { grantedMinutes: 20 });
    assert.equal(m.body.status, "approved");
    assert.equal(m.body.grantedMinutes, 20);
    assert.equal(m.body.accessStartsAt, t.clock.now().toISOString());
    const ops = await operationsOf(t, id);
    assert.deepEqual(ops, ["request.created", "request.manager_approved"]);
    // And the customer is told in its own chain, lockbox or not.
    const chain = await t.app.deps.db.selectFrom("audit_events").select("chain").where("request_id", "=", id).execute();
    assert.ok(chain.every((c) => c.chain === tenantChain(w.tenantB)));
  });

  test("requestedMinutes above the tenant's maximum is refused naming the field", async () => {
    const res = await t.request("POST", "/v1/requests", w.engineer.as, {
      tenantId: w.tenantA,
      ticket: "CASE-9",
      reason: "x",
      services: ["mail"],
      accessLevel: "read",
      requestedMinutes: 241,
    });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.details[0].field, "requestedMinutes");
  });
});

describe("windows: the 12-hour limits and the sweeper", () => {
  test("a request nobody decides expires at the manager window's end", async () => {
    const id = await fileRequest(w);
    t.clock.advanceMinutes(12 * 60 - 1);
    assert.equal((await show(id, w.engineer)).body.status, "pending_manager");
    t.clock.advanceMinutes(1);
    const lapsed = await show(id, w.engineer);
    assert.equal(lapsed.body.status, "expired");
    assert.equal(lapsed.body.endReason, "decision_window_over");
    const late = await act("approve", id, w.manager);
    assert.equal(late.status, 409);
    assert.equal(late.body.error.details.status, "expired");
    const list = await t.request("GET", `/v1/requests?status=expired&ticket=CASE-42&limit=200`, w.engineer.as);
    assert.ok(list.body.items.some((r: { id: string }) => r.id === id), "the status filter uses the effective status");
    await t.app.sweeper.runOnce();
    assert.equal((await operationsOf(t, id)).at(-1), "request.expired");
  });

  test("the customer window is the tenant's approvalWindowMinutes from manager approval", async () => {
    await t.request("PATCH", `/v1/tenants/${w.tenantA}/settings`, w.a.admin.as, { approvalWindowMinutes: 60 });
    try {
      const id = await fileRequest(w);
      await act("approve", id, w.manager);
      t.clock.advanceMinutes(60);
      const late = await act("approve", id, w.a.approver);
      assert.equal(late.status, 409);
      assert.equal((await show(id, w.a.approver)).body.status, "expired");
      await t.app.sweeper.runOnce();
      assert.deepEqual(await operationsOf(t, id), ["request.created", "request.manager_approved", "request.expired"]);
    } finally {
      await t.request("PATCH", `/v1/tenants/${w.tenantA}/settings`, w.a.admin.as, { approvalWindowMinutes: 720 });
    }
  });

  test("revoking at the last moment works; one millisecond after the end it is too late", async () => {
    const id = await fileRequest(w, { requestedMinutes: 240 });
    await act("approve", id, w.manager);
    await act("approve", id, w.a.approver);
    t.clock.advanceMinutes(240);
    const late = await act("revoke", id, w.a.approver);
    assert.equal(late.status, 409);
    assert.equal(late.body.error.details.status, "completed");
  });

  test("lists page with a cursor and filter by tenant, ticket and requester", async () => {
    for (let i = 0; i < 5; i++) {
      await fileRequest(w, { ticket: "PAGE-1" }, i % 2 ? w.engineer2 : w.engineer);
      t.clock.advanceMs(1);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { items: { id: string; ticket: string }[]; nextCursor: string | null } } = await t.request(
        "GET",
        `/v1/requests?ticket=PAGE-1&limit=2${cursor ? `&cursor=${cursor}` : ""}`,
        w.a.auditor.as,
      );
      seen.push(...page.body.items.map((r) => r.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    assert.equal(seen.length, 5);
    assert.equal(new Set(seen).size, 5);
    const mine = await t.request("GET", `/v1/requests?ticket=PAGE-1&requester=${w.engineer2.user.id}`, w.manager.as);
    assert.equal(mine.body.items.length, 2);
    const otherTenant = await t.request("GET", `/v1/requests?ticket=PAGE-1`, w.b.auditor.as);
    assert.equal(otherTenant.body.items.length, 0, "tenant B sees none of tenant A's requests");
  });
});

test("after all of the above every audit chain verifies", async () => {
  const counts = await verifyAllChains(t);
  assert.ok(counts[tenantChain(w.tenantA)]! > 30);
  assert.ok(counts.provider! >= 3);
});
