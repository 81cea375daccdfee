import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { tenantChain } from "../src/audit/audit-event.js";
import { startTestApp, type TestApp } from "./support/test-app.js";
import { buildWorld, fileRequest, type World } from "./support/world.js";

/**
 * Bad input on every route: answered with 400 (413 for a body too big, 415 for a body that is not
 * JSON) in the one error envelope naming the field, never a 500, and nothing in the database
 * changes.
 */
let t: TestApp;
let w: World;
let pendingManager: string;
let pendingCustomer: string;
before(async () => {
  t = await startTestApp();
  w = await buildWorld(t);
  pendingManager = await fileRequest(w);
  pendingCustomer = await fileRequest(w);
  await t.request("POST", `/v1/requests/${pendingCustomer}/approve`, w.manager.as, {});
});
after(() => t.close());

async function snapshot() {
  const db = t.app.deps.db;
  const count = async (table: "tenants" | "users" | "api_tokens" | "services" | "access_requests" | "request_approvals" | "audit_events" | "invitations" | "sessions") =>
    Number((await db.selectFrom(table).select(db.fn.countAll().as("n")).executeTakeFirstOrThrow()).n);
  const requests = await db.selectFrom("access_requests").selectAll().orderBy("id").execute();
  const tenants = await db.selectFrom("tenants").selectAll().orderBy("id").execute();
  const users = await db.selectFrom("users").selectAll().orderBy("id").execute();
  return {
    counts: Object.fromEntries(
      await Promise.all(
        (["tenants", "users", "api_tokens", "services", "access_requests", "request_approvals", "audit_events", "invitations", "sessions"] as const).map(
          async (tb) => [tb, await count(tb)],
        ),
      ),
    ),
    requests,
    tenants,
    users,
  };
}

const long = (n: number) => "x".repeat(n);

interface Case {
  name: string;
  method: string;
  url: () => string;
  as?: () => { token: string } | null;
  /** A value, or a function for bodies that need the world built first. */
  body?: unknown;
  headers?: Record<string, string>;
  status: number;
  field?: string;
}

const cases: Case[] = [
  { name: "login without password", method: "POST", url: () => "/v1/auth/login", as: () => null, body: { email: "a@b.test" }, status: 400, field: "password" },
  { name: "login with a bad email", method: "POST", url: () => "/v1/auth/login", as: () => null, body: { email: "nope", password: "x" }, status: 400, field: "email" },
  { name: "login with a 300-char password", method: "POST", url: () => "/v1/auth/login", as: () => null, body: { email: "a@b.test", password: long(300) }, status: 400, field: "password" },
  { name: "login with an extra field", method: "POST", url: () => "/v1/auth/login", as: () => null, body: { email: "a@b.test", password: "x", admin: true }, status: 400 },
  { name: "token with empty name", method: "POST", url: () => "/v1/tokens", body: { name: "" }, status: 400, field: "name" },
  { name: "token with a fractional expiry", method: "POST", url: () => "/v1/tokens", body: { name: "a", expiresInDays: 1.5 }, status: 400, field: "expiresInDays" },
  { name: "token with expiry 0", method: "POST", url: () => "/v1/tokens", body: { name: "a", expiresInDays: 0 }, status: 400, field: "expiresInDays" },
  { name: "delete token with a 65-char id", method: "DELETE", url: () => `/v1/tokens/${long(65)}`, status: 400, field: "id" },
  { name: "tenant with empty name", method: "POST", url: () => "/v1/tenants", body: { name: "", adminEmail: "a@b.test" }, status: 400, field: "name" },
  { name: "tenant with a bad admin email", method: "POST", url: () => "/v1/tenants", body: { name: "X", adminEmail: "b" }, status: 400, field: "adminEmail" },
  { name: "tenant with a 201-char name", method: "POST", url: () => "/v1/tenants", body: { name: long(201), adminEmail: "a@b.test" }, status: 400, field: "name" },
  { name: "settings: approval window under 15", method: "PATCH", url: () => `/v1/tenants/${w.tenantA}/settings`, as: () => w.a.admin.as, body: { approvalWindowMinutes: 10 }, status: 400, field: "approvalWindowMinutes" },
  { name: "settings: approval window over the cap", method: "PATCH", url: () => `/v1/tenants/${w.tenantA}/settings`, as: () => w.a.admin.as, body: { approvalWindowMinutes: 721 }, status: 400, field: "approvalWindowMinutes" },
  { name: "settings: access over the cap", method: "PATCH", url: () => `/v1/tenants/${w.tenantA}/settings`, as: () => w.a.admin.as, body: { maxAccessMinutes: 241 }, status: 400, field: "maxAccessMinutes" },
  { name: "settings: six approvals", method: "PATCH", url: () => `/v1/tenants/${w.tenantA}/settings`, as: () => w.a.admin.as, body: { requiredApprovals: 6 }, status: 400, field: "requiredApprovals" },
  { name: "settings: unknown service", method: "PATCH", url: () => `/v1/tenants/${w.tenantA}/settings`, as: () => w.a.admin.as, body: { protectedServices: ["mail", "nope"] }, status: 400, field: "protectedServices" },
  { name: "settings: 21 notification emails", method: "PATCH", url: () => `/v1/tenants/${w.tenantA}/settings`, as: () => w.a.admin.as, body: { notificationEmails: Array.from({ length: 21 }, (_, i) => `n${i}@a.test`) }, status: 400, field: "notificationEmails" },
  { name: "settings: a bad notification email", method: "PATCH", url: () => `/v1/tenants/${w.tenantA}/settings`, as: () => w.a.admin.as, body: { notificationEmails: ["bad"] }, status: 400, field: "notificationEmails.0" },
  { name: "settings: a string for a boolean", method: "PATCH", url: () => `/v1/tenants/${w.tenantA}/settings`, as: () => w.a.admin.as, body: { auditingEnabled: "yes" }, status: 400, field: "auditingEnabled" },
  { name: "settings: an unknown setting", method: "PATCH", url: () => `/v1/tenants/${w.tenantA}/settings`, as: () => w.a.admin.as, body: { superuser: true }, status: 400 },
  { name: "user with no roles", method: "POST", url: () => "/v1/users", as: () => w.a.admin.as, body: { email: "n@a.test", name: "N", roles: [] }, status: 400, field: "roles" },
  { name: "user with an unknown role", method: "POST", url: () => "/v1/users", as: () => w.a.admin.as, body: { email: "n@a.test", name: "N", roles: ["root"] }, status: 400, field: "roles.0" },
  { name: "tenant user with a provider role", method: "POST", url: () => "/v1/users", as: () => w.a.admin.as, body: { email: "n@a.test", name: "N", roles: ["engineer"] }, status: 400, field: "roles" },
  { name: "user with a taken email", method: "POST", url: () => "/v1/users", as: () => w.a.admin.as, body: () => ({ email: w.a.auditor.user.email, name: "N", roles: ["auditor"] }), status: 409 },
  { name: "roles patch with none", method: "PATCH", url: () => `/v1/users/${w.a.auditor.user.id}`, as: () => w.a.admin.as, body: { roles: [] }, status: 400, field: "roles" },
  { name: "service with a bad key", method: "POST", url: () => "/v1/services", body: { key: "Bad Key", name: "B", description: "d" }, status: 400, field: "key" },
  { name: "service with a 1001-char description", method: "POST", url: () => "/v1/services", body: { key: "ok", name: "B", description: long(1001) }, status: 400, field: "description" },
  { name: "service key taken", method: "POST", url: () => "/v1/services", body: { key: "mail", name: "B", description: "d" }, status: 409 },
  ...(
    [
      ["empty ticket", { ticket: "" }, "ticket"],
      ["65-char ticket", { ticket: long(65) }, "ticket"],
      ["2001-char reason", { reason: long(2001) }, "reason"],
      ["no services", { services: [] }, "services"],
      ["unknown service", { services: ["mail", "nope"] }, "services"],
      ["access level admin", { accessLevel: "admin" }, "accessLevel"],
      ["zero minutes", { requestedMinutes: 0 }, "requestedMinutes"],
      ["fractional minutes", { requestedMinutes: 1.5 }, "requestedMinutes"],
      ["minutes as a string", { requestedMinutes: "30" }, "requestedMinutes"],
      ["minutes over the tenant's max", { requestedMinutes: 241 }, "requestedMinutes"],
      ["no tenant", { tenantId: undefined }, "tenantId"],
    ] as const
  ).map(([name, patch, field]): Case => ({
    name: `request with ${name}`,
    method: "POST",
    url: () => "/v1/requests",
    as: () => w.engineer.as,
    body: () => ({ tenantId: w.tenantA, ticket: "T-1", reason: "r", services: ["mail"], accessLevel: "read", requestedMinutes: 30, ...patch }),
    status: 400,
    field,
  })),
  { name: "request for an unknown tenant", method: "POST", url: () => "/v1/requests", as: () => w.engineer.as, body: { tenantId: "nope", ticket: "T", reason: "r", services: ["mail"], accessLevel: "read", requestedMinutes: 30 }, status: 404 },
  { name: "list with a bogus status", method: "GET", url: () => "/v1/requests?status=bogus", status: 400, field: "status" },
  { name: "list with limit 0", method: "GET", url: () => "/v1/requests?limit=0", status: 400, field: "limit" },
  { name: "list with limit 201", method: "GET", url: () => "/v1/requests?limit=201", status: 400, field: "limit" },
  { name: "list with a non-ISO date", method: "GET", url: () => "/v1/requests?createdAfter=yesterday", status: 400, field: "createdAfter" },
  { name: "list with a forged cursor", method: "GET", url: () => "/v1/requests?cursor=not-a-cursor", status: 400, field: "cursor" },
  { name: "list with an unknown filter", method: "GET", url: () => "/v1/requests?owner=me", status: 400 },
  { name: "approve with zero minutes", method: "POST", url: () => `/v1/requests/${pendingCustomer}/approve`, as: () => w.a.approver.as, body: { grantedMinutes: 0 }, status: 400, field: "grantedMinutes" },
  { name: "approve with a 2001-char comment", method: "POST", url: () => `/v1/requests/${pendingCustomer}/approve`, as: () => w.a.approver.as, body: { comment: long(2001) }, status: 400, field: "comment" },
  { name: "approve with an extra field", method: "POST", url: () => `/v1/requests/${pendingManager}/approve`, as: () => w.manager.as, body: { status: "approved" }, status: 400 },
  { name: "deny with a number comment", method: "POST", url: () => `/v1/requests/${pendingManager}/deny`, as: () => w.manager.as, body: { comment: 5 }, status: 400, field: "comment" },
  { name: "cancel with an array body", method: "POST", url: () => `/v1/requests/${pendingManager}/cancel`, as: () => w.engineer.as, body: [1], status: 400 },
  { name: "revoke of an unknown id", method: "POST", url: () => `/v1/requests/unknown/revoke`, as: () => w.a.approver.as, body: {}, status: 404 },
  { name: "approve with a 65-char id", method: "POST", url: () => `/v1/requests/${long(65)}/approve`, as: () => w.manager.as, body: {}, status: 400, field: "id" },
  { name: "audit with a bad from", method: "GET", url: () => "/v1/audit?from=2026-13-01", status: 400, field: "from" },
  { name: "audit with a 101-char operation", method: "GET", url: () => `/v1/audit?operation=${long(101)}`, status: 400, field: "operation" },
  { name: "export as xml", method: "GET", url: () => `/v1/audit/export?format=xml&chain=${tenantChain(w.tenantA)}`, status: 400, field: "format" },
  { name: "export of no chain by the provider", method: "GET", url: () => "/v1/audit/export", status: 400, field: "chain" },
  { name: "a body that is not JSON", method: "POST", url: () => "/v1/tokens", body: "{not json", headers: { "content-type": "application/json" }, status: 400 },
  { name: "a body of another media type", method: "POST", url: () => "/v1/tokens", body: "name=x", headers: { "content-type": "application/x-www-form-urlencoded" }, status: 415 },
  { name: "a prototype-poisoning body", method: "POST", url: () => "/v1/tokens", body: '{"name":"a","__proto__":{"admin":true}}', headers: { "content-type": "application/json" }, status: 400 },
  { name: "a body over 1 MiB", method: "POST", url: () => "/v1/requests", as: () => w.engineer.as, body: JSON.stringify({ reason: long(1_100_000) }), headers: { "content-type": "application/json" }, status: 413 },
  { name: "invitation accept with a short password", method: "POST", url: () => "/v1/invitations/accept", as: () => null, body: { token: "inv_x", password: "short" }, status: 400, field: "password" },
];

test("every bad input is refused in the envelope, and nothing changes", async () => {
  const before = await snapshot();
  const failures: string[] = [];
  for (const c of cases) {
    const as = c.as ? c.as() : { token: t.adminToken };
    const body = typeof c.body === "function" ? (c.body as () => unknown)() : c.body;
    const res = await t.request(c.method, c.url(), as, body, c.headers);
    const err = res.body?.error;
    const ok =
      res.status === c.status &&
      typeof err?.code === "string" &&
      typeof err?.message === "string" &&
      typeof err?.requestId === "string" &&
      (c.field === undefined || (Array.isArray(err.details) && err.details.some((d: { field: string }) => d.field === c.field)));
    if (!ok) failures.push(`${c.name}: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
  }
  assert.deepEqual(failures, []);
  assert.deepEqual(await snapshot(), before, "no refused call changed anything");
});

test("unknown routes answer 404 in the envelope", async () => {
  for (const [method, url] of [
    ["GET", "/v1/nothing"],
    ["POST", "/v1/requests/x/launch"],
    ["DELETE", "/v1/tenants"],
  ]) {
    const res = await t.request(method!, url!, null);
    assert.equal(res.status, 404, url);
    assert.equal(res.body.error.code, "not_found");
  }
});
