import assert from "node:assert/strict";
import net from "node:net";
import { after, before, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { assertWebBuilt, launchChromium } from "../web/testing/browser.js";
import { startRealIdp } from "./support/sso-idp.js";
import { allowDecisionsWithoutStepUp } from "./support/step-up.js";
import { startTestApp, type TestApp } from "./support/test-app.js";

/**
 * Single sign-on in Chromium (SPEC 14): a tenant's admin connects the IdP in Settings → Sign-in,
 * then an approver signs in with "Sign in with your organization" through a real OpenID provider
 * (oidc-provider, scripted consent-free login) and lands in the admin center; a refusal comes
 * back to the sign-in page as a sentence.
 */

const SECRET = "browser-test-client-secret-9d2f";
let t: TestApp;
let idp: Awaited<ReturnType<typeof startRealIdp>>;
let browser: Browser;
let origin: string;
let admin: { email: string; password: string };

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function passwordSignIn(page: Page, email: string, password: string, path: string): Promise<void> {
  await page.goto(`${origin}${path}`);
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByRole("button", { name: "Sign out" }).waitFor();
}

before(async () => {
  assertWebBuilt();
  const port = await freePort();
  // The IdP redirects the browser to the public URL: it must be the address the browser uses.
  origin = `http://localhost:${port}`;
  t = await startTestApp({ LOCKBOX_PUBLIC_URL: origin, LOCKBOX_WEBHOOK_ALLOW_PRIVATE: "1" });
  t.clock.set(new Date().toISOString());
  idp = await startRealIdp({ clientId: "lockbox-web", clientSecret: SECRET, redirectUri: `${origin}/v1/auth/sso/callback` });
  const created = await t.request("POST", "/v1/tenants", { token: t.adminToken }, { name: "Webcorp", adminEmail: "first@webcorp.test" });
  assert.equal(created.status, 201);
  // Saving the IdP needs step-up in a new tenant; this suite is about SSO, not the step-up dialog.
  await allowDecisionsWithoutStepUp(t, created.body.tenant.id);
  const a = await t.user(["global_admin"], created.body.tenant.id, "Wanda Admin");
  admin = { email: a.user.email, password: a.password };
  idp.accounts.set("olga", { email: "olga@webcorp.test", email_verified: true, name: "Olga Approver", groups: ["approvers"] });
  idp.accounts.set("uma", { email: "uma@webcorp.test", email_verified: false, name: "Uma", groups: ["approvers"] });
  await t.app.server.listen({ port, host: "127.0.0.1" });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await idp?.close();
  await t?.close();
});

test("an admin connects the IdP in Settings, and an approver signs in with the organization", async () => {
  const adminPage = await (await browser.newContext()).newPage();
  await passwordSignIn(adminPage, admin.email, admin.password, "/settings");
  const form = adminPage.getByRole("form", { name: "Single sign-on" });
  await form.getByText(`${origin}/v1/auth/sso/callback`).waitFor();
  await form.getByLabel("Issuer URL").fill(idp.issuer);
  await form.getByLabel("Client ID").fill("lockbox-web");
  await form.getByLabel("Client secret").fill(SECRET);
  await form.getByLabel("Email domains").fill("webcorp.test");
  await form.getByLabel("Role claim").fill("groups");
  await form.getByLabel("Role map").fill("approvers = lockbox_approver");
  await form.getByRole("switch", { name: "Create accounts on first sign-in" }).check();
  await form.getByRole("button", { name: "Save sign-in settings" }).click();
  await form.getByText("Saved.").waitFor();
  assert.equal(await form.getByLabel("Client secret").inputValue(), "", "the secret is not shown again");

  const page = await (await browser.newContext()).newPage();
  await page.goto(origin);
  await page.getByLabel("Email", { exact: true }).fill("olga@webcorp.test");
  await page.getByRole("button", { name: "Sign in with your organization" }).click();
  await page.getByRole("button", { name: "Sign out" }).waitFor();
  assert.equal(new URL(page.url()).origin, origin);
  const me = await page.evaluate(async () => (await fetch("/v1/me")).json());
  assert.equal(me.user.email, "olga@webcorp.test");
  assert.deepEqual(me.user.roles, ["lockbox_approver"]);
});

test("a refusal comes back to the sign-in page as a sentence", async () => {
  const page = await (await browser.newContext()).newPage();
  await page.goto(origin);
  await page.getByLabel("Email", { exact: true }).fill("uma@webcorp.test");
  await page.getByRole("button", { name: "Sign in with your organization" }).click();
  await page.getByText("has not verified your email address").waitFor();
  assert.equal(new URL(page.url()).search, "", "the reason is taken out of the address bar");
});
