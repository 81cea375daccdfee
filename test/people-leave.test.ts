import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { providerChain, tenantChain } from "../src/audit/audit-event.js";
import { startTestApp, type TestApp } from "./support/test-app.js";
import { type Actor, buildWorld, fileRequest, type World } from "./support/world.js";

// SPEC 20: people leave. Deactivate, reactivate, remove; invitations listed, revoked, re-sent,
// checked before the password is typed; the last admin of an org is protected.

let t: TestApp;
let w: World;
before(async () => {
  t = await startTestApp();
  w = await buildWorld(t);
});
after(() => t.close());

async function login(email: string, password: string) {
  const res = await t.app.server.inject({ method: "POST", url: "/v1/auth/login", payload: { email, password } });
  return { status: res.statusCode, cookie: res.cookies.find((c) => c.name === "lockbox_session")?.value, csrf: res.json().csrfToken };
}

async function auditOps(chain: string, targetId: string): Promise<string[]> {
  const rows = await t.app.deps.db
    .selectFrom("audit_events")
    .select(["operation", "target"])
    .where("chain", "=", chain)
    .orderBy("seq")
    .execute();
  return rows.filter((r) => (JSON.parse(r.target) as { id: string }).id === targetId).map((r) => r.operation);
}

const actor = async (roles: Parameters<TestApp["user"]>[0], tenantId: string | null, name?: string): Promise<Actor> => {
  const { user, token } = await t.user(roles, tenantId, name);
  return { user, token, as: { token } };
};

describe("deactivate and reactivate", () => {
  test("a deactivated user's sessions and tokens stop working at once; reactivation restores sign-in, not the old credentials", async () => {
    const { user, token, password } = await t.user(["lockbox_approver"], w.tenantA, "Dora Departing");
    const session = await login(user.email, password);
    assert.equal(session.status, 200);
    assert.equal((await t.request("GET", "/v1/me", { cookie: session.cookie! })).status, 200);

    const off = await t.request("POST", `/v1/users/${user.id}/deactivate`, w.a.admin.as);
    assert.equal(off.status, 200, JSON.stringify(off.body));
    assert.equal(off.body.status, "deactivated");
    assert.equal((await t.request("GET", "/v1/me", { token })).status, 401);
    assert.equal((await t.request("GET", "/v1/me", { cookie: session.cookie! })).status, 401);
    assert.equal((await login(user.email, password)).status, 401);

    const listed = await t.request("GET", "/v1/users?limit=100", w.a.admin.as);
    assert.equal(listed.body.items.find((u: { id: string }) => u.id === user.id).status, "deactivated");

    const again = await t.request("POST", `/v1/users/${user.id}/deactivate`, w.a.admin.as);
    assert.equal(again.status, 409);

    const on = await t.request("POST", `/v1/users/${user.id}/reactivate`, w.a.admin.as);
    assert.equal(on.status, 200, JSON.stringify(on.body));
    assert.equal(on.body.status, "active");
    assert.equal((await login(user.email, password)).status, 200);
    // The old token and session were ended, not just suspended.
    assert.equal((await t.request("GET", "/v1/me", { token })).status, 401);
    assert.equal((await t.request("GET", "/v1/me", { cookie: session.cookie! })).status, 401);
    assert.equal((await t.request("POST", `/v1/users/${user.id}/reactivate`, w.a.admin.as)).status, 409);

    // Tenant A has auditing on; tenant B's equivalent is checked below with auditing off.
    assert.deepEqual(
      (await auditOps(tenantChain(w.tenantA), user.id)).filter((op) => op.startsWith("user.") && op !== "user.signed_in"),
      ["user.deactivated", "user.sign_in_failed", "user.reactivated"],
    );
  });

  test("who may: a tenant's global admin for its users, the provider admin for staff; others are refused", async () => {
    const target = await actor(["auditor"], w.tenantA);
    const staff = await actor(["engineer"], null);
    // Another tenant's admin: 404, as if the user did not exist.
    assert.equal((await t.request("POST", `/v1/users/${target.user.id}/deactivate`, w.b.admin.as)).status, 404);
    assert.equal((await t.request("DELETE", `/v1/users/${target.user.id}`, w.b.admin.as)).status, 404);
    // The provider never acts on a tenant's people.
    const provider = await t.request("POST", `/v1/users/${target.user.id}/deactivate`, w.providerAdmin.as);
    assert.equal(provider.status, 403);
    assert.equal((await t.request("DELETE", `/v1/users/${target.user.id}`, w.providerAdmin.as)).status, 403);
    // Neither approvers, auditors, engineers nor managers manage people.
    for (const who of [w.a.approver, w.a.auditor, w.manager, w.engineer]) {
      assert.equal((await t.request("POST", `/v1/users/${target.user.id}/deactivate`, who.as)).status, 403, who.user.name);
    }
    // A tenant admin cannot touch provider staff.
    assert.equal((await t.request("POST", `/v1/users/${staff.user.id}/deactivate`, w.a.admin.as)).status, 404);
    assert.equal((await t.request("POST", "/v1/users/not-an-id/deactivate", w.a.admin.as)).status, 404);
    assert.equal((await t.request("POST", `/v1/users/${"x".repeat(500)}/deactivate`, w.a.admin.as)).status, 400);

    const ok = await t.request("POST", `/v1/users/${staff.user.id}/deactivate`, w.providerAdmin.as);
    assert.equal(ok.status, 200);
    assert.equal((await t.request("GET", "/v1/me", staff.as)).status, 401);
    assert.deepEqual(await auditOps(providerChain, staff.user.id), ["user.deactivated"]);
  });

  test("tenant user changes are audited even while the tenant's activity auditing is off", async () => {
    const target = await actor(["auditor"], w.tenantB);
    assert.equal((await t.request("POST", `/v1/users/${target.user.id}/deactivate`, w.b.admin.as)).status, 200);
    assert.equal((await t.request("POST", `/v1/users/${target.user.id}/reactivate`, w.b.admin.as)).status, 200);
    assert.equal((await t.request("DELETE", `/v1/users/${target.user.id}`, w.b.admin.as)).status, 204);
    assert.deepEqual(await auditOps(tenantChain(w.tenantB), target.user.id), ["user.deactivated", "user.reactivated", "user.removed"]);
    // Witnessed on the provider's side too, like joining.
    assert.deepEqual(await auditOps(providerChain, target.user.id), ["user.deactivated", "user.reactivated", "user.removed"]);
  });

  test("a deactivated approver's approval of a pending request counts for nothing; the audit keeps it", async () => {
    const admin = w.a.admin;
    assert.equal((await t.request("PATCH", `/v1/tenants/${w.tenantA}/settings`, admin.as, { requiredApprovals: 2 })).status, 200);
    try {
      const leaving = await actor(["lockbox_approver"], w.tenantA, "Lee Leaving");
      const id = await fileRequest(w, { ticket: "CASE-LEAVE" });
      assert.equal((await t.request("POST", `/v1/requests/${id}/approve`, w.manager.as, {})).status, 200);
      const first = await t.request("POST", `/v1/requests/${id}/approve`, leaving.as, { comment: "fine by me" });
      assert.equal(first.body.approvals.length, 1);

      assert.equal((await t.request("POST", `/v1/users/${leaving.user.id}/deactivate`, admin.as)).status, 200);
      const after = await t.request("GET", `/v1/requests/${id}`, admin.as);
      assert.equal(after.body.status, "pending_customer");
      assert.deepEqual(after.body.approvals, []);

      const second = await t.request("POST", `/v1/requests/${id}/approve`, w.a.approver.as, {});
      assert.equal(second.body.status, "pending_customer", "one live approval of two is not enough");
      const third = await t.request("POST", `/v1/requests/${id}/approve`, w.a.approver2.as, {});
      assert.equal(third.body.status, "approved");

      const events = await t.app.deps.db
        .selectFrom("audit_events")
        .select(["operation", "actor_id"])
        .where("request_id", "=", id)
        .orderBy("seq")
        .execute();
      assert.ok(events.some((e) => e.operation === "request.approved" && e.actor_id === leaving.user.id), "the voided approval stays in the audit");
    } finally {
      await t.request("PATCH", `/v1/tenants/${w.tenantA}/settings`, admin.as, { requiredApprovals: 1 });
    }
  });

  test("the last active global admin of a tenant, and the last provider admin, cannot leave (409 last_admin), even racing", async () => {
    // Tenant B has one active global admin (its invited first admin does not count).
    for (const [method, url] of [
      ["POST", `/v1/users/${w.b.admin.user.id}/deactivate`],
      ["DELETE", `/v1/users/${w.b.admin.user.id}`],
    ] as const) {
      const res = await t.request(method, url, w.b.admin.as);
      assert.equal(res.status, 409, url);
      assert.equal(res.body.error.code, "last_admin");
    }
    const last = await t.request("POST", `/v1/users/${w.providerAdmin.user.id}/deactivate`, w.providerAdmin.as);
    assert.equal(last.status, 409);
    assert.equal(last.body.error.code, "last_admin");

    // Two admins deactivate each other at the same moment: exactly one may succeed. A tenant of
    // its own, so the loser's ended sessions do not leak into the shared world.
    const gamma = await t.request("POST", "/v1/tenants", w.providerAdmin.as, { name: "Gamma", adminEmail: "admin@gamma.test" });
    assert.equal(gamma.status, 201);
    const first = await actor(["global_admin"], gamma.body.tenant.id, "First Admin");
    const second = await actor(["global_admin"], gamma.body.tenant.id, "Second Admin");
    const [x, y] = await Promise.all([
      t.request("POST", `/v1/users/${second.user.id}/deactivate`, first.as),
      t.request("POST", `/v1/users/${first.user.id}/deactivate`, second.as),
    ]);
    assert.deepEqual([x.status, y.status].sort(), [200, 409]);
    const users = await t.request("GET", "/v1/users?limit=100", x.status === 200 ? first.as : second.as);
    const activeAdmins = users.body.items.filter((u: { roles: string[]; status: string }) => u.roles.includes("global_admin") && u.status === "active");
    assert.equal(activeAdmins.length, 1);
  });
});

describe("a departing engineer takes no access along", () => {
  test("deactivation revokes the engineer's open grant (the access check says no) and cancels pending requests", async () => {
    const svc = await t.request("POST", "/v1/service-credentials", w.providerAdmin.as, { name: "people-leave" });
    assert.equal(svc.status, 201);
    const leaving = await actor(["engineer"], null, "Ezra Exiting");
    const granted = await fileRequest(w, { ticket: "CASE-EXIT-1" }, leaving);
    await t.request("POST", `/v1/requests/${granted}/approve`, w.manager.as, {});
    assert.equal((await t.request("POST", `/v1/requests/${granted}/approve`, w.a.approver.as, {})).body.status, "approved");
    const pending = await fileRequest(w, { ticket: "CASE-EXIT-2" }, leaving);
    const check = () =>
      t.request("POST", "/v1/access/check", { token: svc.body.token }, { userId: leaving.user.id, tenantId: w.tenantA, service: "mail", accessLevel: "read" });
    assert.equal((await check()).body.allowed, true);

    assert.equal((await t.request("POST", `/v1/users/${leaving.user.id}/deactivate`, w.providerAdmin.as)).status, 200);
    assert.equal((await check()).body.allowed, false);
    const revoked = await t.request("GET", `/v1/requests/${granted}`, w.manager.as);
    assert.equal(revoked.body.status, "revoked");
    assert.equal(revoked.body.endedBy.id, w.providerAdmin.user.id);
    assert.match(revoked.body.endComment, /Ezra Exiting was deactivated by /);
    assert.equal((await t.request("GET", `/v1/requests/${pending}`, w.manager.as)).body.status, "canceled");
    const ops = await auditOps(tenantChain(w.tenantA), granted);
    assert.equal(ops.at(-1), "request.revoked");
  });
});

describe("remove", () => {
  test("a removed user disappears from lists, cannot sign in, frees the email; their past requests still read", async () => {
    const { user, token, password } = await t.user(["engineer"], null, "Rhea Removed");
    const id = await fileRequest(w, { ticket: "CASE-GONE" }, { user, token, as: { token } });
    const res = await t.request("DELETE", `/v1/users/${user.id}`, w.providerAdmin.as);
    assert.equal(res.status, 204);
    assert.equal((await t.request("GET", "/v1/me", { token })).status, 401);
    assert.equal((await login(user.email, password)).status, 401);
    const listed = await t.request("GET", "/v1/users?limit=100", w.providerAdmin.as);
    assert.ok(!listed.body.items.some((u: { id: string }) => u.id === user.id));
    assert.equal((await t.request("DELETE", `/v1/users/${user.id}`, w.providerAdmin.as)).status, 404);
    assert.equal((await t.request("POST", `/v1/users/${user.id}/reactivate`, w.providerAdmin.as)).status, 404);

    const request = await t.request("GET", `/v1/requests/${id}`, w.manager.as);
    assert.equal(request.status, 200);
    assert.equal(request.body.requester.name, "Rhea Removed");

    const reinvited = await t.request("POST", "/v1/users", w.providerAdmin.as, { email: user.email, name: "Rhea Returns", roles: ["engineer"] });
    assert.equal(reinvited.status, 201, JSON.stringify(reinvited.body));
    assert.deepEqual(await auditOps(providerChain, user.id), ["user.removed"]);
  });
});

describe("invitations", () => {
  async function invite(email: string) {
    const res = await t.request("POST", "/v1/users", w.a.admin.as, { email, name: "Ivy Invited", roles: ["auditor"] });
    assert.equal(res.status, 201);
    return res.body as { user: { id: string }; invitation: { token: string } };
  }

  test("list, check, resend and revoke; an old link stops working", async () => {
    const { user, invitation } = await invite("ivy@alpha.test");
    const list = await t.request("GET", "/v1/invitations", w.a.admin.as);
    assert.equal(list.status, 200);
    const item = list.body.items.find((i: { userId: string }) => i.userId === user.id);
    assert.ok(item, JSON.stringify(list.body));
    assert.deepEqual(Object.keys(item).sort(), ["createdAt", "email", "expiresAt", "id", "name", "userId"]);
    assert.equal(item.email, "ivy@alpha.test");
    // Other orgs never see it.
    assert.ok(!(await t.request("GET", "/v1/invitations", w.b.admin.as)).body.items.some((i: { userId: string }) => i.userId === user.id));
    assert.ok(!(await t.request("GET", "/v1/invitations", w.providerAdmin.as)).body.items.some((i: { userId: string }) => i.userId === user.id));
    assert.equal((await t.request("GET", "/v1/invitations", w.a.approver.as)).status, 403);
    assert.equal((await t.request("POST", `/v1/invitations/${item.id}/resend`, w.b.admin.as)).status, 404);
    assert.equal((await t.request("DELETE", `/v1/invitations/${item.id}`, w.b.admin.as)).status, 404);

    const check = await t.request("POST", "/v1/invitations/check", null, { token: invitation.token });
    assert.equal(check.status, 200);
    assert.deepEqual(Object.keys(check.body).sort(), ["email", "expiresAt", "name"]);

    const resent = await t.request("POST", `/v1/invitations/${item.id}/resend`, w.a.admin.as);
    assert.equal(resent.status, 200, JSON.stringify(resent.body));
    assert.match(resent.body.url, /accept-invitation#token=inv_/);
    assert.notEqual(resent.body.token, invitation.token);
    const old = await t.request("POST", "/v1/invitations/check", null, { token: invitation.token });
    assert.equal(old.body.error.code, "invitation_invalid");
    assert.equal(old.body.error.message, "This invitation link has already been used, was revoked or has expired.");
    assert.equal((await t.request("POST", "/v1/invitations/accept", null, { token: invitation.token, password: "a long enough password" })).body.error.code, "invitation_invalid");

    const relisted = await t.request("GET", "/v1/invitations", w.a.admin.as);
    const now = relisted.body.items.filter((i: { userId: string }) => i.userId === user.id);
    assert.equal(now.length, 1);
    assert.equal((await t.request("DELETE", `/v1/invitations/${now[0].id}`, w.a.admin.as)).status, 204);
    assert.equal((await t.request("POST", "/v1/invitations/check", null, { token: resent.body.token })).body.error.code, "invitation_invalid");
    assert.equal((await t.request("DELETE", `/v1/invitations/${now[0].id}`, w.a.admin.as)).status, 404);
    const users = await t.request("GET", "/v1/users?limit=100", w.a.admin.as);
    assert.equal(users.body.items.find((u: { id: string }) => u.id === user.id).status, "invited");
    assert.deepEqual(await auditOps(tenantChain(w.tenantA), item.id), ["invitation.resent"]);
    assert.deepEqual(await auditOps(tenantChain(w.tenantA), now[0].id), ["invitation.revoked"]);
  });

  test("a resent invitation can be accepted; deactivating an invited user kills its link", async () => {
    const { user } = await invite("ida@alpha.test");
    const item = (await t.request("GET", "/v1/invitations", w.a.admin.as)).body.items.find((i: { userId: string }) => i.userId === user.id);
    const resent = await t.request("POST", `/v1/invitations/${item.id}/resend`, w.a.admin.as);
    const accepted = await t.request("POST", "/v1/invitations/accept", null, { token: resent.body.token, password: "a long enough password" });
    assert.equal(accepted.status, 200);
    assert.equal((await t.request("POST", "/v1/invitations/check", null, { token: resent.body.token })).status, 410);

    const second = await invite("ike@alpha.test");
    assert.equal((await t.request("POST", `/v1/users/${second.user.id}/deactivate`, w.a.admin.as)).status, 200);
    assert.equal((await t.request("POST", "/v1/invitations/check", null, { token: second.invitation.token })).status, 410);
    const back = await t.request("POST", `/v1/users/${second.user.id}/reactivate`, w.a.admin.as);
    assert.equal(back.body.status, "invited");
    assert.ok((await t.request("GET", "/v1/invitations", w.a.admin.as)).body.items.some((i: { userId: string }) => i.userId === second.user.id));
  });

  test("checking links counts against the accept throttle", async () => {
    let last = 0;
    for (let i = 0; i < 12; i++) {
      last = (await t.app.server.inject({ method: "POST", url: "/v1/invitations/check", payload: { token: `inv_guess${i}` }, remoteAddress: "10.9.9.9" })).statusCode;
    }
    assert.equal(last, 429);
    const accept = await t.app.server.inject({
      method: "POST",
      url: "/v1/invitations/accept",
      payload: { token: "inv_other", password: "a long enough password" },
      remoteAddress: "10.9.9.9",
    });
    assert.equal(accept.statusCode, 429);
    const bad = await t.request("POST", "/v1/invitations/check", null, { token: "" });
    assert.equal(bad.status, 400);
  });
});
