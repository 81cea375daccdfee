import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { insertUser } from "../src/identity/manage-users.js";
import { hashPassword } from "../src/identity/passwords.js";
import type { Role, User } from "../src/identity/roles.js";
import { startForgingIdp, startRealIdp } from "./support/sso-idp.js";
import { allowDecisionsWithoutStepUp } from "./support/step-up.js";
import { startTestApp, type TestApp } from "./support/test-app.js";

const REDIRECT = "http://lockbox.test/v1/auth/sso/callback";
const CLIENT_SECRET = "idp-client-secret-4f1c9b7e2d";
const PASSWORD = "a long enough password 1";

let t: TestApp;
let idp: Awaited<ReturnType<typeof startRealIdp>>;
let forger: Awaited<ReturnType<typeof startForgingIdp>>;
let tenantA: string;
let tenantB: string;
let adminA: { user: User; token: string };
let adminB: { user: User; token: string };
let passwordHash: string;

async function addUser(email: string, roles: Role[], tenantId: string | null, withPassword = false): Promise<User> {
  return t.app.deps.db.transaction().execute((trx) =>
    insertUser(trx, { email, name: email, roles, tenantId, ...(withPassword ? { passwordHash } : { passwordHash }) }, t.clock.now()),
  );
}

async function createTenant(name: string): Promise<string> {
  const res = await t.request("POST", "/v1/tenants", { token: t.adminToken }, { name, adminEmail: `first-admin@${name.toLowerCase()}.test` });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  // SSO changes need step-up in a new tenant; this suite is about sign-in (step-up-http.test.ts covers it).
  await allowDecisionsWithoutStepUp(t, res.body.tenant.id);
  return res.body.tenant.id;
}

/** GET /v1/auth/sso/start as a browser: the IdP URL and the state cookie it set. */
async function start(query: string): Promise<{ location: string; stateCookie: string }> {
  const res = await t.request("GET", `/v1/auth/sso/start?${query}`, null);
  assert.equal(res.status, 302, JSON.stringify(res.body));
  const setCookie = ([] as string[]).concat(res.headers["set-cookie"] ?? []).find((c) => c.startsWith("lockbox_sso_state="));
  return { location: String(res.headers.location), stateCookie: setCookie ? setCookie.split(";")[0]!.split("=")[1]! : "" };
}

async function callback(url: URL, stateCookie: string | undefined) {
  const res = await t.request("GET", `/v1/auth/sso/callback${url.search}`, null, undefined, stateCookie ? { cookie: `lockbox_sso_state=${stateCookie}` } : {});
  assert.equal(res.status, 302);
  const location = String(res.headers.location);
  const session = ([] as string[]).concat(res.headers["set-cookie"] ?? []).find((c) => c.startsWith("lockbox_session="));
  return { location, session: session?.split(";")[0]!.split("=")[1] };
}

/** The whole browser flow through the real IdP: start, sign in at the IdP as `account`, callback. */
async function signInThroughIdp(email: string, account: string) {
  const { location, stateCookie } = await start(`email=${encodeURIComponent(email)}`);
  assert.ok(location.startsWith(`${idp.issuer}/auth?`), location);
  return callback(await idp.signIn(location, account), stateCookie);
}

async function me(session: string | undefined): Promise<User> {
  assert.ok(session, "a session cookie was set");
  const res = await t.request("GET", "/v1/me", { cookie: session });
  assert.equal(res.status, 200);
  return res.body.user;
}

async function auditOf(chain: string, operation: string) {
  const rows = await t.app.deps.db.selectFrom("audit_events").selectAll().where("chain", "=", chain).where("operation", "=", operation).orderBy("seq").execute();
  return rows.map((r) => ({ actor: JSON.parse(r.actor), target: JSON.parse(r.target), details: JSON.parse(r.details) }));
}

before(async () => {
  t = await startTestApp({ LOCKBOX_WEBHOOK_ALLOW_PRIVATE: "1" });
  // ID tokens are judged by the app's clock: run it at real time so the IdP's tokens are current.
  t.clock.set(new Date().toISOString());
  passwordHash = await hashPassword(PASSWORD);
  idp = await startRealIdp({ clientId: "lockbox-a", clientSecret: CLIENT_SECRET, redirectUri: REDIRECT });
  forger = await startForgingIdp({ clientId: "lockbox-b" });
  tenantA = await createTenant("Acme");
  tenantB = await createTenant("Beta");
  adminA = { user: await addUser("root@acme.test", ["global_admin"], tenantA), token: "" };
  adminA.token = (await t.user(["global_admin"], tenantA)).token;
  adminB = { user: await addUser("root@beta.test", ["global_admin"], tenantB), token: (await t.user(["global_admin"], tenantB)).token };
  await t.request("PATCH", `/v1/tenants/${tenantA}/settings`, { token: adminA.token }, { auditingEnabled: true });
  const a = await t.request("PUT", `/v1/orgs/${tenantA}/sso`, { token: adminA.token }, {
    issuer: idp.issuer,
    clientId: "lockbox-a",
    clientSecret: CLIENT_SECRET,
    emailDomains: ["acme.test"],
    roleClaim: "groups",
    roleMap: { "lockbox-approvers": ["lockbox_approver"], "lockbox-auditors": ["auditor"] },
    jitProvisioning: true,
    requireSso: false,
  });
  assert.equal(a.status, 200, JSON.stringify(a.body));
  const b = await t.request("PUT", `/v1/orgs/${tenantB}/sso`, { token: adminB.token }, {
    issuer: forger.issuer,
    clientId: "lockbox-b",
    clientSecret: "forger-secret",
    emailDomains: ["beta.test"],
    jitProvisioning: false,
    requireSso: false,
  });
  assert.equal(b.status, 200, JSON.stringify(b.body));
});

after(async () => {
  await idp?.close();
  await forger?.close();
  await t?.close();
});

describe("sign-in through the org's IdP (real oidc-provider)", () => {
  test("the code flow signs in an existing user of the org, audited with method, amr and acr", async () => {
    const alice = await addUser("alice@acme.test", ["lockbox_approver"], tenantA);
    idp.accounts.set("alice", { email: "Alice@acme.test", email_verified: true, name: "Alice" });
    const { location, session } = await signInThroughIdp("alice@acme.test", "alice");
    assert.equal(location, "/?sso=signed_in");
    const user = await me(session);
    assert.equal(user.id, alice.id);
    const signedIn = (await auditOf(`tenant:${tenantA}`, "user.signed_in")).filter((e) => e.target.id === alice.id);
    assert.equal(signedIn.length, 1);
    assert.equal(signedIn[0]!.details.method, "oidc");
    assert.deepEqual(signedIn[0]!.details.amr, ["pwd", "mfa"]);
    assert.equal(signedIn[0]!.details.acr, "urn:example:mfa");
  });

  test("just-in-time provisioning creates the user with the roles its groups map to", async () => {
    idp.accounts.set("bob", { email: "bob@acme.test", email_verified: true, name: "Bob", groups: ["lockbox-approvers", "lockbox-auditors", "staff"] });
    const { location, session } = await signInThroughIdp("bob@acme.test", "bob");
    assert.equal(location, "/?sso=signed_in");
    const user = await me(session);
    assert.equal(user.email, "bob@acme.test");
    assert.equal(user.tenantId, tenantA);
    assert.deepEqual([...user.roles].sort(), ["auditor", "lockbox_approver"]);
    assert.equal((await auditOf(`tenant:${tenantA}`, "user.created")).filter((e) => e.target.id === user.id).length, 1);
  });

  test("just-in-time provisioning refuses a person none of whose groups maps to a role", async () => {
    idp.accounts.set("carol", { email: "carol@acme.test", email_verified: true, groups: ["staff", "__proto__", "constructor"] });
    const { location, session } = await signInThroughIdp("carol@acme.test", "carol");
    assert.equal(location, "/?sso_error=no_mapped_role");
    assert.equal(session, undefined);
    assert.equal(await t.app.deps.db.selectFrom("users").select("id").where("email", "=", "carol@acme.test").executeTakeFirst(), undefined);
  });

  test("a user of another org with the same email is never signed in", async () => {
    const providerDave = await addUser("dave@acme.test", ["provider_admin"], null);
    const betaDave = await addUser("dave@acme.test", ["global_admin"], tenantB);
    idp.accounts.set("dave", { email: "dave@acme.test", email_verified: true, groups: ["lockbox-approvers"] });
    const user = await me((await signInThroughIdp("dave@acme.test", "dave")).session);
    assert.equal(user.tenantId, tenantA);
    assert.notEqual(user.id, providerDave.id);
    assert.notEqual(user.id, betaDave.id);
    assert.deepEqual(user.roles, ["lockbox_approver"]);
  });

  test("an email outside the org's domains is refused", async () => {
    idp.accounts.set("eve", { email: "eve@evil.test", email_verified: true, groups: ["lockbox-approvers"] });
    const res = await signInThroughIdp("eve@acme.test", "eve");
    assert.equal(res.location, "/?sso_error=email_domain_not_allowed");
    assert.equal(res.session, undefined);
  });

  test("an email the IdP has not verified is refused", async () => {
    await addUser("frank@acme.test", ["lockbox_approver"], tenantA);
    idp.accounts.set("frank", { email: "frank@acme.test", email_verified: false });
    const res = await signInThroughIdp("frank@acme.test", "frank");
    assert.equal(res.location, "/?sso_error=email_unverified");
    assert.equal(res.session, undefined);
  });

  test("a deactivated user is refused", async () => {
    const gina = await addUser("gina@acme.test", ["lockbox_approver"], tenantA);
    await t.app.deps.db.updateTable("users").set({ status: "deactivated" }).where("id", "=", gina.id).execute();
    idp.accounts.set("gina", { email: "gina@acme.test", email_verified: true, groups: ["lockbox-approvers"] });
    const res = await signInThroughIdp("gina@acme.test", "gina");
    assert.equal(res.location, "/?sso_error=user_deactivated");
    assert.equal(res.session, undefined);
  });

  test("a state works once: replaying the callback is refused", async () => {
    await addUser("hank@acme.test", ["lockbox_approver"], tenantA);
    idp.accounts.set("hank", { email: "hank@acme.test", email_verified: true });
    const { location, stateCookie } = await start("email=hank@acme.test");
    const back = await idp.signIn(location, "hank");
    assert.ok((await callback(back, stateCookie)).session);
    const replay = await callback(back, stateCookie);
    assert.equal(replay.location, "/?sso_error=state_invalid");
    assert.equal(replay.session, undefined);
  });

  test("a callback in a browser that did not start the sign-in is refused (login CSRF)", async () => {
    await addUser("ivan@acme.test", ["lockbox_approver"], tenantA);
    idp.accounts.set("ivan", { email: "ivan@acme.test", email_verified: true });
    const attacker = await start("email=ivan@acme.test");
    const back = await idp.signIn(attacker.location, "ivan");
    const victim = await start("email=ivan@acme.test");
    assert.equal((await callback(back, undefined)).location, "/?sso_error=state_invalid");
    assert.equal((await callback(back, victim.stateCookie)).location, "/?sso_error=state_invalid");
  });

  test("a code from another sign-in is refused by PKCE even with a valid state", async () => {
    await addUser("judy@acme.test", ["lockbox_approver"], tenantA);
    idp.accounts.set("judy", { email: "judy@acme.test", email_verified: true });
    const stolen = await idp.signIn((await start("email=judy@acme.test")).location, "judy");
    const victim = await start("email=judy@acme.test");
    const victimState = new URL(victim.location).searchParams.get("state")!;
    const injected = new URL(stolen);
    injected.searchParams.set("state", victimState);
    const res = await callback(injected, victim.stateCookie);
    assert.equal(res.location, "/?sso_error=token_invalid");
    assert.equal(res.session, undefined);
  });

  test("a sign-in not finished within 10 minutes is refused", async () => {
    await addUser("kate@acme.test", ["lockbox_approver"], tenantA);
    idp.accounts.set("kate", { email: "kate@acme.test", email_verified: true });
    const { location, stateCookie } = await start("email=kate@acme.test");
    const back = await idp.signIn(location, "kate");
    t.clock.advanceMinutes(11);
    try {
      assert.equal((await callback(back, stateCookie)).location, "/?sso_error=state_invalid");
    } finally {
      t.clock.set(new Date().toISOString());
    }
  });

  test("an address of no configured domain, an unknown org and a missing email never reach an IdP", async () => {
    assert.equal((await t.request("GET", "/v1/auth/sso/start?email=x@nowhere.test", null)).headers.location, "/?sso_error=sso_not_configured");
    assert.equal((await t.request("GET", "/v1/auth/sso/start?org=no-such-org", null)).headers.location, "/?sso_error=sso_not_configured");
    const bad = await t.request("GET", "/v1/auth/sso/start", null);
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, "invalid_request");
    assert.equal((await t.request("GET", "/v1/auth/sso/start?email=not-an-email", null)).status, 400);
  });
});

describe("ID token validation (an IdP that forges tokens)", () => {
  async function forgedSignIn(forgery: Parameters<typeof forger.prepare>[1]) {
    forger.prepare({ email: "lara@beta.test", email_verified: true }, forgery);
    const { location, stateCookie } = await start(`org=${tenantB}`);
    return callback(await forger.signIn(location), stateCookie);
  }

  before(async () => {
    await addUser("lara@beta.test", ["lockbox_approver"], tenantB);
  });

  test("a correct token signs in (the harness itself is sound)", async () => {
    const res = await forgedSignIn({});
    assert.equal(res.location, "/?sso=signed_in");
    assert.equal((await me(res.session)).email, "lara@beta.test");
  });

  for (const [name, forgery] of [
    ["a wrong issuer", { iss: "https://evil.example" }],
    ["a wrong audience", { aud: "another-client" }],
    ["an expired token", { expSecondsFromNow: -120 }],
    ["a nonce of another sign-in", { nonce: "nonce-of-another-sign-in" }],
    ["a signature by a key the IdP does not publish", { foreignKey: true }],
  ] as const) {
    test(`${name} is refused`, async () => {
      const res = await forgedSignIn(forgery);
      assert.equal(res.location, "/?sso_error=token_invalid");
      assert.equal(res.session, undefined);
    });
  }
});
