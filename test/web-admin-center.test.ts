import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { assertWebBuilt, signIn, watchContext } from "../web/testing/browser.js";
import { serveForBrowser } from "./support/browser.js";
import { ADMIN_PASSWORD, startTestApp, type TestApp } from "./support/test-app.js";
import { buildWorld, type World } from "./support/world.js";

/**
 * The admin center end to end, in Debian's Chromium against a real server on a real port: the
 * whole approval path through the UI, the settings rule, the audit search, and the page's
 * promises (no console errors, no other host contacted).
 */

let t: TestApp;
let w: World;
let browser: Browser;
let origin: string;
const problems: string[][] = [];
const people: Record<string, { email: string; password: string; name: string; token: string; id: string }> = {};
let requestId = "";
const TICKET = "CASE-WEB-1";

before(async () => {
  assertWebBuilt();
  t = await startTestApp();
  // The browser counts down in real time, so the server's clock starts at the real now.
  t.clock.set(new Date().toISOString());
  w = await buildWorld(t);
  const add = async (key: string, roles: Parameters<TestApp["user"]>[0], tenantId: string | null, name: string) => {
    const { user, password, token } = await t.user(roles, tenantId, name);
    people[key] = { email: user.email, password, name, token, id: user.id };
  };
  await add("engineer", ["engineer"], null, "Wendy Web-Engineer");
  await add("manager", ["manager"], null, "Mark Web-Manager");
  await add("approver", ["lockbox_approver"], w.tenantA, "Alice Web-Approver");
  await add("adminA", ["global_admin"], w.tenantA, "Gina Web-Admin");
  await add("adminB", ["global_admin"], w.tenantB, "Bert Web-Admin");
  ({ origin, browser } = await serveForBrowser(t));
});

after(async () => {
  await browser?.close();
  await t?.close();
});

async function open(who: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  problems.push(watchContext(context, origin));
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin });
  const page = await context.newPage();
  await signIn(page, origin, people[who]!.email, people[who]!.password);
  return { context, page };
}

const navNames = async (page: Page) => (await page.getByRole("navigation", { name: "Main" }).getByRole("link").allInnerTexts()).map((s) => s.trim());
const statusOf = async (id: string) => (await t.request("GET", `/v1/requests/${id}`, { token: people.engineer!.token })).body.status as string;

/** Polls a condition the page reaches asynchronously (Playwright's auto-waiting covers single locators only). */
async function until(check: () => Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) assert.fail(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

let engineerPage: Page;

test("an engineer files a request through the form", async () => {
  const { page } = await open("engineer");
  engineerPage = page;
  assert.deepEqual(await navNames(page), ["New data access request", "My requests", "Services", "My account"]);
  assert.equal(await page.title(), "New data access request");
  await page.getByLabel("Customer").selectOption({ label: "Alpha" });
  await page.getByText("This customer approves data access itself").waitFor();
  await page.getByLabel("Ticket").fill(TICKET);
  await page.getByLabel("Reason", { exact: true }).fill("Search index for the customer's mailbox is corrupt; need to inspect it.");
  await page.getByRole("checkbox", { name: /^Mail/ }).check();
  await page.getByLabel("Duration").selectOption({ label: "1 h" });
  await page.getByRole("button", { name: "Submit request" }).click();
  await page.getByText(`Request ${TICKET} was submitted`).waitFor();
  assert.equal(await page.title(), "My requests");

  const mine = await t.request("GET", `/v1/requests?requester=${people.engineer!.id}`, { token: people.engineer!.token });
  const filed = mine.body.items.find((r: { ticket: string }) => r.ticket === TICKET);
  assert.ok(filed, "the request was created through the API");
  assert.equal(filed.status, "pending_manager");
  assert.deepEqual(filed.services, ["mail"]);
  assert.equal(filed.requestedMinutes, 60);
  requestId = filed.id;
});

test("a manager approves it in the approval queue", async () => {
  const { page, context } = await open("manager");
  assert.equal(await page.title(), "Approval queue");
  const item = page.getByRole("article", { name: `Request ${TICKET}` });
  await item.getByText("Search index for the customer's mailbox").waitFor();
  await item.getByRole("button", { name: "Approve" }).click();
  await item.waitFor({ state: "detached" });
  assert.equal(await statusOf(requestId), "pending_customer");
  await context.close();
});

test("a customer approver approves from the request's detail page", async () => {
  const { page, context } = await open("approver");
  assert.deepEqual(await navNames(page), ["Customer Lockbox requests", "Settings", "My account"]);
  await page.getByRole("link", { name: TICKET }).click();
  await page.getByRole("heading", { level: 1, name: `Request ${TICKET}` }).waitFor();
  await page.getByText("Waiting for customer").first().waitFor();
  await page.getByLabel("Comment").fill("OK for this case only");
  await page.getByRole("button", { name: "Approve" }).click();
  await page.getByText("Access ends in").waitFor();
  await page.getByRole("button", { name: "Revoke" }).waitFor();
  const r = (await t.request("GET", `/v1/requests/${requestId}`, { token: people.approver!.token })).body;
  assert.equal(r.status, "approved");
  assert.equal(r.approvals[0].by.name, "Alice Web-Approver");
  assert.equal(r.approvals[0].comment, "OK for this case only");
  await context.close();
});

test("the engineer sees the live countdown and copies the grant token", async () => {
  const page = engineerPage;
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "My requests" }).click();
  const grant = page.getByRole("article", { name: `Active access ${TICKET}` });
  await grant.waitFor();
  const countdown = grant.getByTestId("countdown");
  const first = await countdown.innerText();
  assert.match(first, /Access ends in (59 min|1 h 00 min)/);
  await page.waitForTimeout(1200);
  assert.notEqual(await countdown.innerText(), first, "the countdown ticks");

  await grant.getByRole("button", { name: "Get grant token" }).click();
  const token = await grant.getByLabel("Grant token").inputValue();
  assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/, "a compact JWS");
  await grant.getByRole("button", { name: "Copy grant token" }).click();
  await grant.getByText(/Copied to the clipboard|press Ctrl\+C/).waitFor();
  // A Locator object is always truthy; count and visibility are what the page actually shows.
  const release = grant.getByRole("button", { name: "Release access" });
  assert.equal(await release.count(), 1, "one Release access button on the active grant");
  assert.equal(await release.isVisible(), true, "the Release access button is visible");
});

test("the engineer releases access early, and cancels a pending request from its page", async () => {
  const page = engineerPage;
  const grant = page.getByRole("article", { name: `Active access ${TICKET}` });
  await grant.getByRole("button", { name: "Release access" }).click();
  await grant.waitFor({ state: "detached" });
  assert.equal(await statusOf(requestId), "completed");

  const pending = await t.request("POST", "/v1/requests", { token: people.engineer!.token }, {
    tenantId: w.tenantA,
    ticket: "CASE-WEB-2",
    reason: "Second look",
    services: ["files"],
    accessLevel: "read",
    requestedMinutes: 30,
  });
  assert.equal(pending.status, 201);
  await page.goto(`${origin}/requests/${pending.body.id}`);
  await page.getByRole("heading", { level: 1, name: "Request CASE-WEB-2" }).waitFor();
  await page.getByRole("button", { name: "Cancel request" }).click();
  await page.getByTestId("outcome").getByText("Request canceled.").waitFor();
  await page.locator(".timeline").getByText("Request canceled").waitFor();
  assert.equal(await statusOf(pending.body.id), "canceled");
});

test("a customer approver revokes active access from the request's page", async () => {
  const as = { token: people.engineer!.token };
  const filed = await t.request("POST", "/v1/requests", as, {
    tenantId: w.tenantA,
    ticket: "CASE-WEB-3",
    reason: "Check a mail flow rule",
    services: ["mail"],
    accessLevel: "write",
    requestedMinutes: 120,
  });
  assert.equal((await t.request("POST", `/v1/requests/${filed.body.id}/approve`, w.manager.as, {})).status, 200);
  assert.equal((await t.request("POST", `/v1/requests/${filed.body.id}/approve`, w.a.approver2.as, {})).status, 200);

  const { page, context } = await open("approver");
  await page.goto(`${origin}/requests/${filed.body.id}`);
  await page.getByRole("heading", { level: 1, name: "Request CASE-WEB-3" }).waitFor();
  await page.getByLabel("Comment").fill("Done with this, thanks");
  await page.getByRole("button", { name: "Revoke" }).click();
  // Revoking asks first; going back changes nothing.
  const dialog = page.getByRole("dialog", { name: "Revoke this access now?" });
  await dialog.getByRole("button", { name: "Go back" }).click();
  await dialog.waitFor({ state: "hidden" });
  assert.equal(await statusOf(filed.body.id), "approved");
  await page.getByRole("button", { name: "Revoke" }).click();
  await dialog.getByRole("button", { name: "Yes, revoke" }).click();
  await page.getByTestId("outcome").getByText(/Revoked — access has ended/).waitFor();
  await page.locator(".timeline").getByText("Access revoked").waitFor();
  const r = (await t.request("GET", `/v1/requests/${filed.body.id}`, as)).body;
  assert.equal(r.status, "revoked");
  assert.equal(r.endedBy.name, "Alice Web-Approver");
  await context.close();
});

test("the settings page refuses lockbox before auditing, says why, and manages webhooks", async () => {
  const { page, context } = await open("adminB");
  await page.getByRole("link", { name: "Settings" }).click();
  const lockbox = page.getByRole("switch", { name: "Require approval for all data access requests" });
  await lockbox.waitFor();
  assert.equal(await lockbox.isDisabled(), true);
  assert.equal(await lockbox.isChecked(), false);
  const describedBy = ((await lockbox.getAttribute("aria-describedby")) ?? "").split(" ").filter(Boolean);
  const why = (await Promise.all(describedBy.map((id) => page.locator(`[id="${id}"]`).textContent()))).join(" ");
  assert.match(why, /Turn on “Record user and admin activity” first/);
  assert.ok(await page.getByText("Lockbox refuses to turn it on while auditing is off").isVisible());

  await page.getByRole("switch", { name: "Record user and admin activity" }).check();
  assert.equal(await lockbox.isDisabled(), false);
  await lockbox.check();
  await page.getByRole("button", { name: "Save settings" }).click();
  await page.getByText("Settings saved.").waitFor();
  const settings = (await t.request("GET", `/v1/tenants/${w.tenantB}/settings`, w.b.admin.as)).body;
  assert.equal(settings.auditingEnabled, true);
  assert.equal(settings.lockboxEnabled, true);

  // Webhooks, on the same page: the secret is shown once, deliveries open, the endpoint goes away.
  const url = "https://93.184.215.14/lockbox-hook";
  await page.getByLabel("Endpoint URL").fill(url);
  await page.getByRole("checkbox", { name: "request.approved" }).check();
  await page.getByRole("button", { name: "Add webhook" }).click();
  assert.match(await page.getByLabel("Signing secret").inputValue(), /.{16,}/);
  const hooks = (await t.request("GET", `/v1/tenants/${w.tenantB}/webhooks`, w.b.admin.as)).body.items;
  assert.deepEqual(
    hooks.map((h: { url: string; events: string[] }) => [h.url, h.events]),
    [[url, ["request.approved"]]],
  );
  await page.getByRole("button", { name: "Deliveries" }).click();
  await page.getByText("No deliveries yet.").waitFor();
  await page.getByRole("button", { name: `Delete webhook ${url}` }).click();
  await page.getByText("No webhooks").waitFor();
  assert.equal((await t.request("GET", `/v1/tenants/${w.tenantB}/webhooks`, w.b.admin.as)).body.items.length, 0);
  await context.close();
});

test("the audit log finds the approval by request, and verifies the chain in the browser", async () => {
  const { page, context } = await open("adminA");
  await page.getByRole("link", { name: "Audit log" }).click();
  await page.getByText(/Chain verified: \d+ events intact/).waitFor();
  const rows = (text: string) => page.getByRole("row").filter({ hasText: text });
  await rows("CASE-WEB-3").first().waitFor();
  await page.getByLabel("Request ID").fill(requestId);
  await page.getByRole("button", { name: "Search" }).click();
  await until(async () => (await rows("CASE-WEB-3").count()) === 0, "the search narrows the list to the request");
  const row = rows("request.approved");
  assert.equal(await row.count(), 1);
  assert.match(await row.innerText(), /Alice Web-Approver/);
  assert.equal(await rows("request.manager_approved").count(), 1);
  assert.equal(await rows("tenant.settings_changed").count(), 0, "the search is by request");
  // The verifier really recomputes: an export with one edited event is reported as broken there.
  await page.route("**/v1/audit/export?*", async (route) => {
    const original = await route.fetch();
    const lines = (await original.text()).trim().split("\n");
    const second = JSON.parse(lines[1]!);
    lines[1] = JSON.stringify({ ...second, at: "2020-01-01T00:00:00.000Z" });
    await route.fulfill({ response: original, body: `${lines.join("\n")}\n` });
  });
  await page.getByRole("button", { name: "Verify again" }).click();
  await page.getByText("Chain broken at seq 2").waitFor();
  await page.unroute("**/v1/audit/export?*");

  const exportLink = page.getByRole("link", { name: "Export JSONL" });
  assert.match((await exportLink.getAttribute("href")) ?? "", /\/v1\/audit\/export\?format=jsonl&chain=tenant%3A/);
  await context.close();
});

test("on a phone-width screen the navigation opens from the menu button", async () => {
  await engineerPage.setViewportSize({ width: 390, height: 844 });
  const nav = engineerPage.getByRole("navigation", { name: "Main" });
  assert.equal(await nav.isVisible(), false);
  await engineerPage.getByRole("button", { name: "Menu" }).click();
  await nav.getByRole("link", { name: "Services" }).click();
  await engineerPage.getByRole("heading", { level: 1, name: "Services" }).waitFor();
  assert.equal(await nav.isVisible(), false, "the menu closes after choosing a page");
});

test("the pages work from the keyboard: skip link, navigation, focus on the new page's heading", async () => {
  const page = engineerPage;
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(`${origin}/my-requests`);
  await page.getByRole("heading", { level: 1, name: "My requests" }).waitFor();
  const focused = () => page.evaluate("document.activeElement && document.activeElement.textContent.trim()");
  await page.keyboard.press("Tab");
  assert.equal(await focused(), "Skip to content");
  let steps = 0;
  while ((await focused()) !== "New data access request" && steps++ < 15) await page.keyboard.press("Tab");
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { level: 1, name: "New data access request" }).waitFor();
  assert.equal(await focused(), "New data access request", "focus moves to the new page's heading");
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("button", { name: "Sign in", exact: true }).waitFor();
  assert.equal(new URL(page.url()).pathname, "/");
});

test("a provider admin onboards a tenant, and its admin accepts the invitation link", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  problems.push(watchContext(context, origin));
  const page = await context.newPage();
  await signIn(page, origin, t.admin.email, ADMIN_PASSWORD);
  assert.equal(await page.title(), "Tenants");
  await page.getByLabel("Tenant name").fill("Gamma Web");
  await page.getByLabel("Admin email").fill("first-admin@gamma.test");
  await page.getByRole("button", { name: "Onboard tenant" }).click();
  const link = await page.getByLabel("Invitation link").inputValue();
  assert.match(link, /\/accept-invitation#token=inv_/);
  await page.getByRole("cell", { name: "Gamma Web" }).waitFor();

  const invitee = await (await browser.newContext()).newPage();
  const watched = watchContext(invitee.context(), origin);
  await invitee.goto(`${origin}${new URL(link).pathname}${new URL(link).hash}`);
  await invitee.getByLabel("Your name (optional)").fill("Gemma Gamma");
  assert.equal(await invitee.evaluate("window.location.hash"), "", "the token is removed from the address bar");
  await invitee.getByLabel("Password", { exact: true }).fill("a long enough password");
  await invitee.getByLabel("Confirm password").fill("a long enough password");
  await invitee.getByRole("button", { name: "Activate account" }).click();
  await invitee.getByText("is ready").waitFor();
  await invitee.getByRole("link", { name: "Continue to sign in" }).click();
  await invitee.getByLabel("Email").fill("first-admin@gamma.test");
  await invitee.getByLabel("Password").fill("a long enough password");
  await invitee.getByRole("button", { name: "Sign in", exact: true }).click();
  await invitee.getByRole("heading", { level: 1, name: "Customer Lockbox requests" }).waitFor();
  assert.match(await invitee.getByRole("banner").innerText(), /Gemma Gamma/);
  problems.push(watched);
  await invitee.context().close();
  await context.close();
});

test("a failed sign-in shows a sentence, not a reference id", async () => {
  const context = await browser.newContext();
  const seen = watchContext(context, origin);
  const page = await context.newPage();
  await page.goto(origin);
  await page.getByLabel("Email").fill(people.engineer!.email);
  await page.getByLabel("Password").fill("not the password at all");
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  const alert = page.getByRole("alert");
  await alert.waitFor();
  // A sentence for the person at the form; no support reference, never "Request id".
  assert.match(await alert.innerText(), /^The email or password is not right\./);
  assert.doesNotMatch(await alert.innerText(), /Request id|Reference|[0-9a-f]{8}-[0-9a-f]{4}/);
  assert.equal(await page.title(), "Sign in");
  // The refused login is the only thing the browser may complain about here.
  assert.deepEqual(seen.filter((p) => !/status of 401/.test(p)), []);
  await context.close();
});

test("no page logged a console error or contacted another host", () => {
  assert.deepEqual(problems.flat(), []);
});
