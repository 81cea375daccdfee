import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { insertUser } from "../src/identity/manage-users.js";
import { hashPassword } from "../src/identity/passwords.js";
import type { Role, User } from "../src/identity/roles.js";
import { startRealIdp } from "./support/sso-idp.js";
import { allowDecisionsWithoutStepUp } from "./support/step-up.js";
import { startTestApp, type TestApp } from "./support/test-app.js";

const REDIRECT = "http://lockbox.test/v1/auth/sso/callback";
const SECRET = "super-secret-client-value-7a3e91";
const PASSWORD = "a long enough password 2";

let t: TestApp;
let idp: Awaited<ReturnType<typeof startRealIdp>>;
let tenantA: string;
let tenantB: string;
let adminA: { user: User; token: string };
let adminB: { token: string };
let approverA: { token: string };
let passwordHash: string;

async function addUser(email: string, roles: Role[], tenantId: string | null): Promise<User> {
  return t.app.deps.db.transaction().execute((trx) => insertUser(trx, { email, name: email, roles, tenantId, passwordHash }, t.clock.now()));
}

async function createTenant(name: string): Promise<string> {
  const res = await t.request("POST", "/v1/tenants", { token: t.adminToken }, { name, adminEmail: `first@${name.toLowerCase()}.test` });
  assert.equal(res.status, 201);
  // SSO changes need step-up in a new tenant; this suite is about SSO (step-up-http.test.ts covers it).
  await allowDecisionsWithoutStepUp(t, res.body.tenant.id);
  return res.body.tenant.id;
}

const config = (over: Record<string, unknown> = {}) => ({
  issuer: idp.issuer,
  clientId: "lockbox",
  clientSecret: SECRET,
  emailDomains: ["acme.test"],
  roleClaim: "groups",
  roleMap: { approvers: ["lockbox_approver"] },
  jitProvisioning: true,
  requireSso: false,
  ...over,
});

const login = (email: string, password = PASSWORD) => t.request("POST", "/v1/auth/login", null, { email, password });

before(async () => {
  t = await startTestApp({ LOCKBOX_WEBHOOK_ALLOW_PRIVATE: "1" });
  passwordHash = await hashPassword(PASSWORD);
  idp = await startRealIdp({ clientId: "lockbox", clientSecret: SECRET, redirectUri: REDIRECT });
  tenantA = await createTenant("Acme");
  tenantB = await createTenant("Beta");
  const a = await addUser("root@acme.test", ["global_admin"], tenantA);
  adminA = { user: a, token: (await t.user(["global_admin"], tenantA)).token };
  adminB = { token: (await t.user(["global_admin"], tenantB)).token };
  approverA = { token: (await t.user(["lockbox_approver"], tenantA)).token };
});

after(async () => {
  await idp?.close();
  await t?.close();
});

describe("who configures an org's IdP", () => {
  test("the provider can never configure, read or remove a tenant's IdP", async () => {
    const as = { token: t.adminToken };
    const put = await t.request("PUT", `/v1/orgs/${tenantA}/sso`, as, config());
    assert.equal(put.status, 403);
    assert.equal((await t.request("GET", `/v1/orgs/${tenantA}/sso`, as)).status, 403);
    assert.equal((await t.request("DELETE", `/v1/orgs/${tenantA}/sso`, as)).status, 403);
    assert.equal(await t.app.deps.db.selectFrom("sso_configs").select("org").where("org", "=", tenantA).executeTakeFirst(), undefined);
  });

  test("another tenant's id is 404, a non-admin of the tenant 403, nobody signed in 401", async () => {
    assert.equal((await t.request("PUT", `/v1/orgs/${tenantA}/sso`, { token: adminB.token }, config())).status, 404);
    assert.equal((await t.request("GET", `/v1/orgs/${tenantA}/sso`, { token: adminB.token })).status, 404);
    assert.equal((await t.request("PUT", `/v1/orgs/${tenantA}/sso`, { token: approverA.token }, config())).status, 403);
    assert.equal((await t.request("PUT", "/v1/orgs/provider/sso", { token: adminA.token }, config())).status, 403);
    assert.equal((await t.request("GET", `/v1/orgs/${tenantA}/sso`, null)).status, 401);
  });

  test("bad input is 400 naming the field", async () => {
    const as = { token: adminA.token };
    const cases: [Record<string, unknown>, string][] = [
      [{ issuer: "not a url" }, "issuer"],
      [{ issuer: "ftp://idp.example" }, "issuer"],
      [{ emailDomains: [] }, "emailDomains"],
      [{ emailDomains: ["not a domain"] }, "emailDomains"],
      [{ roleMap: { x: ["provider_admin"] } }, "roleMap"],
      [{ roleMap: { x: ["wizard"] } }, "roleMap"],
      [{ roleMap: {}, jitProvisioning: true }, "roleMap"],
      [{ requireSso: true }, "breakGlassEmail"],
      [{ requireSso: true, breakGlassEmail: "nobody@acme.test" }, "breakGlassEmail"],
      [{ clientSecret: "x".repeat(1025) }, "clientSecret"],
      [{ issuer: "http://127.0.0.1:1/no-idp-here" }, "issuer"],
    ];
    for (const [over, field] of cases) {
      const res = await t.request("PUT", `/v1/orgs/${tenantA}/sso`, as, config(over));
      assert.equal(res.status, 400, `${JSON.stringify(over)} → ${res.status}`);
      assert.equal(res.body.error.code, "invalid_request");
      assert.match(JSON.stringify(res.body.error), new RegExp(field), JSON.stringify(res.body.error));
    }
    const noSecret = await t.request("PUT", `/v1/orgs/${tenantA}/sso`, as, { ...config(), clientSecret: undefined });
    assert.equal(noSecret.status, 400);
  });

  test("the tenant's admin configures it; the secret is sealed at rest and never answered, logged or audited", async () => {
    const res = await t.request("PUT", `/v1/orgs/${tenantA}/sso`, { token: adminA.token }, config());
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.redirectUri, REDIRECT);
    assert.deepEqual(res.body.scopes, ["openid", "email", "profile"]);
    const got = await t.request("GET", `/v1/orgs/${tenantA}/sso`, { token: adminA.token });
    assert.equal(got.status, 200);
    assert.deepEqual(got.body.emailDomains, ["acme.test"]);
    const row = await t.app.deps.db.selectFrom("sso_configs").selectAll().where("org", "=", tenantA).executeTakeFirstOrThrow();
    assert.ok(!row.client_secret.includes(SECRET));
    const audit = await t.app.deps.db.selectFrom("audit_events").selectAll().where("chain", "=", `tenant:${tenantA}`).where("operation", "=", "org.sso_configured").execute();
    assert.equal(audit.length, 1, "audited although the tenant's auditing is off");
    assert.equal(JSON.parse(audit[0]!.details).issuer, idp.issuer);
    // An update without the secret keeps the stored one.
    const kept = await t.request("PUT", `/v1/orgs/${tenantA}/sso`, { token: adminA.token }, { ...config({ jitProvisioning: false }), clientSecret: undefined });
    assert.equal(kept.status, 200);
    const stored = await t.app.deps.db.selectFrom("sso_configs").select("client_secret").where("org", "=", tenantA).executeTakeFirstOrThrow();
    assert.equal(stored.client_secret, row.client_secret);
    // The stored secret never goes to another issuer.
    const moved = await t.request("PUT", `/v1/orgs/${tenantA}/sso`, { token: adminA.token }, { ...config({ issuer: "http://127.0.0.1:1/elsewhere" }), clientSecret: undefined });
    assert.equal(moved.status, 400);
    assert.match(JSON.stringify(moved.body.error), /clientSecret/);
    for (const text of [JSON.stringify(res.body), JSON.stringify(got.body), JSON.stringify(kept.body), t.logs.join("\n")]) assert.ok(!text.includes(SECRET));
    const events = await t.app.deps.db.selectFrom("audit_events").select("details").execute();
    assert.ok(!events.some((e) => e.details.includes(SECRET)));
  });

  test("an email domain signs in through one org only", async () => {
    const res = await t.request("PUT", `/v1/orgs/${tenantB}/sso`, { token: adminB.token }, config({ emailDomains: ["beta.test", "ACME.test"] }));
    assert.equal(res.status, 409);
  });

  test("the provider's admin configures the provider's own IdP", async () => {
    const res = await t.request("PUT", "/v1/orgs/provider/sso", { token: t.adminToken }, config({ emailDomains: ["staff.test"], roleMap: { eng: ["engineer"] } }));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.tenantId, null);
    const audit = await t.app.deps.db.selectFrom("audit_events").select("id").where("chain", "=", "provider").where("operation", "=", "org.sso_configured").execute();
    assert.equal(audit.length, 1);
  });
});

describe("require SSO", () => {
  test("password sign-in of the org's users is refused, except the break-glass admin's", async () => {
    const approver = await addUser("approver@acme.test", ["lockbox_approver"], tenantA);
    const otherAdmin = await addUser("admin2@acme.test", ["global_admin"], tenantA);
    const elsewhere = await addUser("approver@beta.test", ["lockbox_approver"], tenantB);
    assert.equal((await login(approver.email)).status, 200);
    const on = await t.request("PUT", `/v1/orgs/${tenantA}/sso`, { token: adminA.token }, config({ requireSso: true, breakGlassEmail: "ROOT@acme.test" }));
    assert.equal(on.status, 200, JSON.stringify(on.body));
    const refused = await login(approver.email);
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, "sso_required");
    assert.equal((await login(otherAdmin.email)).status, 403);
    // A wrong password says nothing about SSO.
    assert.equal((await login(approver.email, "a wrong password entirely")).status, 401);
    const breakGlass = await login(adminA.user.email);
    assert.equal(breakGlass.status, 200);
    assert.equal(breakGlass.body.user.id, adminA.user.id);
    assert.equal((await login(elsewhere.email)).status, 200, "another org's users are not affected");
    const signedIn = await t.app.deps.db.selectFrom("audit_events").select("details").where("chain", "=", "provider").where("operation", "=", "user.signed_in").execute();
    assert.ok(signedIn.length === 0 || signedIn.every((e) => JSON.parse(e.details).method === "password"));
  });

  test("removing the IdP audits it and lets passwords back in", async () => {
    const res = await t.request("DELETE", `/v1/orgs/${tenantA}/sso`, { token: adminA.token });
    assert.equal(res.status, 204);
    const none = await t.request("GET", `/v1/orgs/${tenantA}/sso`, { token: adminA.token });
    assert.equal(none.status, 200);
    assert.equal(none.body, null);
    assert.equal((await t.request("DELETE", `/v1/orgs/${tenantA}/sso`, { token: adminA.token })).status, 404);
    assert.equal((await login("approver@acme.test")).status, 200);
    const removed = await t.app.deps.db.selectFrom("audit_events").select("id").where("chain", "=", `tenant:${tenantA}`).where("operation", "=", "org.sso_removed").execute();
    assert.equal(removed.length, 1);
    assert.equal((await t.request("GET", "/v1/auth/sso/start?email=approver@acme.test", null)).headers.location, "/?sso_error=sso_not_configured");
  });

  test("password sign-ins are audited with method password", async () => {
    const u = await addUser("pw@staff.test", ["engineer"], null);
    assert.equal((await login(u.email)).status, 200);
    const rows = await t.app.deps.db.selectFrom("audit_events").select(["details", "target"]).where("chain", "=", "provider").where("operation", "=", "user.signed_in").execute();
    const mine = rows.filter((r) => JSON.parse(r.target).id === u.id);
    assert.equal(mine.length, 1);
    assert.equal(JSON.parse(mine[0]!.details).method, "password");
  });
});
