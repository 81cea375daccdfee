import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Browser, BrowserContext, CDPSession, Page } from "playwright-core";
import { assertWebBuilt, launchChromium, watchContext } from "../web/testing/browser.js";
import { addVirtualAuthenticator, startAppOnLocalhost } from "./support/browser.js";
import type { TestApp } from "./support/test-app.js";

/**
 * Passkeys with real WebAuthn ceremonies (SPEC 14): Chromium's virtual authenticator (DevTools
 * `WebAuthn.addVirtualAuthenticator`: CTAP2, internal, resident keys, user verification) creates
 * and uses the credentials; nothing is hand-built. The page is served at http://localhost:<port>
 * because browsers refuse an IP address as the relying party id. Refusals replay what the browser
 * really sent (captured on its way to the server) with one thing wrong.
 */

let t: TestApp;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let cdp: CDPSession;
let origin: string;
let tenantId: string;
let alice: { id: string; email: string; password: string; token: string };
let bob: { id: string; token: string };
let problems: string[] = [];
let passkeyId = "";
let authenticatorId = "";

async function events(operation: string) {
  const rows = await t.app.deps.db
    .selectFrom("audit_events")
    .selectAll()
    .where("chain", "=", `tenant:${tenantId}`)
    .where("operation", "=", operation)
    .orderBy("seq")
    .execute();
  return rows.map((r) => ({ ...r, details: JSON.parse(r.details) as Record<string, any> }));
}

/** What the page POSTs to `path` next, held back from the server (the request is aborted). */
async function captureNext(on: Page, path: string, action: () => Promise<void>): Promise<any> {
  let body: unknown;
  await on.route(`${origin}${path}`, async (route) => {
    body = route.request().postDataJSON();
    await route.abort();
  }, { times: 1 });
  await action();
  for (let i = 0; i < 200 && body === undefined; i++) await new Promise((r) => setTimeout(r, 25));
  assert.ok(body, `nothing was posted to ${path}`);
  return body;
}

const setAuditing = (on: boolean) =>
  t.app.deps.db.updateTable("tenants").set({ auditing_enabled: on ? 1 : 0 }).where("id", "=", tenantId).execute();

const signOut = async () => {
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await page.getByRole("button", { name: "Sign in with a passkey" }).waitFor();
};

before(async () => {
  assertWebBuilt();
  let port: number;
  ({ t, origin, port } = await startAppOnLocalhost());
  const created = await t.request("POST", "/v1/tenants", { token: t.adminToken }, { name: "Keycorp", adminEmail: "first@keys.test" });
  tenantId = created.body.tenant.id;
  // Registration and removal are audited with auditing off; sign-ins are turned on in between.
  await setAuditing(false);
  const a = await t.user(["lockbox_approver"], tenantId, "Alice Approver");
  alice = { id: a.user.id, email: a.user.email, password: a.password, token: a.token };
  const b = await t.user(["lockbox_approver"], tenantId, "Bob Approver");
  bob = { id: b.user.id, token: b.token };
  await t.app.server.listen({ port, host: "127.0.0.1" });
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  problems = watchContext(context, origin);
  page = await context.newPage();
  page.setDefaultTimeout(10_000);
  ({ cdp, authenticatorId } = await addVirtualAuthenticator(context, page));
});

after(async () => {
  await browser?.close();
  await t?.close();
});

test("a passkey registered on My account is listed and audited (auditing off) with its public key as a JWK", async () => {
  await page.goto(`${origin}/account`);
  await page.getByLabel("Email", { exact: true }).fill(alice.email);
  await page.getByLabel("Password", { exact: true }).fill(alice.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByRole("heading", { name: "My account" }).waitFor();
  await page.getByLabel("Passkey name").fill("Test laptop");
  await page.getByRole("button", { name: "Add a passkey" }).click();
  await page.getByText("Passkey “Test laptop” added.").waitFor();
  await page.getByRole("table", { name: "Passkeys" }).getByRole("cell", { name: "Test laptop", exact: true }).waitFor();

  const listed = await t.request("GET", "/v1/me/passkeys", { token: alice.token });
  assert.equal(listed.body.items.length, 1);
  passkeyId = listed.body.items[0].id;
  const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
  assert.equal(credentials.length, 1);
  assert.equal(credentials[0]!.isResidentCredential, true);
  assert.equal(listed.body.items[0].credentialId, Buffer.from(credentials[0]!.credentialId, "base64").toString("base64url"));

  const [registered] = await events("user.passkey_registered");
  assert.ok(registered);
  assert.equal(registered.actor_id, alice.id);
  assert.equal(registered.details.credentialId, listed.body.items[0].credentialId);
  assert.equal(registered.details.algorithm, -7, "ES256, the server's first choice");
  assert.equal(registered.details.publicKey.kty, "EC");
  assert.equal(registered.details.publicKey.crv, "P-256");
  assert.match(registered.details.publicKey.x, /^[A-Za-z0-9_-]{43}$/);
});


test("signing out and in again with the passkey: same session as a password sign-in, audited with method passkey", async () => {
  // Sign-ins follow auditingEnabled like password sign-ins: on from here, so they are on record.
  await setAuditing(true);
  await signOut();
  await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  await page.getByRole("button", { name: "Sign out", exact: true }).waitFor();
  await page.getByText("Alice Approver").first().waitFor();
  const signIns = await events("user.signed_in");
  const last = signIns.at(-1)!;
  assert.equal(last.actor_id, alice.id);
  assert.equal(last.details.method, "passkey");
  assert.equal(last.details.passkeyId, passkeyId);
  // The cookie is the ordinary session cookie: HTTP-only, SameSite=Lax.
  const cookie = (await context.cookies(origin)).find((c) => c.name === "lockbox_session");
  assert.ok(cookie?.httpOnly);
  assert.equal(cookie?.sameSite, "Lax");
  const row = await t.app.deps.db.selectFrom("passkeys").selectAll().where("id", "=", passkeyId).executeTakeFirstOrThrow();
  assert.ok(row.last_used_at);
  assert.ok(Number(row.counter) > 0, "the virtual authenticator's counter was stored");
});

test("a sign-in challenge works once: replaying the very assertion that signed in is refused", async () => {
  await signOut();
  let sent: unknown;
  await page.route(`${origin}/v1/auth/passkey`, async (route) => {
    sent = route.request().postDataJSON();
    await route.continue();
  }, { times: 1 });
  await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  await page.getByRole("button", { name: "Sign out", exact: true }).waitFor();
  assert.ok(sent);
  const replay = await t.request("POST", "/v1/auth/passkey", null, sent);
  assert.equal(replay.status, 401);
  assert.match(replay.body.error.message, /already used/);
  assert.equal(replay.headers["set-cookie"], undefined);
});

test("an expired challenge is refused, and so are a lower counter and an assertion naming another account", async () => {
  await signOut();
  const stale = await captureNext(page, "/v1/auth/passkey", () => page.getByRole("button", { name: "Sign in with a passkey" }).click());
  t.clock.advanceMinutes(6);
  const expired = await t.request("POST", "/v1/auth/passkey", null, stale);
  assert.equal(expired.status, 401);
  assert.match(expired.body.error.message, /expired/);

  // The authenticator's userHandle is not signed; it must still name the credential's owner.
  const swapped = await captureNext(page, "/v1/auth/passkey", () => page.getByRole("button", { name: "Sign in with a passkey" }).click());
  swapped.response.response.userHandle = Buffer.from(bob.id).toString("base64url");
  const asBob = await t.request("POST", "/v1/auth/passkey", null, swapped);
  assert.equal(asBob.status, 401);
  assert.match(asBob.body.error.message, /does not belong/);

  // A cloned authenticator shows itself by a counter that went back.
  const cloned = await captureNext(page, "/v1/auth/passkey", () => page.getByRole("button", { name: "Sign in with a passkey" }).click());
  await t.app.deps.db.updateTable("passkeys").set({ counter: 1_000_000 }).where("id", "=", passkeyId).execute();
  const back = await t.request("POST", "/v1/auth/passkey", null, cloned);
  assert.equal(back.status, 401);
  assert.match(back.body.error.message, /counter/i);
  await t.app.deps.db.updateTable("passkeys").set({ counter: 0 }).where("id", "=", passkeyId).execute();
  const signedIn = await t.request("GET", "/v1/me", { token: alice.token });
  assert.equal(signedIn.status, 200);
  assert.equal((await events("user.signed_in")).filter((e) => e.details.method === "passkey").length, 2);
});

test("a second user cannot take the first user's registration, nor see or remove the first user's passkey", async () => {
  await page.reload();
  await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  await page.getByRole("button", { name: "Sign out", exact: true }).waitFor();
  // A second device (its own page and authenticator, Alice's session): the first authenticator
  // would rightly refuse, as it already holds a credential the options exclude.
  const device = await context.newPage();
  device.setDefaultTimeout(10_000);
  await addVirtualAuthenticator(context, device);
  await device.goto(`${origin}/account`);
  await device.getByLabel("Passkey name").fill("Second key");
  const registration = await captureNext(device, "/v1/me/passkeys", () => device.getByRole("button", { name: "Add a passkey" }).click());
  await device.close();

  const bobTakes = await t.request("POST", "/v1/me/passkeys", { token: bob.token }, registration);
  assert.equal(bobTakes.status, 400);
  assert.match(bobTakes.body.error.message, /challenge/);
  assert.equal((await t.request("GET", "/v1/me/passkeys", { token: bob.token })).body.items.length, 0);
  assert.equal((await t.request("DELETE", `/v1/me/passkeys/${passkeyId}`, { token: bob.token })).status, 404);

  // The registration is not signed over its origin (attestation "none"): the server checks it.
  const elsewhere = structuredClone(registration);
  const clientData = JSON.parse(Buffer.from(elsewhere.response.response.clientDataJSON, "base64url").toString());
  elsewhere.response.response.clientDataJSON = Buffer.from(JSON.stringify({ ...clientData, origin: "http://evil.test" })).toString("base64url");
  const wrongOrigin = await t.request("POST", "/v1/me/passkeys", { token: alice.token }, elsewhere);
  assert.equal(wrongOrigin.status, 400);
  assert.match(wrongOrigin.body.error.message, /origin/i);
  // ...and that attempt spent the challenge: the genuine response is now refused too.
  const late = await t.request("POST", "/v1/me/passkeys", { token: alice.token }, registration);
  assert.equal(late.status, 400);
  assert.equal((await t.request("GET", "/v1/me/passkeys", { token: alice.token })).body.items.length, 1);
});

test("sessions: My account lists them and signs out the others", async () => {
  const other = await t.request("POST", "/v1/auth/login", null, { email: alice.email, password: alice.password });
  assert.equal(other.status, 200);
  const otherCookie = /lockbox_session=([^;]+)/.exec(String(other.headers["set-cookie"]))![1]!;
  await page.getByRole("link", { name: "My account" }).click();
  const table = page.getByRole("table", { name: "Active sessions" });
  await table.getByText("This browser").waitFor();
  assert.equal(await table.getByRole("row").count(), 3); // header + two sessions
  await page.getByRole("button", { name: "Sign out other sessions" }).click();
  await page.getByText("1 other session was signed out.").waitFor();
  assert.equal((await t.request("GET", "/v1/me", { cookie: otherCookie })).status, 401);
  // The list reloads after the notice: wait for the other session's row to go (or time out).
  await table.getByRole("row").nth(2).waitFor({ state: "detached" });
  assert.equal(await table.getByRole("row").count(), 2);
});

test("a deactivated person cannot sign in with a passkey; reactivated, they can again", async () => {
  const admin = await t.user(["global_admin"], tenantId, "Gwen Admin");
  await signOut();
  const held = await captureNext(page, "/v1/auth/passkey", () => page.getByRole("button", { name: "Sign in with a passkey" }).click());
  assert.equal((await t.request("POST", `/v1/users/${alice.id}/deactivate`, { token: admin.token }, {})).status, 200);
  const refused = await t.request("POST", "/v1/auth/passkey", null, held);
  assert.equal(refused.status, 401);
  assert.match(refused.body.error.message, /cannot sign in/);
  assert.equal((await t.request("POST", `/v1/users/${alice.id}/reactivate`, { token: admin.token }, {})).status, 200);
  await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  await page.getByRole("button", { name: "Sign out", exact: true }).waitFor();
});

test("removing the passkey is audited (auditing off), and it no longer signs in", async () => {
  await setAuditing(false);
  await page.getByRole("link", { name: "My account" }).click();
  await page.getByRole("button", { name: "Remove passkey Test laptop" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Remove passkey" }).click();
  await page.getByText("No passkeys yet.").waitFor();
  const [removed] = await events("user.passkey_removed");
  assert.ok(removed);
  assert.equal(removed.details.passkeyId, passkeyId);

  await signOut();
  await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  await page.getByText("That passkey did not sign you in.").waitFor();
  assert.equal(await page.getByRole("button", { name: "Sign out", exact: true }).count(), 0);
});

test("nothing went wrong on the pages except the requests the test itself held back", () => {
  const unexpected = problems.filter((p) => !/ERR_FAILED|status of 401|Failed to fetch/.test(p));
  assert.deepEqual(unexpected, []);
});
