import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { sealWebhookSecret, webhookSecretKey } from "../src/notify/webhook-secrets.js";
import { operationsOf, verifyAllChains } from "./support/chains.js";
import { startTestApp, type TestApp } from "./support/test-app.js";
import { type Actor, buildWorld, fileRequest, type World } from "./support/world.js";

/**
 * SPEC 17, the request side: reason types, scheduled starts, questions and extensions, each
 * through the HTTP API with its audit events, mails and webhooks, and the bad input of issue 16
 * (a clear 4xx, nothing changed).
 */
let t: TestApp;
let w: World;
let serviceToken: string;
const HOOK = "workflow-hook";
before(async () => {
  t = await startTestApp();
  w = await buildWorld(t);
  // A tenant A webhook subscribed to the new event types only (inserted as if registered).
  await t.app.deps.db
    .insertInto("webhooks")
    .values({
      id: HOOK,
      tenant_id: w.tenantA,
      url: "https://hooks.example.test/lockbox",
      events: JSON.stringify([
        "request.question_asked",
        "request.question_answered",
        "request.extension_requested",
        "request.extension_approved",
        "request.extension_denied",
      ]),
      secret: sealWebhookSecret(webhookSecretKey(t.app.deps.config), HOOK, "whsec_test"),
      created_by: t.admin.id,
      created_at: t.clock.now().toISOString(),
      disabled_at: null,
      disabled_reason: null,
      deleted_at: null,
    })
    .execute();
  const cred = await t.request("POST", "/v1/service-credentials", w.providerAdmin.as, { name: "workflow test" });
  serviceToken = cred.body.token as string;
});
after(() => t.close());

const act = (verb: string, id: string, who: Actor, body: unknown = {}) => t.request("POST", `/v1/requests/${id}/${verb}`, who.as, body);
const show = (id: string, who: Actor = w.engineer) => t.request("GET", `/v1/requests/${id}`, who.as);
const minutesFromNow = (m: number) => new Date(t.clock.now().getTime() + m * 60_000).toISOString();

/** The outbox rows a request's audit event produced: mail recipients and webhook event types. */
async function messagesOf(requestId: string, operation: string) {
  const events = await t.app.deps.db
    .selectFrom("audit_events")
    .select("id")
    .where("request_id", "=", requestId)
    .where("operation", "=", operation)
    .execute();
  assert.ok(events.length > 0, `no ${operation} event`);
  const last = events.at(-1)!.id;
  const rows = await t.app.deps.db.selectFrom("outbox").select(["kind", "destination", "idempotency_key"]).where("idempotency_key", "like", `%:${last}:%`).execute();
  return {
    mails: rows.filter((r) => r.kind === "email").map((r) => r.destination).sort(),
    hooks: rows.filter((r) => r.kind === "webhook").map((r) => r.destination),
  };
}

async function approved(overrides: Record<string, unknown> = {}): Promise<string> {
  const id = await fileRequest(w, overrides);
  assert.equal((await act("approve", id, w.manager)).status, 200);
  const res = await act("approve", id, w.a.approver);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return id;
}

const snapshot = async (id: string) => {
  const res = await show(id, w.providerAdmin);
  return { body: res.body, ops: await operationsOf(t, id) };
};

describe("reason types", () => {
  test("default customer_initiated_support; stored, returned, audited, filterable", async () => {
    const support = await fileRequest(w);
    assert.equal((await show(support)).body.reasonType, "customer_initiated_support");
    const incident = await fileRequest(w, { reasonType: "production_incident", ticket: undefined });
    const got = (await show(incident)).body;
    assert.equal(got.reasonType, "production_incident");
    assert.equal(got.ticket, "");
    const created = await t.app.deps.db
      .selectFrom("audit_events")
      .select("details")
      .where("request_id", "=", incident)
      .where("operation", "=", "request.created")
      .executeTakeFirstOrThrow();
    assert.equal(JSON.parse(created.details).reasonType, "production_incident");

    const list = await t.request("GET", "/v1/requests?reasonType=production_incident&limit=200", w.a.admin.as);
    assert.equal(list.status, 200);
    const ids = (list.body.items as { id: string; reasonType: string }[]).map((i) => i.id);
    assert.ok(ids.includes(incident));
    assert.ok(!ids.includes(support));
    assert.ok((list.body.items as { reasonType: string }[]).every((i) => i.reasonType === "production_incident"));
  });

  test("customer-initiated support needs a ticket; an unknown type is refused", async () => {
    const base = { tenantId: w.tenantA, reason: "x", services: ["mail"], accessLevel: "read", requestedMinutes: 30 };
    const noTicket = await t.request("POST", "/v1/requests", w.engineer.as, base);
    assert.equal(noTicket.status, 400);
    assert.equal(noTicket.body.error.details[0].field, "ticket");
    const bad = await t.request("POST", "/v1/requests", w.engineer.as, { ...base, ticket: "C-1", reasonType: "curiosity" });
    assert.equal(bad.status, 400);
    const list = await t.request("GET", "/v1/requests?reasonType=curiosity", w.a.admin.as);
    assert.equal(list.status, 400);
  });
});

describe("scheduled access (startAt)", () => {
  test("in the past or more than 7 days ahead: 400, nothing created", async () => {
    const before = await t.app.deps.db.selectFrom("access_requests").select("id").execute();
    const base = { tenantId: w.tenantA, ticket: "C-2", reason: "x", services: ["mail"], accessLevel: "read", requestedMinutes: 30 };
    for (const startAt of [minutesFromNow(-1), minutesFromNow(7 * 24 * 60 + 1), "tomorrow"]) {
      const res = await t.request("POST", "/v1/requests", w.engineer.as, { ...base, startAt });
      assert.equal(res.status, 400, startAt);
    }
    const ok = await t.request("POST", "/v1/requests", w.engineer.as, { ...base, startAt: minutesFromNow(7 * 24 * 60) });
    assert.equal(ok.status, 201, "exactly 7 days ahead is allowed");
    const after = await t.app.deps.db.selectFrom("access_requests").select("id").execute();
    assert.equal(after.length, before.length + 1);
  });

  test("the window opens at max(startAt, final approval); no access before it; decideBy runs from the manager", async () => {
    const startAt = minutesFromNow(180);
    const id = await fileRequest(w, { startAt, requestedMinutes: 60, services: ["files"] });
    assert.equal((await show(id)).body.startAt, startAt);
    t.clock.advanceMinutes(10);
    const m = await act("approve", id, w.manager);
    assert.equal(m.body.decideBy, minutesFromNow(720), "decideBy from the manager's approval, not from startAt");
    const c = await act("approve", id, w.a.approver);
    assert.equal(c.body.status, "approved");
    assert.equal(c.body.accessStartsAt, startAt);
    assert.equal(c.body.accessEndsAt, new Date(Date.parse(startAt) + 60 * 60_000).toISOString());

    const check = () =>
      t.request("POST", "/v1/access/check", { token: serviceToken }, { userId: w.engineer.user.id, tenantId: w.tenantA, service: "files", accessLevel: "read" });
    const early = await check();
    assert.equal(early.body.allowed, false);
    assert.equal(early.body.reason, "not_started");
    t.clock.advanceMinutes(169);
    assert.equal((await check()).body.allowed, false, "a minute before startAt");
    t.clock.advanceMinutes(1);
    assert.equal((await check()).body.allowed, true, "open from startAt");
    t.clock.advanceMinutes(60);
    assert.equal((await check()).body.allowed, false, "closed an hour later");
    assert.equal((await show(id)).body.status, "completed");
  });

  test("approved after startAt: the window opens at the approval", async () => {
    const id = await fileRequest(w, { startAt: minutesFromNow(5) });
    t.clock.advanceMinutes(30);
    await act("approve", id, w.manager);
    const c = await act("approve", id, w.a.approver);
    assert.equal(c.body.accessStartsAt, t.clock.now().toISOString());
  });
});

describe("questions", () => {
  test("an approver asks, the requester answers: history, audit, mail and webhooks; the clock does not stop", async () => {
    const id = await fileRequest(w);
    await act("approve", id, w.manager);
    const before = (await show(id)).body;
    t.clock.advanceMinutes(5);
    const asked = await act("questions", id, w.a.approver, { text: "Which mailbox exactly?" });
    assert.equal(asked.status, 201, JSON.stringify(asked.body));
    assert.equal(asked.body.text, "Which mailbox exactly?");
    assert.equal(asked.body.askedBy.id, w.a.approver.user.id);
    assert.equal(asked.body.answer, null);
    const askMsgs = await messagesOf(id, "request.question_asked");
    assert.deepEqual(askMsgs.mails, [w.engineer.user.email.toLowerCase()]);
    assert.deepEqual(askMsgs.hooks, [HOOK]);

    // Only the requester answers; a second answer is a conflict.
    assert.equal((await act(`questions/${asked.body.id}/answer`, id, w.engineer2, { text: "me?" })).status, 403);
    const answered = await act(`questions/${asked.body.id}/answer`, id, w.engineer, { text: "ceo@alpha.test" });
    assert.equal(answered.status, 200, JSON.stringify(answered.body));
    assert.equal(answered.body.answer, "ceo@alpha.test");
    assert.equal(answered.body.answeredBy.id, w.engineer.user.id);
    const again = await act(`questions/${asked.body.id}/answer`, id, w.engineer, { text: "changed" });
    assert.equal(again.status, 409);
    const ansMsgs = await messagesOf(id, "request.question_answered");
    assert.ok(ansMsgs.mails.includes(w.a.approver.user.email.toLowerCase()));
    assert.ok(!ansMsgs.mails.includes(w.a.auditor.user.email.toLowerCase()));
    assert.deepEqual(ansMsgs.hooks, [HOOK]);

    const after = (await show(id)).body;
    assert.equal(after.decideBy, before.decideBy, "the decision clock does not stop");
    assert.equal(after.status, "pending_customer");
    assert.equal(after.questions.length, 1);
    assert.equal(after.questions[0].answer, "ceo@alpha.test");
    assert.deepEqual((await operationsOf(t, id)).slice(-2), ["request.question_asked", "request.question_answered"]);
    const actors = await t.app.deps.db.selectFrom("audit_events").select(["operation", "actor_id"]).where("request_id", "=", id).execute();
    assert.equal(actors.find((a) => a.operation === "request.question_asked")!.actor_id, w.a.approver.user.id);
    assert.equal(actors.find((a) => a.operation === "request.question_answered")!.actor_id, w.engineer.user.id);
  });

  test("someone who cannot see the request, or may not decide it, cannot ask: 404/403, nothing changed", async () => {
    const id = await fileRequest(w);
    await act("approve", id, w.manager);
    const before = await snapshot(id);
    const cases: [Actor, number][] = [
      [w.b.approver, 404], // another tenant: the request does not exist for it
      [w.b.admin, 404],
      [w.a.auditor, 403], // sees it, may not decide
      [w.engineer, 403], // provider staff never ask the customer's questions
      [w.manager, 403],
    ];
    for (const [who, status] of cases) {
      const res = await act("questions", id, who, { text: "hello?" });
      assert.equal(res.status, status, `${who.user.name}: ${JSON.stringify(res.body)}`);
    }
    assert.equal((await act("questions", id, w.a.approver, { text: "" })).status, 400);
    assert.equal((await act("questions", id, w.a.approver, { text: "x".repeat(2001) })).status, 400);
    assert.deepEqual(await snapshot(id), before);
    // A question id from another request is not found.
    const other = await fileRequest(w);
    await act("approve", other, w.manager);
    const q = await act("questions", other, w.a.approver, { text: "why?" });
    assert.equal((await act(`questions/${q.body.id}/answer`, id, w.engineer, { text: "because" })).status, 404);
    // An ended request takes no questions.
    await act("deny", other, w.a.approver);
    assert.equal((await act("questions", other, w.a.approver, { text: "and now?" })).status, 409);
  });
});

describe("extensions", () => {
  test("requested while approved, approved by as many approvers as the request: accessEndsAt moves", async () => {
    const patch = await t.request("PATCH", `/v1/tenants/${w.tenantA}/settings`, w.a.admin.as, { requiredApprovals: 2 });
    assert.equal(patch.status, 200);
    try {
      const id = await fileRequest(w, { requestedMinutes: 60 });
      await act("approve", id, w.manager);
      await act("approve", id, w.a.approver);
      const granted = await act("approve", id, w.a.approver2);
      assert.equal(granted.body.status, "approved");
      const end = granted.body.accessEndsAt as string;

      t.clock.advanceMinutes(40);
      const ext = await act("extensions", id, w.engineer, { minutes: 30, reason: "Index rebuild still running" });
      assert.equal(ext.status, 201, JSON.stringify(ext.body));
      assert.equal(ext.body.status, "pending");
      assert.equal(ext.body.requiredApprovals, 2);
      const reqMsgs = await messagesOf(id, "request.extension_requested");
      assert.ok(reqMsgs.mails.includes(w.a.approver.user.email.toLowerCase()));
      assert.deepEqual(reqMsgs.hooks, [HOOK]);

      const eid = ext.body.id as string;
      assert.equal((await act(`extensions/${eid}/approve`, id, w.engineer)).status, 403, "the requester never approves");
      assert.equal((await act(`extensions/${eid}/approve`, id, w.manager)).status, 403, "the provider never approves for the customer");
      assert.equal((await act(`extensions/${eid}/approve`, id, w.a.auditor)).status, 403);
      assert.equal((await act(`extensions/${eid}/approve`, id, w.b.approver)).status, 404);
      const one = await act(`extensions/${eid}/approve`, id, w.a.approver, { comment: "ok" });
      assert.equal(one.status, 200, JSON.stringify(one.body));
      assert.equal(one.body.status, "pending");
      assert.equal((await show(id)).body.accessEndsAt, end, "nothing moves before the last approval");
      const twice = await act(`extensions/${eid}/approve`, id, w.a.approver);
      assert.equal(twice.status, 409);
      assert.equal(twice.body.error.code, "already_decided");
      const two = await act(`extensions/${eid}/approve`, id, w.a.admin);
      assert.equal(two.body.status, "approved");
      const newEnd = new Date(Date.parse(end) + 30 * 60_000).toISOString();
      assert.equal(two.body.accessEndsAt, newEnd);
      const r = (await show(id)).body;
      assert.equal(r.accessEndsAt, newEnd);
      assert.equal(r.extensions.length, 1);
      assert.equal(r.extensions[0].approvals.length, 2);
      const appr = await messagesOf(id, "request.extension_approved");
      assert.deepEqual(appr.mails, [w.engineer.user.email.toLowerCase()]);
      assert.deepEqual(appr.hooks, [HOOK]);
      assert.equal((await act(`extensions/${eid}/deny`, id, w.a.approver2)).status, 409, "decided once");

      // The access check follows the new end.
      t.clock.advanceMinutes(30);
      const check = await t.request("POST", "/v1/access/check", { token: serviceToken }, { userId: w.engineer.user.id, tenantId: w.tenantA, service: "mail", accessLevel: "read" });
      assert.equal(check.body.allowed, true, JSON.stringify(check.body));
      assert.equal(check.body.expiresAt, newEnd);
    } finally {
      await t.request("PATCH", `/v1/tenants/${w.tenantA}/settings`, w.a.admin.as, { requiredApprovals: 1 });
    }
  });

  test("deny: one approver says no, the end stays", async () => {
    const id = await approved();
    const end = (await show(id)).body.accessEndsAt;
    const ext = await act("extensions", id, w.engineer, { minutes: 10, reason: "more" });
    const denied = await act(`extensions/${ext.body.id}/deny`, id, w.a.approver, { comment: "No." });
    assert.equal(denied.status, 200);
    assert.equal(denied.body.status, "denied");
    assert.equal(denied.body.decision.comment, "No.");
    assert.equal((await show(id)).body.accessEndsAt, end);
    const msgs = await messagesOf(id, "request.extension_denied");
    assert.deepEqual(msgs.mails, [w.engineer.user.email.toLowerCase()]);
    assert.deepEqual(msgs.hooks, [HOOK]);
    assert.equal((await act(`extensions/${ext.body.id}/approve`, id, w.a.approver2)).status, 409);
  });

  test("bad input: past the cap, not approved, after the end, not the requester: a clear 4xx, nothing changed", async () => {
    // The cap: start + 2 x maxAccessMinutes (240) = 480 minutes in total; this grant has 60.
    const id = await approved();
    const before = await snapshot(id);
    const cap = await act("extensions", id, w.engineer, { minutes: 421, reason: "all day" });
    assert.equal(cap.status, 400);
    assert.equal(cap.body.error.details[0].field, "minutes");
    assert.equal((await act("extensions", id, w.engineer2, { minutes: 10, reason: "x" })).status, 403);
    assert.equal((await act("extensions", id, w.engineer, { minutes: 0, reason: "x" })).status, 400);
    assert.equal((await act("extensions", id, w.engineer, { minutes: 10 })).status, 400);
    assert.deepEqual(await snapshot(id), before);
    // Exactly up to the cap is fine; then nothing more.
    const full = await act("extensions", id, w.engineer, { minutes: 420, reason: "the whole cap" });
    assert.equal(full.status, 201);
    // Two pending extensions each within the cap cannot both be approved past it.
    const second = await act("extensions", id, w.engineer, { minutes: 10, reason: "a bit more" });
    assert.equal(second.status, 201);
    assert.equal((await act(`extensions/${full.body.id}/approve`, id, w.a.approver)).body.status, "approved");
    const over = await act(`extensions/${second.body.id}/approve`, id, w.a.approver);
    assert.equal(over.status, 409);
    assert.equal((await show(id)).body.accessEndsAt, new Date(Date.parse(before.body.accessStartsAt) + 480 * 60_000).toISOString());

    // Not approved (pending): 409, nothing stored.
    const pending = await fileRequest(w);
    const p = await act("extensions", pending, w.engineer, { minutes: 10, reason: "x" });
    assert.equal(p.status, 409);
    assert.equal((await show(pending)).body.extensions.length, 0);

    // After the end: asking, and deciding a pending one, are both refused.
    const ending = await approved();
    const late = await act("extensions", ending, w.engineer, { minutes: 10, reason: "x" });
    t.clock.advanceMinutes(61);
    assert.equal((await show(ending)).body.extensions[0].status, "expired");
    const decide = await act(`extensions/${late.body.id}/approve`, ending, w.a.approver);
    assert.equal(decide.status, 409);
    assert.equal(decide.body.error.details.status, "completed");
    assert.equal((await act("extensions", ending, w.engineer, { minutes: 10, reason: "x" })).status, 409);
    assert.equal((await show(ending)).body.accessEndsAt, new Date(Date.parse((await show(ending)).body.accessStartsAt) + 60 * 60_000).toISOString());
  });

  test("every chain still verifies", async () => {
    await verifyAllChains(t);
  });
});
