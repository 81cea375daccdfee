import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { requestFitsPolicy, type PolicyRules } from "../src/policies/approval-policy.js";
import { globMatch } from "../src/policies/glob-match.js";
import { operationsOf, verifyAllChains } from "./support/chains.js";
import { type CliRun, runLockbox } from "./support/cli.js";
import { startTestApp, type TestApp } from "./support/test-app.js";
import { buildWorld, fileRequest, type World } from "./support/world.js";

// Issue 16 / SPEC 17: the customer's auto-approval policies — versioned, audited with their full
// content, the customer's alone, and applied when the manager approves.

describe("the policy rule (pure)", () => {
  test("globs: * any run, ? one character, everything else itself; never a regular expression", () => {
    assert.equal(globMatch("INC-*", "INC-1234"), true);
    assert.equal(globMatch("INC-*", "CASE-1"), false);
    assert.equal(globMatch("INC-??", "INC-12"), true);
    assert.equal(globMatch("INC-??", "INC-123"), false);
    assert.equal(globMatch("*-7", "A-B-7"), true);
    assert.equal(globMatch("a.c", "abc"), false, "a dot is a dot");
    assert.equal(globMatch("(a+)+$", "aaaa"), false, "regex syntax is literal text");
    // The classic catastrophic case for a backtracking matcher stays instant (bounded steps).
    assert.equal(globMatch("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", "a".repeat(64)), false);
  });

  const base: PolicyRules = {
    name: "p",
    services: ["mail", "files"],
    accessLevel: "read",
    maxMinutes: 60,
    reasonTypes: null,
    ticketPattern: null,
    hoursUtc: null,
  };
  const facts = {
    services: ["mail"],
    accessLevel: "read" as const,
    minutes: 30,
    reasonType: "customer_initiated_support",
    ticket: "INC-1",
    at: new Date("2026-03-01T10:30:00.000Z"),
  };
  test("every condition must hold", () => {
    assert.equal(requestFitsPolicy(base, facts), true);
    assert.equal(requestFitsPolicy(base, { ...facts, services: ["mail", "chat"] }), false, "a service outside the policy");
    assert.equal(requestFitsPolicy(base, { ...facts, accessLevel: "write" }), false, "write under a read policy");
    assert.equal(requestFitsPolicy({ ...base, accessLevel: "write" }, facts), true, "write covers read");
    assert.equal(requestFitsPolicy(base, { ...facts, minutes: 61 }), false);
    assert.equal(requestFitsPolicy({ ...base, reasonTypes: ["legal_request"] }, facts), false);
    assert.equal(requestFitsPolicy({ ...base, reasonTypes: ["customer_initiated_support"] }, facts), true);
    assert.equal(requestFitsPolicy({ ...base, ticketPattern: "CASE-*" }, facts), false);
    assert.equal(requestFitsPolicy({ ...base, hoursUtc: { from: 9, to: 17 } }, facts), true);
    assert.equal(requestFitsPolicy({ ...base, hoursUtc: { from: 11, to: 17 } }, facts), false);
    assert.equal(requestFitsPolicy({ ...base, hoursUtc: { from: 22, to: 11 } }, facts), true, "wraps past midnight");
    assert.equal(requestFitsPolicy({ ...base, hoursUtc: { from: 22, to: 6 } }, facts), false);
  });
});

describe("policies over HTTP", () => {
  let t: TestApp;
  let w: World;
  before(async () => {
    t = await startTestApp({ LOCKBOX_WEBHOOK_ALLOW_PRIVATE: "1" });
    w = await buildWorld(t);
  });
  after(() => t.close());

  const url = () => `/v1/tenants/${w.tenantA}/policies`;
  const body = (over: Record<string, unknown> = {}) => ({
    name: "Routine mail reads",
    services: ["mail"],
    accessLevel: "read",
    maxMinutes: 60,
    ...over,
  });

  test("the global admin creates, lists, changes (a new version) and deletes; each change audited with its content", async () => {
    const created = await t.request("POST", url(), w.a.admin.as, body({ ticketPattern: "INC-*", hoursUtc: { from: 8, to: 18 } }));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.version, 1);
    assert.deepEqual(created.body.hoursUtc, { from: 8, to: 18 });
    assert.equal(created.body.createdBy.id, w.a.admin.user.id);
    const id = created.body.id as string;

    const changed = await t.request("PUT", `${url()}/${id}`, w.a.admin.as, body({ maxMinutes: 30 }));
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    assert.equal(changed.body.version, 2);
    assert.equal(changed.body.ticketPattern, null);
    const list = await t.request("GET", url(), w.a.approver.as);
    assert.equal(list.status, 200);
    assert.deepEqual(
      list.body.items.map((p: { id: string; version: number; maxMinutes: number }) => [p.id, p.version, p.maxMinutes]),
      [[id, 2, 30]],
    );
    // Both versions are kept: the one an auto-approval names stays readable.
    const versions = await t.app.deps.db.selectFrom("approval_policies").select(["version", "superseded_at"]).where("id", "=", id).orderBy("version").execute();
    assert.equal(versions.length, 2);
    assert.notEqual(versions[0]!.superseded_at, null);

    assert.equal((await t.request("DELETE", `${url()}/${id}`, w.a.admin.as)).status, 204);
    assert.equal((await t.request("GET", url(), w.a.admin.as)).body.items.length, 0);
    assert.equal((await t.request("DELETE", `${url()}/${id}`, w.a.admin.as)).status, 404);

    const events = (await t.app.deps.db.selectFrom("audit_events").selectAll().where("operation", "like", "approval_policy.%").orderBy("pos").execute()).filter(
      (e) => JSON.parse(e.target).id === id,
    );
    assert.deepEqual(events.map((e) => e.operation), ["approval_policy.created", "approval_policy.updated", "approval_policy.deleted"]);
    const first = JSON.parse(events[0]!.details);
    assert.deepEqual(
      { name: first.name, services: first.services, accessLevel: first.accessLevel, maxMinutes: first.maxMinutes, ticketPattern: first.ticketPattern, hoursUtc: first.hoursUtc, version: first.version },
      { name: "Routine mail reads", services: ["mail"], accessLevel: "read", maxMinutes: 60, ticketPattern: "INC-*", hoursUtc: { from: 8, to: 18 }, version: 1 },
    );
    assert.equal(JSON.parse(events[1]!.details).maxMinutes, 30);
    for (const e of events) {
      assert.equal(e.chain, `tenant:${w.tenantA}`);
      assert.equal(JSON.parse(e.actor).id, w.a.admin.user.id, "the real person");
    }
  });

  test("permissions: the customer's global admin alone manages; the provider never sees them; another tenant gets 404", async () => {
    const created = await t.request("POST", url(), w.a.admin.as, body({ name: "Matrix" }));
    const id = created.body.id as string;
    for (const [who, as] of [
      ["provider admin", w.providerAdmin.as],
      ["manager", w.manager.as],
      ["engineer", w.engineer.as],
    ] as const) {
      assert.equal((await t.request("POST", url(), as, body())).status, 403, who);
      assert.equal((await t.request("GET", url(), as)).status, 403, who);
      assert.equal((await t.request("PUT", `${url()}/${id}`, as, body())).status, 403, who);
      assert.equal((await t.request("DELETE", `${url()}/${id}`, as)).status, 403, who);
      assert.equal((await t.request("POST", `${url()}/dry-run`, as, body())).status, 403, who);
    }
    for (const [who, as] of [
      ["approver", w.a.approver.as],
      ["auditor", w.a.auditor.as],
    ] as const) {
      assert.equal((await t.request("POST", url(), as, body())).status, 403, who);
      assert.equal((await t.request("DELETE", `${url()}/${id}`, as)).status, 403, who);
      assert.equal((await t.request("GET", url(), as)).status, 200, `${who} reads them`);
    }
    assert.equal((await t.request("GET", url(), w.b.admin.as)).status, 404);
    assert.equal((await t.request("POST", url(), w.b.admin.as, body())).status, 404);
    // B's admin cannot reach A's policy through B's own tenant either.
    assert.equal((await t.request("DELETE", `/v1/tenants/${w.tenantB}/policies/${id}`, w.b.admin.as)).status, 404);
    assert.equal((await t.request("GET", url(), null)).status, 401);
    assert.equal((await t.request("GET", url(), w.a.admin.as)).body.items.length, 1, "nothing changed");
    assert.equal((await t.request("DELETE", `${url()}/${id}`, w.a.admin.as)).status, 204);
  });

  test("bad input: broader than the tenant's maxAccessMinutes, unknown services, unsafe patterns, bad hours — 400, nothing stored", async () => {
    const settings = await t.request("GET", `/v1/tenants/${w.tenantA}/settings`, w.a.admin.as);
    const cap = settings.body.maxAccessMinutes as number;
    const broad = await t.request("POST", url(), w.a.admin.as, body({ maxMinutes: cap + 1 }));
    assert.equal(broad.status, 400);
    assert.equal(broad.body.error.details[0].field, "maxMinutes");
    assert.match(broad.body.error.message, /maxAccessMinutes/);
    const unknown = await t.request("POST", url(), w.a.admin.as, body({ services: ["mail", "nope"] }));
    assert.equal(unknown.status, 400);
    assert.match(unknown.body.error.message, /nope/);
    for (const bad of [
      { ticketPattern: "x".repeat(65) },
      { ticketPattern: "INC 1" },
      { ticketPattern: "" },
      { hoursUtc: { from: 8, to: 8 } },
      { hoursUtc: { from: 24, to: 2 } },
      { reasonTypes: ["because"] },
      { accessLevel: "admin" },
      { services: [] },
      { name: "" },
      { maxMinutes: 0 },
      { extra: true },
    ]) {
      const res = await t.request("POST", url(), w.a.admin.as, body(bad));
      assert.equal(res.status, 400, JSON.stringify(bad));
    }
    // An update broader than the cap is refused too, and leaves the version as it was.
    const ok = await t.request("POST", url(), w.a.admin.as, body({ name: "Cap" }));
    assert.equal((await t.request("PUT", `${url()}/${ok.body.id}`, w.a.admin.as, body({ maxMinutes: cap + 5 }))).status, 400);
    const list = await t.request("GET", url(), w.a.admin.as);
    assert.deepEqual(list.body.items.map((p: { name: string; version: number }) => [p.name, p.version]), [["Cap", 1]]);
    assert.equal((await t.request("DELETE", `${url()}/${ok.body.id}`, w.a.admin.as)).status, 204);
  });

  test("dry-run: which of the last 100 requests the policy would have approved; writes nothing", async () => {
    const mailRead = await fileRequest(w, { ticket: "DRY-1", requestedMinutes: 30 });
    const tooLong = await fileRequest(w, { ticket: "DRY-2", requestedMinutes: 120 });
    const write = await fileRequest(w, { ticket: "DRY-3", accessLevel: "write", requestedMinutes: 30 });
    const files = await fileRequest(w, { ticket: "DRY-4", services: ["files"], requestedMinutes: 30 });
    const other = await fileRequest(w, { tenantId: w.tenantB, ticket: "DRY-5", requestedMinutes: 30 });
    const before = await t.app.deps.db.selectFrom("audit_events").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
    const res = await t.request("POST", `${url()}/dry-run`, w.a.admin.as, body({ maxMinutes: 60, ticketPattern: "DRY-*" }));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const ids = res.body.matched.map((m: { id: string }) => m.id);
    assert.deepEqual(ids, [mailRead]);
    assert.equal(res.body.matched[0].ticket, "DRY-1");
    for (const id of [tooLong, write, files, other]) assert.ok(!ids.includes(id));
    assert.ok(res.body.considered >= 4 && res.body.considered <= 100);
    const wider = await t.request("POST", `${url()}/dry-run`, w.a.admin.as, body({ services: ["mail", "files"], accessLevel: "write", maxMinutes: 120, ticketPattern: "DRY-?" }));
    assert.deepEqual(new Set(wider.body.matched.map((m: { id: string }) => m.id)), new Set([mailRead, tooLong, write, files]));
    const afterCount = await t.app.deps.db.selectFrom("audit_events").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
    assert.equal(Number(afterCount.n), Number(before.n), "a dry-run is not a change");
    assert.equal((await t.request("GET", url(), w.a.admin.as)).body.items.length, 0);
    assert.equal((await t.request("POST", `${url()}/dry-run`, w.a.admin.as, body({ maxMinutes: 100_000 }))).status, 400);
  });

  /** The audit event of `operation` on a request, and the outbox rows written with it. */
  async function stepOf(requestId: string, operation: string) {
    const event = await t.app.deps.db
      .selectFrom("audit_events")
      .selectAll()
      .where("request_id", "=", requestId)
      .where("operation", "=", operation)
      .executeTakeFirstOrThrow();
    const outbox = await t.app.deps.db.selectFrom("outbox").select(["kind", "destination", "idempotency_key"]).execute();
    const mine = outbox.filter((o) => o.idempotency_key.includes(`:${event.id}:`));
    return {
      actor: JSON.parse(event.actor) as { type: string; id: string; name: string },
      details: JSON.parse(event.details) as Record<string, unknown>,
      mailsTo: mine.filter((o) => o.kind === "email").map((o) => o.destination),
      webhooks: mine.filter((o) => o.kind === "webhook").map((o) => o.destination),
    };
  }
  const approveAsManager = (id: string, extra: Record<string, unknown> = {}) => t.request("POST", `/v1/requests/${id}/approve`, w.manager.as, extra);

  test("a request the manager approves that fits an active policy is approved at once by the policy; approvers are still told", async () => {
    const hook = await t.request("POST", `/v1/tenants/${w.tenantA}/webhooks`, w.a.admin.as, { url: "http://127.0.0.1:9/hook" });
    assert.equal(hook.status, 201, JSON.stringify(hook.body));
    const policy = (await t.request("POST", url(), w.a.admin.as, body({ name: "Auto", ticketPattern: "AUTO-*", maxMinutes: 60 }))).body;

    const id = await fileRequest(w, { ticket: "AUTO-1", requestedMinutes: 60 });
    // A policy never acts before the provider's own manager approved.
    assert.equal((await t.request("GET", `/v1/requests/${id}`, w.a.admin.as)).body.status, "pending_manager");
    const start = t.clock.now();
    const approved = await approveAsManager(id);
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    assert.equal(approved.body.status, "approved");
    assert.deepEqual(approved.body.autoApprovedBy, { policyId: policy.id, version: 1, name: "Auto" });
    assert.equal(approved.body.accessEndsAt, new Date(start.getTime() + 60 * 60_000).toISOString());
    assert.deepEqual(approved.body.approvals, [], "no person of the customer approved");
    assert.deepEqual(await operationsOf(t, id), ["request.created", "request.manager_approved", "request.auto_approved"]);

    const step = await stepOf(id, "request.auto_approved");
    assert.equal(step.actor.type, "system", "the actor is the policy, not a person");
    assert.equal(step.actor.id, `policy:${policy.id}`);
    assert.match(step.actor.name, /Auto/);
    assert.equal(step.details.policyId, policy.id);
    assert.equal(step.details.policyVersion, 1);
    for (const who of [w.a.admin, w.a.approver, w.a.approver2, w.engineer]) {
      assert.ok(step.mailsTo.includes(who.user.email.toLowerCase()), `${who.user.name} is told`);
    }
    assert.ok(!step.mailsTo.includes(w.a.auditor.user.email.toLowerCase()));
    assert.deepEqual(step.webhooks, [hook.body.id]);

    // Not covered: another ticket, a write, more minutes than the policy — the customer decides as usual.
    for (const over of [{ ticket: "CASE-9" }, { ticket: "AUTO-2", accessLevel: "write" }, { ticket: "AUTO-3", requestedMinutes: 61 }]) {
      const other = await fileRequest(w, over);
      const res = await approveAsManager(other);
      assert.equal(res.body.status, "pending_customer", JSON.stringify(over));
      assert.equal(res.body.autoApprovedBy, null);
    }
    // The manager's shorter grant is what the policy judges.
    const long = await fileRequest(w, { ticket: "AUTO-4", requestedMinutes: 120 });
    const shortened = await approveAsManager(long, { grantedMinutes: 45 });
    assert.equal(shortened.body.status, "approved");
    assert.equal(shortened.body.grantedMinutes, 45);

    // A new version applies from now on and is the one named; a deleted policy approves nothing.
    await t.request("PUT", `${url()}/${policy.id}`, w.a.admin.as, body({ name: "Auto", ticketPattern: "AUTO-*", maxMinutes: 30 }));
    const v2 = await fileRequest(w, { ticket: "AUTO-5", requestedMinutes: 30 });
    assert.deepEqual((await approveAsManager(v2)).body.autoApprovedBy, { policyId: policy.id, version: 2, name: "Auto" });
    assert.equal((await stepOf(v2, "request.auto_approved")).details.policyVersion, 2);
    const tooLongNow = await fileRequest(w, { ticket: "AUTO-6", requestedMinutes: 60 });
    assert.equal((await approveAsManager(tooLongNow)).body.status, "pending_customer");
    assert.equal((await t.request("DELETE", `${url()}/${policy.id}`, w.a.admin.as)).status, 204);
    const afterDelete = await fileRequest(w, { ticket: "AUTO-7", requestedMinutes: 30 });
    assert.equal((await approveAsManager(afterDelete)).body.status, "pending_customer");
  });

  test("reasonTypes: a policy for legal requests approves those only", async () => {
    const policy = await t.request("POST", url(), w.a.admin.as, body({ name: "Legal", reasonTypes: ["legal_request"] }));
    assert.equal(policy.status, 201);
    const legal = await fileRequest(w, { reasonType: "legal_request", ticket: "LEGAL-1", requestedMinutes: 30 });
    assert.equal((await approveAsManager(legal)).body.status, "approved");
    const support = await fileRequest(w, { ticket: "CASE-L", requestedMinutes: 30 });
    assert.equal((await approveAsManager(support)).body.status, "pending_customer");
    // Another tenant's requests never meet A's policies.
    const inB = await fileRequest(w, { tenantId: w.tenantB, reasonType: "legal_request", ticket: "LEGAL-2", requestedMinutes: 30 });
    const b = await approveAsManager(inB);
    assert.equal(b.body.autoApprovedBy, null, "B has lockbox off: the manager alone grants, no policy involved");
    assert.equal((await t.request("DELETE", `${url()}/${policy.body.id}`, w.a.admin.as)).status, 204);
  });

  test("a tenant that requires signed approvals is never approved by a policy: a person signs", async () => {
    const policy = await t.request("POST", url(), w.a.admin.as, body({ name: "Signed tenant" }));
    await t.app.deps.db.updateTable("tenants").set({ require_signed_approvals: 1 }).where("id", "=", w.tenantA).execute();
    try {
      const id = await fileRequest(w, { ticket: "SIGNED-1", requestedMinutes: 30 });
      const res = await approveAsManager(id);
      assert.equal(res.body.status, "pending_customer");
      assert.equal(res.body.autoApprovedBy, null);
    } finally {
      await t.app.deps.db.updateTable("tenants").set({ require_signed_approvals: 0 }).where("id", "=", w.tenantA).execute();
      await t.request("DELETE", `${url()}/${policy.body.id}`, w.a.admin.as);
    }
  });

  test("step-up: with requireMfaForDecisions on, a policy change needs a second factor first", async () => {
    await t.app.deps.db.updateTable("tenants").set({ require_mfa_for_decisions: 1 }).where("id", "=", w.tenantA).execute();
    try {
      const res = await t.request("POST", url(), w.a.admin.as, body({ name: "Unverified" }));
      assert.ok([401, 403].includes(res.status), String(res.status));
      assert.match(res.body.error.code, /step_up_required|mfa_enrollment_required/);
      assert.equal((await t.request("GET", url(), w.a.admin.as)).body.items.length, 0, "nothing stored");
    } finally {
      await t.app.deps.db.updateTable("tenants").set({ require_mfa_for_decisions: 0 }).where("id", "=", w.tenantA).execute();
    }
  });

  test("CLI: lockbox policies create, list, dry-run and delete", async () => {
    await t.app.server.listen({ port: 0, host: "127.0.0.1" });
    const server = `http://127.0.0.1:${(t.app.server.server.address() as AddressInfo).port}`;
    const run = (args: string[]) => lockbox(server, w.a.admin.token, args);
    const created = await run(["policies", "create", "--name", "From the CLI", "--services", "mail", "--access", "read", "--max-minutes", "30", "--ticket-pattern", "CLI-*", "--hours", "0-24", "--json"]);
    assert.equal(created.code, 0, created.stderr);
    const policy = JSON.parse(created.stdout);
    assert.equal(policy.ticketPattern, "CLI-*");
    assert.deepEqual(policy.hoursUtc, { from: 0, to: 24 });
    const listed = await run(["policies", "list"]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /From the CLI/);
    const broad = await run(["policies", "create", "--name", "Too broad", "--services", "mail", "--access", "read", "--max-minutes", "1440"]);
    assert.notEqual(broad.code, 0);
    assert.match(broad.stderr, /maxAccessMinutes/);
    const id = await fileRequest(w, { ticket: "CLI-1", requestedMinutes: 30 });
    const dry = await run(["policies", "dry-run", "--name", "try", "--services", "mail", "--access", "read", "--max-minutes", "30", "--ticket-pattern", "CLI-*", "--json"]);
    assert.equal(dry.code, 0, dry.stderr);
    assert.deepEqual(JSON.parse(dry.stdout).matched.map((m: { id: string }) => m.id), [id]);
    const deleted = await run(["policies", "delete", policy.id]);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.equal((await t.request("GET", url(), w.a.admin.as)).body.items.length, 0);
    // The provider is refused by the server, not just hidden by the CLI.
    const provider = await lockbox(server, w.providerAdmin.token, ["policies", "list", "--tenant", w.tenantA]);
    assert.notEqual(provider.code, 0);
  });

  test("every chain verifies", async () => {
    await verifyAllChains(t);
  });
});

/** Runs the real CLI as a subprocess against the app's port, as one person (LOCKBOX_TOKEN). */
function lockbox(server: string, token: string, args: string[]): Promise<CliRun> {
  return runLockbox(args, { env: { LOCKBOX_SERVER: server, LOCKBOX_TOKEN: token } });
}
