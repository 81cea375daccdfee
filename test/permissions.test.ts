import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { tenantChain } from "../src/audit/audit-event.js";
import { startTestApp, type TestApp } from "./support/test-app.js";
import { type Actor, buildWorld, fileRequest, type World } from "./support/world.js";

/**
 * The permission matrix: every route × every role × another tenant. Each cell is the status the
 * actor must get. Routes acting on a request get a fresh request in the right state per cell, so
 * one actor's success never decides the next actor's answer.
 */
let t: TestApp;
let w: World;
before(async () => {
  t = await startTestApp();
  w = await buildWorld(t);
});
after(() => t.close());

type ActorName = "anon" | "engineer" | "engineer2" | "manager" | "providerAdmin" | "aAdmin" | "aApprover" | "aAuditor" | "bAdmin";
const actorNames: ActorName[] = ["anon", "engineer", "engineer2", "manager", "providerAdmin", "aAdmin", "aApprover", "aAuditor", "bAdmin"];
const actorOf = (name: ActorName): Actor | null =>
  ({
    anon: null,
    engineer: w.engineer,
    engineer2: w.engineer2,
    manager: w.manager,
    providerAdmin: w.providerAdmin,
    aAdmin: w.a.admin,
    aApprover: w.a.approver,
    aAuditor: w.a.auditor,
    bAdmin: w.b.admin,
  })[name];

type State = "pending_manager" | "pending_customer" | "approved";
async function requestIn(state: State): Promise<string> {
  const id = await fileRequest(w);
  if (state === "pending_manager") return id;
  await t.request("POST", `/v1/requests/${id}/approve`, w.manager.as, {});
  if (state === "approved") await t.request("POST", `/v1/requests/${id}/approve`, w.a.approver.as, {});
  return id;
}

interface Cell {
  method: string;
  path: (id: string) => string;
  body?: () => unknown;
  state?: State;
  expect: Record<ActorName, number>;
}

let n = 0;
const uniq = () => `${++n}-${Date.now()}`;
// Shorthands for common rows.
const all = (status: number): Record<ActorName, number> =>
  Object.fromEntries(actorNames.map((a) => [a, a === "anon" ? 401 : status])) as Record<ActorName, number>;
const only = (allowed: Partial<Record<ActorName, number>>, others = 403) => ({ ...all(others), ...allowed });

const matrix: Record<string, Cell> = {
  "GET /v1/me": { method: "GET", path: () => "/v1/me", expect: all(200) },
  "POST /v1/tokens": { method: "POST", path: () => "/v1/tokens", body: () => ({ name: "matrix" }), expect: all(201) },
  "GET /v1/tokens": { method: "GET", path: () => "/v1/tokens", expect: all(200) },
  "POST /v1/tenants": {
    method: "POST",
    path: () => "/v1/tenants",
    body: () => ({ name: `T${uniq()}`, adminEmail: `a${uniq()}@t.test` }),
    expect: only({ providerAdmin: 201 }),
  },
  "GET /v1/tenants": { method: "GET", path: () => "/v1/tenants", expect: all(200) },
  "GET /v1/tenants/{A}": {
    method: "GET",
    path: () => `/v1/tenants/${w.tenantA}`,
    expect: only({ bAdmin: 404 }, 200),
  },
  "GET /v1/tenants/{A}/settings": {
    method: "GET",
    path: () => `/v1/tenants/${w.tenantA}/settings`,
    expect: only({ bAdmin: 404 }, 200),
  },
  "PATCH /v1/tenants/{A}/settings": {
    method: "PATCH",
    path: () => `/v1/tenants/${w.tenantA}/settings`,
    body: () => ({ notificationEmails: ["sec@alpha.test"] }),
    expect: only({ aAdmin: 200, bAdmin: 404 }),
  },
  "POST /v1/users": {
    method: "POST",
    path: () => "/v1/users",
    body: () => ({ email: `u${uniq()}@x.test`, name: "New", roles: ["auditor"] }),
    // provider_admin: tenant roles for provider staff are invalid input (400); aAdmin, bAdmin: own tenant.
    expect: only({ providerAdmin: 400, aAdmin: 201, bAdmin: 201 }),
  },
  "POST /v1/users (into tenant A)": {
    method: "POST",
    path: () => "/v1/users",
    body: () => ({ email: `u${uniq()}@x.test`, name: "New", roles: ["auditor"], tenantId: w.tenantA }),
    expect: only({ aAdmin: 201, bAdmin: 404 }),
  },
  "GET /v1/users": { method: "GET", path: () => "/v1/users", expect: only({ providerAdmin: 200, aAdmin: 200, bAdmin: 200 }) },
  "PATCH /v1/users/{A approver2}": {
    method: "PATCH",
    path: () => `/v1/users/${w.a.approver2.user.id}`,
    body: () => ({ roles: ["lockbox_approver"] }),
    expect: only({ aAdmin: 200, bAdmin: 404 }),
  },
  "GET /v1/services": { method: "GET", path: () => "/v1/services", expect: all(200) },
  "POST /v1/services": {
    method: "POST",
    path: () => "/v1/services",
    body: () => ({ key: `s${n++}x`, name: "S", description: "d" }),
    expect: only({ providerAdmin: 201 }),
  },
  "POST /v1/requests": {
    method: "POST",
    path: () => "/v1/requests",
    body: () => ({ tenantId: w.tenantA, ticket: "M-1", reason: "r", services: ["mail"], accessLevel: "read", requestedMinutes: 10 }),
    expect: only({ engineer: 201, engineer2: 201 }),
  },
  "GET /v1/requests": { method: "GET", path: () => "/v1/requests", expect: all(200) },
  "GET /v1/requests/{id}": {
    method: "GET",
    path: (id) => `/v1/requests/${id}`,
    state: "pending_manager",
    expect: only({ bAdmin: 404 }, 200),
  },
  "approve at pending_manager": {
    method: "POST",
    path: (id) => `/v1/requests/${id}/approve`,
    state: "pending_manager",
    // The engineer is the requester (403); tenant approvers are at the wrong stage (409).
    expect: only({ manager: 200, aAdmin: 409, aApprover: 409, bAdmin: 404 }),
  },
  "approve at pending_customer": {
    method: "POST",
    path: (id) => `/v1/requests/${id}/approve`,
    state: "pending_customer",
    expect: only({ manager: 409, aAdmin: 200, aApprover: 200, bAdmin: 404 }),
  },
  "deny at pending_manager": {
    method: "POST",
    path: (id) => `/v1/requests/${id}/deny`,
    state: "pending_manager",
    expect: only({ manager: 200, aAdmin: 409, aApprover: 409, bAdmin: 404 }),
  },
  "deny at pending_customer": {
    method: "POST",
    path: (id) => `/v1/requests/${id}/deny`,
    state: "pending_customer",
    expect: only({ manager: 409, aAdmin: 200, aApprover: 200, bAdmin: 404 }),
  },
  "cancel at pending_manager": {
    method: "POST",
    path: (id) => `/v1/requests/${id}/cancel`,
    state: "pending_manager",
    expect: only({ engineer: 200, manager: 200, bAdmin: 404 }),
  },
  "revoke at approved": {
    method: "POST",
    path: (id) => `/v1/requests/${id}/revoke`,
    state: "approved",
    expect: only({ manager: 200, providerAdmin: 200, aAdmin: 200, aApprover: 200, bAdmin: 404 }),
  },
  "complete at approved": {
    method: "POST",
    path: (id) => `/v1/requests/${id}/complete`,
    state: "approved",
    expect: only({ engineer: 200, bAdmin: 404 }),
  },
  "GET /v1/audit": {
    method: "GET",
    path: () => `/v1/audit`,
    expect: only({ providerAdmin: 200, aAdmin: 200, aAuditor: 200, bAdmin: 200 }),
  },
  "GET /v1/audit?chain=tenant A": {
    method: "GET",
    path: () => `/v1/audit?chain=${encodeURIComponent(tenantChain(w.tenantA))}`,
    expect: only({ providerAdmin: 200, aAdmin: 200, aAuditor: 200, bAdmin: 404 }),
  },
  "GET /v1/audit/export?chain=tenant A": {
    method: "GET",
    path: () => `/v1/audit/export?chain=${encodeURIComponent(tenantChain(w.tenantA))}`,
    expect: only({ providerAdmin: 200, aAdmin: 200, aAuditor: 200, bAdmin: 404 }),
  },
};

describe("permission matrix", () => {
  for (const [route, cell] of Object.entries(matrix)) {
    test(route, async () => {
      const got: Record<string, number> = {};
      for (const name of actorNames) {
        const id = cell.state ? await requestIn(cell.state) : "";
        const actor = actorOf(name);
        const res = await t.request(cell.method, cell.path(id), actor ? actor.as : null, cell.body?.());
        got[name] = res.status;
        if (res.status >= 400) assert.ok(res.body.error?.code, `${route} as ${name}: error envelope`);
      }
      assert.deepEqual(got, cell.expect);
    });
  }

  test("a tenant user listing tenants or requests sees only its own tenant", async () => {
    const tenants = await t.request("GET", "/v1/tenants", w.b.auditor.as);
    assert.deepEqual(
      tenants.body.items.map((x: { id: string }) => x.id),
      [w.tenantB],
    );
    const requests = await t.request("GET", `/v1/requests?tenantId=${w.tenantA}`, w.b.auditor.as);
    assert.equal(requests.body.items.length, 0);
  });

  test("a tenant's audit search defaults to, and only ever shows, its own chain", async () => {
    const res = await t.request("GET", "/v1/audit?limit=200", w.a.auditor.as);
    assert.ok(res.body.items.length > 0);
    assert.ok(res.body.items.every((e: { chain: string }) => e.chain === tenantChain(w.tenantA)));
  });
});
