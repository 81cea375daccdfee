import assert from "node:assert/strict";
import { createServer } from "node:net";
import { after, before, test } from "node:test";
import { generateSync } from "otplib";
import type { Browser, CDPSession, Page } from "playwright-core";
import { assertWebBuilt, launchChromium, watchContext } from "../web/testing/browser.js";
import { ADMIN_PASSWORD, startTestApp, type TestApp } from "./support/test-app.js";

/**
 * Step-up in the admin center (SPEC 14), with real WebAuthn ceremonies: Chromium's virtual
 * authenticator holds the approver's passkey. With requireMfaForDecisions on, Approve answers
 * 401 step_up_required; the page runs the passkey ceremony inline and retries the approval once.
 * A passkey removed from the server while its assertion is on the way is refused, and nothing is
 * approved; the authenticator-app code is then the way through. Served at http://localhost:<port>
 * (browsers refuse an IP address as the relying party id).
 */

let t: TestApp;
let browser: Browser;
let page: Page;
let cdp: CDPSession;
let origin: string;
let tenantId: string;
let alice: { id: string; email: string; password: string; token: string };
let firstRequest: string;
let secondRequest: string;
let problems: string[] = [];

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

async function approvals(requestId: string) {
  const rows = await t.app.deps.db
    .selectFrom("audit_events")
    .selectAll()
    .where("chain", "=", `tenant:${tenantId}`)
    .where("operation", "=", "request.approved")
    .where("request_id", "=", requestId)
    .execute();
  return rows.map((r) => ({ ...r, details: JSON.parse(r.details) as Record<string, any> }));
}

const statusOf = async (id: string) => (await t.request("GET", `/v1/requests/${id}`, { token: alice.token })).body.status as string;
const codeNow = (secret: string) => generateSync({ secret, epoch: Math.floor(t.clock.now().getTime() / 1000) });

before(async () => {
  assertWebBuilt();
  const port = await freePort();
  origin = `http://localhost:${port}`;
  t = await startTestApp({ LOCKBOX_PUBLIC_URL: origin });
  t.clock.set(new Date().toISOString());
  const admin = { token: t.adminToken };
  assert.equal((await t.request("POST", "/v1/services", admin, { key: "mail", name: "Mail", description: "Mail content" })).status, 201);
  const created = await t.request("POST", "/v1/tenants", admin, { name: "Stepcorp", adminEmail: "first@step.test" });
  tenantId = created.body.tenant.id;
  // Set up directly: through the API these settings would themselves ask the admin to step up.
  await t.app.deps.db
    .updateTable("tenants")
    .set({ auditing_enabled: 1, lockbox_enabled: 1, require_mfa_for_decisions: 1 })
    .where("id", "=", tenantId)
    .execute();
  const a = await t.user(["lockbox_approver"], tenantId, "Alice Approver");
  alice = { id: a.user.id, email: a.user.email, password: a.password, token: a.token };
  const engineer = await t.user(["engineer"], null, "Erin Engineer");
  const manager = await t.user(["manager"], null, "Maya Manager");
  const file = async (ticket: string) => {
    const res = await t.request("POST", "/v1/requests", { token: engineer.token }, {
      tenantId,
      ticket,
      reason: "Mailbox search fails for the customer",
      services: ["mail"],
      accessLevel: "read",
      requestedMinutes: 60,
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const approved = await t.request("POST", `/v1/requests/${res.body.id}/approve`, { token: manager.token }, {});
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    return res.body.id as string;
  };
  firstRequest = await file("CASE-STEP-1");
  secondRequest = await file("CASE-STEP-2");

  await t.app.server.listen({ port, host: "127.0.0.1" });
  browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  problems = watchContext(context, origin);
  page = await context.newPage();
  page.setDefaultTimeout(15_000);
  cdp = await context.newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: { protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
});

after(async () => {
  await browser?.close();
  await t?.close();
});

test("an approver with a passkey approves with step-up on: the ceremony runs inline and the approval goes through, verified by passkey", async () => {
  // Without a factor the approval is refused with a way out: My account.
  await page.goto(`${origin}/requests/${firstRequest}`);
  await page.getByLabel("Email", { exact: true }).fill(alice.email);
  await page.getByLabel("Password", { exact: true }).fill(alice.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByRole("button", { name: "Approve" }).click();
  const enrol = page.getByRole("alert").filter({ hasText: "This action needs a second factor" });
  await enrol.getByRole("link", { name: "My account" }).click();
  await page.getByRole("heading", { name: "My account" }).waitFor();
  assert.equal(await statusOf(firstRequest), "pending_customer");

  // Enrolling the first factor needs no step-up.
  await page.getByLabel("Passkey name").fill("Laptop");
  await page.getByRole("button", { name: "Add a passkey" }).click();
  await page.getByText("Passkey “Laptop” added.").waitFor();
  const [passkey] = (await t.request("GET", "/v1/me/passkeys", { token: alice.token })).body.items;

  let verifyCalls = 0;
  page.on("request", (req) => {
    if (req.url() === `${origin}/v1/auth/verify` && req.method() === "POST") verifyCalls++;
  });
  await page.goto(`${origin}/requests/${firstRequest}`);
  await page.getByRole("button", { name: "Approve" }).click();
  await page.getByText(/^Approved — access is granted/).waitFor();
  assert.equal(verifyCalls, 1, "one passkey assertion, then the retried approval");
  assert.equal(await page.getByRole("dialog").count(), 0, "the prompt closed");
  assert.equal(await statusOf(firstRequest), "approved");
  const [event] = await approvals(firstRequest);
  assert.ok(event, "request.approved is on record");
  assert.equal(event.actor_id, alice.id);
  assert.equal(event.details.verification?.method, "passkey");
  assert.equal(event.details.verification?.credentialId, passkey.credentialId);
});

test("a passkey removed while its assertion is on the way is refused and nothing is approved; the authenticator code then works", async () => {
  // The passkey verification above holds for 5 minutes: let it lapse.
  t.clock.advanceMinutes(6);
  const started = await t.request("POST", "/v1/me/totp", { token: alice.token });
  assert.equal(started.status, 200, JSON.stringify(started.body));
  const secret = started.body.secret as string;
  assert.equal((await t.request("POST", "/v1/me/totp/confirm", { token: alice.token }, { code: codeNow(secret) })).status, 200);
  const passkeyId = (await t.request("GET", "/v1/me/passkeys", { token: alice.token })).body.items[0].id as string;

  // Hold the browser's assertion until the passkey is gone from the server (removed by Alice's
  // script with its own code), then let it through.
  let removed = 0;
  await page.route(`${origin}/v1/auth/verify`, async (route) => {
    t.clock.advanceMs(31_000); // a code of its own: the enrolment's code is spent
    removed = (await t.request("DELETE", `/v1/me/passkeys/${passkeyId}`, { token: alice.token }, undefined, { "x-lockbox-otp": codeNow(secret) })).status;
    await route.continue();
  }, { times: 1 });
  await page.goto(`${origin}/requests/${secondRequest}`);
  await page.getByRole("button", { name: "Approve" }).click();
  const prompt = page.getByRole("dialog", { name: "Confirm it is you" });
  await prompt.getByText(/Your passkey was not accepted/).waitFor();
  assert.equal(removed, 204);
  await prompt.getByRole("button", { name: "Cancel" }).click();
  await page.getByText("Nothing was changed: this action needs you to confirm it is you.").waitFor();
  assert.equal(await statusOf(secondRequest), "pending_customer");
  assert.deepEqual(await approvals(secondRequest), []);

  // Only the authenticator app is left: the prompt asks for its code, and the retry carries it.
  t.clock.advanceMs(31_000);
  await page.getByRole("button", { name: "Approve" }).click();
  await prompt.getByLabel("Authenticator code", { exact: true }).fill(codeNow(secret));
  await prompt.getByRole("button", { name: "Confirm" }).click();
  await page.getByText(/^Approved — access is granted/).waitFor();
  const [event] = await approvals(secondRequest);
  assert.equal(event?.details.verification?.method, "totp");
});

test("the provider admin turns step-up on for staff on the Staff page; turning it off then needs a factor the admin lacks", async () => {
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await page.getByLabel("Email", { exact: true }).fill(t.admin.email);
  await page.getByLabel("Password", { exact: true }).fill(ADMIN_PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByRole("link", { name: "Staff" }).click();
  const name = "Require a passkey or authenticator code for decisions";
  const toggle = page.getByRole("switch", { name });
  // A controlled switch: it shows the server's state once the save and the reload are done.
  await toggle.click();
  await page.getByText("Setting saved.").waitFor();
  await page.getByRole("switch", { name, checked: true }).waitFor();
  const settings = async () => (await t.request("GET", "/v1/orgs/provider/settings", { token: t.adminToken })).body.requireMfaForDecisions;
  assert.equal(await settings(), true);
  await toggle.click(); // refused: the switch stays on, so not uncheck()
  await page.getByRole("alert").filter({ hasText: "This action needs a second factor" }).getByRole("link", { name: "My account" }).waitFor();
  assert.equal(await settings(), true, "still on: nothing changed without a second factor");
  assert.equal(await toggle.isChecked(), true);
});

test("nothing went wrong on the pages except the refusals the tests provoked", () => {
  const unexpected = problems.filter((p) => !/status of (401|403|400)/.test(p));
  assert.deepEqual(unexpected, []);
});
