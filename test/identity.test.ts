import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { tenantChain } from "../src/audit/audit-event.js";
import { ADMIN_PASSWORD, startTestApp, type TestApp } from "./support/test-app.js";
import { buildWorld, type World } from "./support/world.js";

let t: TestApp;
let w: World;
before(async () => {
  t = await startTestApp();
  w = await buildWorld(t);
});
after(() => t.close());

async function login(email: string, password: string, ip?: string) {
  const res = await t.app.server.inject({
    method: "POST",
    url: "/v1/auth/login",
    payload: { email, password },
    ...(ip ? { remoteAddress: ip } : {}),
  });
  const cookie = res.cookies.find((c) => c.name === "lockbox_session");
  return { res, body: res.json(), cookie };
}

describe("sessions", () => {
  test("sign-in sets an HTTP-only SameSite=Lax cookie and returns the CSRF token", async () => {
    const { res, body, cookie } = await login(t.admin.email, ADMIN_PASSWORD);
    assert.equal(res.statusCode, 200);
    assert.equal(body.user.email, t.admin.email);
    assert.ok(body.csrfToken.length >= 32);
    assert.ok(cookie);
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, "Lax");
    const me = await t.request("GET", "/v1/me", { cookie: cookie.value });
    assert.equal(me.status, 200);
    assert.equal(me.body.csrfToken, body.csrfToken);
  });

  test("a cookie-authenticated write without the CSRF header is refused and changes nothing", async () => {
    const { body, cookie } = await login(t.admin.email, ADMIN_PASSWORD);
    const before = await t.request("GET", "/v1/tokens", { token: t.adminToken });
    const noHeader = await t.request("POST", "/v1/tokens", { cookie: cookie!.value }, { name: "x" });
    assert.equal(noHeader.status, 403);
    assert.equal(noHeader.body.error.code, "csrf");
    const wrong = await t.request("POST", "/v1/tokens", { cookie: cookie!.value, csrf: "wrong" }, { name: "x" });
    assert.equal(wrong.status, 403);
    const after = await t.request("GET", "/v1/tokens", { token: t.adminToken });
    assert.equal(after.body.items.length, before.body.items.length);
    const right = await t.request("POST", "/v1/tokens", { cookie: cookie!.value, csrf: body.csrfToken }, { name: "x" });
    assert.equal(right.status, 201);
  });

  test("sign-out ends the session", async () => {
    const { body, cookie } = await login(t.admin.email, ADMIN_PASSWORD);
    const out = await t.request("POST", "/v1/auth/logout", { cookie: cookie!.value, csrf: body.csrfToken });
    assert.equal(out.status, 204);
    assert.equal((await t.request("GET", "/v1/me", { cookie: cookie!.value })).status, 401);
  });

  test("sessions end after 12 hours", async () => {
    const { cookie } = await login(t.admin.email, ADMIN_PASSWORD);
    t.clock.advanceMinutes(12 * 60);
    assert.equal((await t.request("GET", "/v1/me", { cookie: cookie!.value })).status, 401);
  });

  test("a wrong password and an unknown account get the same answer", async () => {
    const wrong = await login(t.admin.email, "not the password", "10.0.0.1");
    const unknown = await login("nobody@example.test", "not the password", "10.0.0.2");
    assert.equal(wrong.res.statusCode, 401);
    assert.equal(unknown.res.statusCode, 401);
    assert.equal(wrong.body.error.message, unknown.body.error.message);
  });
});

describe("sign-in throttling", () => {
  test("repeated failures for one account are refused with 429 and Retry-After, even with the right password", async () => {
    const { user, password } = await t.user(["auditor"], w.tenantA);
    for (let i = 0; i < 10; i++) {
      const r = await login(user.email, "wrong password!", `10.1.0.${i}`);
      assert.equal(r.res.statusCode, 401, `attempt ${i}`);
    }
    const blocked = await login(user.email, password, "10.1.1.1");
    assert.equal(blocked.res.statusCode, 429);
    assert.equal(blocked.body.error.code, "too_many_attempts");
    assert.ok(Number(blocked.res.headers["retry-after"]) > 0);
    t.clock.advanceMinutes(16);
    assert.equal((await login(user.email, password, "10.1.1.1")).res.statusCode, 200, "the brake lifts after the window");
  });

  test("one address guessing many accounts is refused too", async () => {
    for (let i = 0; i < 10; i++) await login(`guess${i}@example.test`, "wrong password!", "10.2.0.1");
    const r = await login(t.admin.email, ADMIN_PASSWORD, "10.2.0.1");
    assert.equal(r.res.statusCode, 429);
    assert.equal((await login(t.admin.email, ADMIN_PASSWORD, "10.2.0.2")).res.statusCode, 200);
  });
});

describe("personal API tokens", () => {
  test("shown once, stored hashed, listed without the secret, deleted, and expiring", async () => {
    const { token: own } = await t.user(["engineer"], null);
    const created = await t.request("POST", "/v1/tokens", { token: own }, { name: "ci", expiresInDays: 1 });
    assert.equal(created.status, 201);
    assert.match(created.body.token, /^lbx_/);
    const stored = await t.app.deps.db.selectFrom("api_tokens").select("token_hash").where("id", "=", created.body.id).executeTakeFirstOrThrow();
    assert.notEqual(stored.token_hash, created.body.token);
    assert.ok(!JSON.stringify((await t.request("GET", "/v1/tokens", { token: own })).body).includes(created.body.token));
    assert.equal((await t.request("GET", "/v1/me", { token: created.body.token })).status, 200);
    t.clock.advanceMinutes(24 * 60);
    assert.equal((await t.request("GET", "/v1/me", { token: created.body.token })).status, 401, "expired");
    const second = await t.request("POST", "/v1/tokens", { token: own }, { name: "tmp" });
    assert.equal((await t.request("DELETE", `/v1/tokens/${second.body.id}`, { token: own })).status, 204);
    assert.equal((await t.request("GET", "/v1/me", { token: second.body.token })).status, 401, "deleted");
  });

  test("nobody deletes another user's token", async () => {
    const other = await t.request("POST", "/v1/tokens", w.a.admin.as, { name: "mine" });
    assert.equal((await t.request("DELETE", `/v1/tokens/${other.body.id}`, { token: t.adminToken })).status, 404);
    assert.equal((await t.request("GET", "/v1/me", { token: other.body.token })).status, 200);
  });

  test("a malformed Authorization header is 401", async () => {
    for (const header of ["Basic abc", "Bearer nope", `Bearer lbx_${"x".repeat(300)}`]) {
      const res = await t.request("GET", "/v1/me", null, undefined, { authorization: header });
      assert.equal(res.status, 401, header);
    }
  });
});

describe("invitations and users", () => {
  test("a global admin invites a user, who activates once and signs in", async () => {
    const created = await t.request("POST", "/v1/users", w.a.admin.as, { email: "New.Person@Alpha.test", name: "New Person", roles: ["auditor"] });
    assert.equal(created.status, 201);
    assert.equal(created.body.user.status, "invited");
    assert.equal(created.body.user.email, "new.person@alpha.test");
    assert.equal(created.body.user.tenantId, w.tenantA);
    assert.match(created.body.invitation.url, /^http:\/\/lockbox\.test\/accept-invitation#token=inv_/);
    const invited = await login("new.person@alpha.test", "anything at all");
    assert.equal(invited.res.statusCode, 401, "an invited user cannot sign in yet");
    const token = created.body.invitation.token;
    const accepted = await t.request("POST", "/v1/invitations/accept", null, { token, password: "a long enough password", name: "Nova" });
    assert.equal(accepted.status, 200);
    assert.equal(accepted.body.user.status, "active");
    assert.equal(accepted.body.user.name, "Nova");
    const again = await t.request("POST", "/v1/invitations/accept", null, { token, password: "another long password" });
    assert.equal(again.status, 410);
    assert.equal((await login("new.person@alpha.test", "a long enough password")).res.statusCode, 200);
  });

  test("an invitation expires after 72 hours", async () => {
    const created = await t.request("POST", "/v1/users", w.a.admin.as, { email: "late@alpha.test", name: "Late", roles: ["auditor"] });
    t.clock.advanceMinutes(72 * 60);
    const res = await t.request("POST", "/v1/invitations/accept", null, { token: created.body.invitation.token, password: "a long enough password" });
    assert.equal(res.status, 410);
  });

  test("the provider cannot act for a customer", async () => {
    // It cannot create a tenant's users, change their roles, or change the tenant's settings.
    const create = await t.request("POST", "/v1/users", w.providerAdmin.as, { email: "x@alpha.test", name: "X", roles: ["global_admin"], tenantId: w.tenantA });
    assert.equal(create.status, 403);
    const roles = await t.request("PATCH", `/v1/users/${w.a.auditor.user.id}`, w.providerAdmin.as, { roles: ["global_admin"] });
    assert.equal(roles.status, 403);
    const settings = await t.request("PATCH", `/v1/tenants/${w.tenantA}/settings`, w.providerAdmin.as, { lockboxEnabled: false });
    assert.equal(settings.status, 403);
    // Approving for the tenant is covered by the permission matrix; tokens are only ever minted
    // by their owner for itself (there is no route that names another user).
    const view = await t.request("GET", `/v1/users/${w.a.auditor.user.id}`, w.providerAdmin.as);
    assert.equal(view.status, 404);
  });

  test("the last global admin cannot lose the role", async () => {
    const res = await t.request("PATCH", `/v1/users/${w.a.admin.user.id}`, w.a.admin.as, { roles: ["auditor"] });
    assert.equal(res.status, 409);
    assert.equal(res.body.error.code, "last_admin");
    const promoted = await t.request("PATCH", `/v1/users/${w.a.approver2.user.id}`, w.a.admin.as, { roles: ["global_admin", "lockbox_approver"] });
    assert.equal(promoted.status, 200);
    const demoted = await t.request("PATCH", `/v1/users/${w.a.approver2.user.id}`, w.a.admin.as, { roles: ["lockbox_approver"] });
    assert.equal(demoted.status, 200);
  });

  test("tenant sign-ins and role changes are audited only while auditing is on", async () => {
    const count = async (tenantId: string, op: string) =>
      (await t.app.deps.db.selectFrom("audit_events").select("id").where("chain", "=", tenantChain(tenantId)).where("operation", "=", op).execute()).length;
    const a0 = await count(w.tenantA, "user.signed_in");
    const b0 = await count(w.tenantB, "user.signed_in");
    const a = await t.user(["auditor"], w.tenantA);
    const b = await t.user(["auditor"], w.tenantB);
    assert.equal((await login(a.user.email, a.password, "10.9.0.1")).res.statusCode, 200);
    assert.equal((await login(b.user.email, b.password, "10.9.0.2")).res.statusCode, 200);
    assert.equal(await count(w.tenantA, "user.signed_in"), a0 + 1, "tenant A has auditing on");
    assert.equal(await count(w.tenantB, "user.signed_in"), b0, "tenant B has it off");
  });
});
