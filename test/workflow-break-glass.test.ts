import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { sweepRequests } from "../src/requests/sweep-requests.js";
import { operationsOf, verifyAllChains } from "./support/chains.js";
import { type CliRun, runLockbox } from "./support/cli.js";
import { startTestApp, type TestApp } from "./support/test-app.js";
import { buildWorld, fileRequest, type World } from "./support/world.js";

// Issue 16 / SPEC 17: break-glass — two provider people grant emergency access at once, only
// where the tenant allows it and only for a production incident; the customer is told at once and
// reviews it afterwards; disputed reviews are listed for the provider admin.

describe("break-glass", () => {
  let t: TestApp;
  let w: World;
  let hookId: string;
  before(async () => {
    t = await startTestApp({ LOCKBOX_WEBHOOK_ALLOW_PRIVATE: "1" });
    w = await buildWorld(t);
    // Port 9 (discard) refuses: the delivery fails and retries; the outbox row is what we check.
    const hook = await t.request("POST", `/v1/tenants/${w.tenantA}/webhooks`, w.a.admin.as, { url: "http://127.0.0.1:9/hook" });
    assert.equal(hook.status, 201, JSON.stringify(hook.body));
    hookId = hook.body.id;
  });
  after(() => t.close());

  const incident = (over: Record<string, unknown> = {}) => fileRequest(w, { reasonType: "production_incident", ticket: undefined, requestedMinutes: 120, ...over });
  const bg = (id: string, as: { token: string } | null) => t.request("POST", `/v1/requests/${id}/break-glass`, as, {});
  const get = async (id: string) => (await t.request("GET", `/v1/requests/${id}`, w.a.admin.as)).body;

  /** The audit event of `operation` on a request, and the outbox rows written with it. */
  async function stepOf(requestId: string, operation: string) {
    const event = await t.app.deps.db
      .selectFrom("audit_events")
      .selectAll()
      .where("request_id", "=", requestId)
      .where("operation", "=", operation)
      .executeTakeFirstOrThrow();
    const outbox = await t.app.deps.db.selectFrom("outbox").select(["kind", "destination", "payload", "idempotency_key"]).execute();
    const mine = outbox.filter((o) => o.idempotency_key.includes(`:${event.id}:`));
    return {
      actor: JSON.parse(event.actor) as { type: string; id: string },
      details: JSON.parse(event.details) as Record<string, unknown>,
      mailsTo: mine.filter((o) => o.kind === "email").map((o) => o.destination).sort(),
      subjects: mine.filter((o) => o.kind === "email").map((o) => JSON.parse(o.payload).subject as string),
      webhooks: mine.filter((o) => o.kind === "webhook").map((o) => o.destination),
    };
  }

  test("the setting: off by default, the tenant's global admin alone turns it on, maxMinutes at most 60", async () => {
    const url = `/v1/tenants/${w.tenantA}/settings`;
    assert.deepEqual((await t.request("GET", url, w.a.admin.as)).body.breakGlass, { allowed: false, maxMinutes: 60 });
    assert.equal((await t.request("PATCH", url, w.providerAdmin.as, { breakGlass: { allowed: true, maxMinutes: 30 } })).status, 403);
    assert.equal((await t.request("PATCH", url, w.a.approver.as, { breakGlass: { allowed: true, maxMinutes: 30 } })).status, 403);
    for (const bad of [{ allowed: true, maxMinutes: 61 }, { allowed: true, maxMinutes: 0 }, { allowed: true }, { allowed: "yes", maxMinutes: 5 }]) {
      assert.equal((await t.request("PATCH", url, w.a.admin.as, { breakGlass: bad })).status, 400, JSON.stringify(bad));
    }
    const on = await t.request("PATCH", url, w.a.admin.as, { breakGlass: { allowed: true, maxMinutes: 30 } });
    assert.equal(on.status, 200);
    assert.deepEqual(on.body.breakGlass, { allowed: true, maxMinutes: 30 });
  });

  test("a manager asks, a provider admin confirms: granted at once for the tenant's maxMinutes; the customer told by mail and webhook", async () => {
    const id = await incident();
    const first = await bg(id, w.manager.as);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.body.status, "pending_manager", "one person is not enough");
    assert.equal(first.body.breakGlass.granted, false);
    assert.deepEqual(first.body.breakGlass.by.map((p: { id: string }) => p.id), [w.manager.user.id]);
    const asked = await stepOf(id, "request.break_glass_requested");
    assert.equal(asked.actor.id, w.manager.user.id);
    // The other provider people who can confirm are told; the customer not yet (nothing happened).
    assert.ok(asked.mailsTo.includes(w.manager2.user.email.toLowerCase()));
    assert.ok(asked.mailsTo.includes(w.providerAdmin.user.email.toLowerCase()));
    assert.ok(!asked.mailsTo.includes(w.a.approver.user.email.toLowerCase()));

    // The same person twice: 409, nothing changes.
    const twice = await bg(id, w.manager.as);
    assert.equal(twice.status, 409);
    assert.equal(twice.body.error.code, "already_decided");
    assert.equal((await get(id)).status, "pending_manager");

    const start = t.clock.now();
    const second = await bg(id, w.providerAdmin.as);
    assert.equal(second.status, 200, JSON.stringify(second.body));
    assert.equal(second.body.status, "approved");
    assert.equal(second.body.breakGlass.granted, true);
    assert.deepEqual(second.body.breakGlass.by.map((p: { id: string }) => p.id), [w.manager.user.id, w.providerAdmin.user.id]);
    assert.equal(second.body.breakGlass.review, null);
    assert.equal(second.body.grantedMinutes, 30, "capped at the tenant's breakGlass.maxMinutes");
    assert.equal(second.body.accessStartsAt, start.toISOString());
    assert.equal(second.body.accessEndsAt, new Date(start.getTime() + 30 * 60_000).toISOString());
    assert.equal(second.body.customerDecision, null, "nobody of the customer decided");

    const granted = await stepOf(id, "request.break_glass_granted");
    assert.equal(granted.actor.type, "user");
    assert.equal(granted.actor.id, w.providerAdmin.user.id);
    assert.deepEqual((granted.details.breakGlassBy as { id: string }[]).map((p) => p.id), [w.manager.user.id, w.providerAdmin.user.id]);
    for (const who of [w.a.admin, w.a.approver, w.a.approver2, w.engineer]) {
      assert.ok(granted.mailsTo.includes(who.user.email.toLowerCase()), `${who.user.name} is told`);
    }
    assert.ok(!granted.mailsTo.includes(w.a.auditor.user.email.toLowerCase()));
    assert.ok(!granted.mailsTo.some((m) => [w.b.admin, w.b.approver].some((b) => b.user.email.toLowerCase() === m)), "never another tenant");
    assert.ok(granted.subjects.every((s) => /break-glass/.test(s)));
    assert.deepEqual(granted.webhooks, [hookId]);

    // A third call finds it granted.
    assert.equal((await bg(id, w.manager2.as)).status, 409);
    assert.deepEqual(await operationsOf(t, id), ["request.created", "request.break_glass_requested", "request.break_glass_granted"]);
  });

  test("two managers also work, and from the customer stage too", async () => {
    const id = await incident();
    assert.equal((await t.request("POST", `/v1/requests/${id}/approve`, w.manager.as, {})).body.status, "pending_customer");
    assert.equal((await bg(id, w.manager2.as)).status, 200);
    const done = await bg(id, w.manager.as);
    assert.equal(done.body.status, "approved");
    assert.equal(done.body.breakGlass.granted, true);
  });

  test("refused: engineer, provider admin first, the requester, the customer, another tenant, a closed request", async () => {
    const id = await incident();
    const engineer = await bg(id, w.engineer2.as);
    assert.equal(engineer.status, 403);
    const adminFirst = await bg(id, w.providerAdmin.as);
    assert.equal(adminFirst.status, 403, "a manager breaks the glass first");
    assert.equal((await bg(id, w.a.admin.as)).status, 403, "the customer never breaks its own glass");
    assert.equal((await bg(id, w.b.admin.as)).status, 404);
    assert.equal((await bg(id, null)).status, 401);
    assert.equal((await get(id)).breakGlass, null, "nothing recorded");

    const byRequester = await t.request("POST", "/v1/requests", w.manager2.as, {
      tenantId: w.tenantA, reasonType: "production_incident", reason: "Outage", services: ["mail"], accessLevel: "read", requestedMinutes: 30,
    });
    assert.equal(byRequester.status, 201);
    const self = await bg(byRequester.body.id, w.manager2.as);
    assert.equal(self.status, 403);
    assert.equal(self.body.error.code, "self_approval");

    const late = await incident();
    t.clock.advanceMinutes(24 * 60);
    const expired = await bg(late, w.manager.as);
    assert.equal(expired.status, 409);
    assert.equal((await get(late)).breakGlass, null);
  });

  test("refused: a tenant that does not allow it (403), a reason other than production_incident (409)", async () => {
    const inB = await incident({ tenantId: w.tenantB });
    const disallowed = await bg(inB, w.manager.as);
    assert.equal(disallowed.status, 403);
    assert.equal(disallowed.body.error.code, "break_glass_not_allowed");
    assert.equal((await t.request("GET", `/v1/requests/${inB}`, w.b.admin.as)).body.breakGlass, null);

    const support = await fileRequest(w, { ticket: "CASE-BG-1" });
    const wrong = await bg(support, w.manager.as);
    assert.equal(wrong.status, 409);
    assert.equal(wrong.body.error.code, "production_incident_required");
    assert.equal((await get(support)).breakGlass, null);
    assert.deepEqual(await operationsOf(t, support), ["request.created"]);
  });

  test("the customer reviews: accepted or disputed (with a reason), once; the provider admin lists the disputed", async () => {
    const id = await incident();
    await bg(id, w.manager.as);
    await bg(id, w.manager2.as);
    const review = (as: { token: string } | null, body: unknown, rid = id) => t.request("POST", `/v1/requests/${rid}/review`, as, body);

    assert.equal((await review(w.manager.as, { verdict: "accepted" })).status, 403, "never the provider");
    assert.equal((await review(w.a.auditor.as, { verdict: "accepted" })).status, 403);
    assert.equal((await review(w.b.admin.as, { verdict: "accepted" })).status, 404);
    assert.equal((await review(w.a.approver.as, { verdict: "maybe" })).status, 400);
    const bare = await review(w.a.approver.as, { verdict: "disputed" });
    assert.equal(bare.status, 400, "a dispute says why");
    assert.equal((await get(id)).breakGlass.review, null);

    const disputed = await review(w.a.approver.as, { verdict: "disputed", comment: "No incident on our status page" });
    assert.equal(disputed.status, 200, JSON.stringify(disputed.body));
    assert.deepEqual(
      { ...disputed.body.breakGlass.review, at: undefined },
      { by: { id: w.a.approver.user.id, name: w.a.approver.user.name }, at: undefined, verdict: "disputed", comment: "No incident on our status page" },
    );
    assert.equal((await review(w.a.admin.as, { verdict: "accepted" })).status, 409, "reviewed once");

    const step = await stepOf(id, "request.reviewed");
    assert.equal(step.actor.id, w.a.approver.user.id);
    assert.equal(step.details.verdict, "disputed");
    assert.ok(step.mailsTo.includes(w.providerAdmin.user.email.toLowerCase()), "the provider admin hears of a dispute");
    assert.deepEqual(step.webhooks, [hookId]);

    const list = await t.request("GET", "/v1/break-glass/disputed", w.providerAdmin.as);
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.items.map((r: { id: string }) => r.id), [id]);
    for (const as of [w.manager.as, w.engineer.as, w.a.admin.as]) {
      assert.equal((await t.request("GET", "/v1/break-glass/disputed", as)).status, 403);
    }

    // A request that was not break-glass has nothing to review.
    const normal = await fileRequest(w, { ticket: "CASE-BG-2" });
    assert.equal((await review(w.a.approver.as, { verdict: "accepted" }, normal)).status, 409);

    // The review may come after the access ended by itself; the grant is not ended twice.
    const later = await incident();
    await bg(later, w.manager.as);
    await bg(later, w.providerAdmin.as);
    t.clock.advanceMinutes(31);
    assert.equal((await get(later)).status, "completed");
    await sweepRequests(t.app.deps); // records the end (one revocation) before the review
    const accepted = await review(w.a.admin.as, { verdict: "accepted" }, later);
    assert.equal(accepted.status, 200);
    assert.equal(accepted.body.breakGlass.review.verdict, "accepted");
    const revocations = await t.app.deps.db.selectFrom("revocations").select("request_id").where("request_id", "=", later).execute();
    assert.equal(revocations.length, 1, "a review is not an end of access");
    assert.deepEqual((await t.request("GET", "/v1/break-glass/disputed", w.providerAdmin.as)).body.items.map((r: { id: string }) => r.id), [id]);
  });

  test("CLI: lockbox requests break-glass, review and disputed", async () => {
    await t.app.server.listen({ port: 0, host: "127.0.0.1" });
    const server = `http://127.0.0.1:${(t.app.server.server.address() as AddressInfo).port}`;
    const id = await incident();
    const first = await lockbox(server, w.manager.token, ["requests", "break-glass", id]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /second, different manager/);
    const again = await lockbox(server, w.manager.token, ["requests", "break-glass", id]);
    assert.notEqual(again.code, 0);
    const second = await lockbox(server, w.manager2.token, ["requests", "break-glass", id, "--json"]);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(JSON.parse(second.stdout).status, "approved");
    const review = await lockbox(server, w.a.approver2.token, ["requests", "review", id, "--verdict", "disputed", "--comment", "Not agreed"]);
    assert.equal(review.code, 0, review.stderr);
    assert.match(review.stdout, /disputed/);
    const disputed = await lockbox(server, w.providerAdmin.token, ["requests", "disputed", "--json"]);
    assert.equal(disputed.code, 0, disputed.stderr);
    assert.ok(JSON.parse(disputed.stdout).items.some((r: { id: string }) => r.id === id));
  });

  test("every chain verifies", async () => {
    await verifyAllChains(t);
  });
});

/** Runs the real CLI as a subprocess against the app's port, as one person (LOCKBOX_TOKEN). */
function lockbox(server: string, token: string, args: string[]): Promise<CliRun> {
  return runLockbox(args, { env: { LOCKBOX_SERVER: server, LOCKBOX_TOKEN: token } });
}
