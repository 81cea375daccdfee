import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startTestApp, type TestApp } from "./support/test-app.js";

/**
 * Passkey routes over HTTP without a browser (the ceremonies themselves are in
 * passkeys-browser.test.ts): the options the server hands out, bad input answered 400 naming the
 * field, unknown challenges and credentials refused, sessions listed and others ended, and each
 * user confined to their own passkeys.
 */

let t: TestApp;
let tenantId: string;
let alice: { id: string; token: string; email: string; password: string };

const b64 = (s: string) => Buffer.from(s).toString("base64url");
const clientData = (challenge: string, type = "webauthn.get") => b64(JSON.stringify({ type, challenge, origin: "http://lockbox.test" }));
const assertion = (challenge: string, id = "AAAA") => ({
  response: {
    id,
    rawId: id,
    type: "public-key",
    response: { clientDataJSON: clientData(challenge), authenticatorData: "AAAA", signature: "AAAA" },
    clientExtensionResults: {},
  },
});

before(async () => {
  t = await startTestApp();
  const created = await t.request("POST", "/v1/tenants", { token: t.adminToken }, { name: "Httpkeys", adminEmail: "first@httpkeys.test" });
  tenantId = created.body.tenant.id;
  const a = await t.user(["auditor"], tenantId, "Alice Auditor");
  alice = { id: a.user.id, token: a.token, email: a.user.email, password: a.password };
});

after(async () => {
  await t?.close();
});

test("registration options: RP id from the public URL's host, a discoverable credential with user verification", async () => {
  const res = await t.request("POST", "/v1/me/passkeys/options", { token: alice.token });
  assert.equal(res.status, 200);
  const o = res.body.options;
  assert.deepEqual(o.rp, { name: "Lockbox", id: "lockbox.test" });
  assert.equal(o.user.name, alice.email);
  assert.equal(Buffer.from(o.user.id, "base64url").toString(), alice.id);
  assert.equal(o.authenticatorSelection.residentKey, "required");
  assert.equal(o.authenticatorSelection.userVerification, "required");
  assert.deepEqual(o.pubKeyCredParams.map((p: { alg: number }) => p.alg), [-7, -8, -257]);
  assert.equal(o.timeout, 300_000);
  const stored = await t.app.deps.db.selectFrom("webauthn_challenges").selectAll().where("challenge", "=", o.challenge).executeTakeFirstOrThrow();
  assert.equal(stored.purpose, "register");
  assert.equal(stored.user_id, alice.id);
});

test("sign-in options need no credentials and name no account", async () => {
  const res = await t.request("POST", "/v1/auth/passkey/options", null);
  assert.equal(res.status, 200);
  assert.equal(res.body.options.rpId, "lockbox.test");
  assert.equal(res.body.options.userVerification, "required");
  assert.equal(res.body.options.allowCredentials, undefined);
});

test("sign-in: a challenge never issued, a registration challenge and an unknown credential are refused", async () => {
  const never = await t.request("POST", "/v1/auth/passkey", null, assertion("bm90LWlzc3VlZA"));
  assert.equal(never.status, 401);
  assert.match(never.body.error.message, /unknown, expired or already used/);

  const reg = (await t.request("POST", "/v1/me/passkeys/options", { token: alice.token })).body.options.challenge;
  const wrongPurpose = await t.request("POST", "/v1/auth/passkey", null, assertion(reg));
  assert.equal(wrongPurpose.status, 401, "a registration challenge does not sign in");

  const live = (await t.request("POST", "/v1/auth/passkey/options", null)).body.options.challenge;
  const unknown = await t.request("POST", "/v1/auth/passkey", null, assertion(live));
  assert.equal(unknown.status, 401);
  assert.match(unknown.body.error.message, /not registered/);
  assert.equal(unknown.headers["set-cookie"], undefined);
  // The refused attempt spent its challenge.
  assert.equal(await t.app.deps.db.selectFrom("webauthn_challenges").select("challenge").where("challenge", "=", live).executeTakeFirst(), undefined);
});

test("bad input is 400 naming the field, never 500", async () => {
  const cases: [string, string, unknown, RegExp][] = [
    ["POST", "/v1/me/passkeys", {}, /response/],
    ["POST", "/v1/me/passkeys", { response: { id: "!!", rawId: "x", type: "public-key", response: {}, clientExtensionResults: {} } }, /id/],
    ["POST", "/v1/me/passkeys", { response: { id: "AA", rawId: "AA", type: "public-key", response: { clientDataJSON: "AAAA", attestationObject: "AAAA" }, clientExtensionResults: {} } }, /clientDataJSON/],
    ["POST", "/v1/me/passkeys", { response: { id: "AA", rawId: "AA", type: "public-key", response: { clientDataJSON: "A".repeat(9000), attestationObject: "AAAA" }, clientExtensionResults: {} } }, /clientDataJSON/],
    ["POST", "/v1/me/passkeys", { ...assertion("x"), name: "n".repeat(201) }, /name|response/],
    ["POST", "/v1/auth/passkey", { response: { type: "password" } }, /response/],
    ["POST", "/v1/auth/passkey", { ...assertion("x"), extra: true }, /extra|Unrecognized/i],
  ];
  for (const [method, url, body, field] of cases) {
    const res = await t.request(method, url, url.startsWith("/v1/me") ? { token: alice.token } : null, body);
    assert.equal(res.status, 400, `${url} ${JSON.stringify(body).slice(0, 80)}: ${JSON.stringify(res.body)}`);
    assert.equal(res.body.error.code, "invalid_request");
    assert.match(JSON.stringify(res.body.error), field);
  }
  const notJsonClientData = await t.request("POST", "/v1/auth/passkey", null, {
    response: { id: "AA", rawId: "AA", type: "public-key", response: { clientDataJSON: "AAAA", authenticatorData: "AA", signature: "AA" }, clientExtensionResults: {} },
  });
  assert.equal(notJsonClientData.status, 400);
});

test("each user sees and removes only their own passkeys; nobody without credentials", async () => {
  await t.app.deps.db
    .insertInto("passkeys")
    .values({
      id: "pk-alice",
      user_id: alice.id,
      credential_id: "Y3JlZA",
      public_key: "AA",
      public_key_jwk: "{}",
      algorithm: -7,
      counter: 0,
      transports: "[]",
      name: "Alice's key",
      created_at: t.clock.now().toISOString(),
      last_used_at: null,
    })
    .execute();
  const bob = await t.user(["global_admin"], tenantId, "Bob Admin");
  assert.deepEqual((await t.request("GET", "/v1/me/passkeys", { token: bob.token })).body.items, []);
  assert.equal((await t.request("DELETE", "/v1/me/passkeys/pk-alice", { token: bob.token })).status, 404, "even the tenant's admin");
  assert.equal((await t.request("DELETE", "/v1/me/passkeys/pk-alice", { token: t.adminToken })).status, 404, "even the provider admin");
  assert.equal((await t.request("GET", "/v1/me/passkeys", null)).status, 401);
  assert.equal((await t.request("POST", "/v1/me/passkeys/options", null)).status, 401);
  assert.equal((await t.request("GET", "/v1/me/passkeys", { token: alice.token })).body.items[0].name, "Alice's key");
  assert.equal((await t.request("DELETE", "/v1/me/passkeys/pk-alice", { token: alice.token })).status, 204);
  const removed = await t.app.deps.db.selectFrom("audit_events").select("details").where("operation", "=", "user.passkey_removed").execute();
  assert.equal(removed.length, 1, "audited although the tenant's auditing is off");
});

test("sessions: listed without their secrets, and ending the others keeps this one (cookie needs CSRF)", async () => {
  const login = async () => {
    const res = await t.request("POST", "/v1/auth/login", null, { email: alice.email, password: alice.password });
    return { cookie: /lockbox_session=([^;]+)/.exec(String(res.headers["set-cookie"]))![1]!, csrf: res.body.csrfToken as string };
  };
  const mine = await login();
  const other = await login();
  const list = await t.request("GET", "/v1/me/sessions", mine);
  assert.equal(list.status, 200);
  assert.equal(list.body.items.length, 2);
  assert.equal(list.body.items.filter((s: { current: boolean }) => s.current).length, 1);
  assert.ok(!JSON.stringify(list.body).includes(mine.cookie) && !JSON.stringify(list.body).includes(other.cookie));
  assert.equal((await t.request("DELETE", "/v1/me/sessions/others", { cookie: mine.cookie })).status, 403, "no CSRF token");
  const ended = await t.request("DELETE", "/v1/me/sessions/others", mine);
  assert.deepEqual(ended.body, { sessionsEnded: 1 });
  assert.equal((await t.request("GET", "/v1/me", mine)).status, 200);
  assert.equal((await t.request("GET", "/v1/me", other)).status, 401);
});

test("failed passkey sign-ins are braked per address like passwords: the eleventh is 429", async () => {
  const statuses: number[] = [];
  for (let i = 0; i < 11; i++) {
    const challenge = (await t.request("POST", "/v1/auth/passkey/options", null)).body.options.challenge;
    statuses.push((await t.request("POST", "/v1/auth/passkey", null, assertion(challenge))).status);
  }
  // Earlier tests in this file already spent four of this address's ten failures.
  assert.equal(statuses.join(","), "401,401,401,401,401,401,429,429,429,429,429");
  const refused = await t.request("POST", "/v1/auth/passkey", null, assertion("x"));
  assert.equal(refused.body.error.code, "too_many_attempts");
  // Counted apart from passwords: the address can still sign in with a password.
  const password = await t.request("POST", "/v1/auth/login", null, { email: alice.email, password: alice.password });
  assert.equal(password.status, 200);
});
