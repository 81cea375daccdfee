import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { assertWebBuilt, signIn, watchContext } from "../web/testing/browser.js";
import { serveForBrowser } from "./support/browser.js";
import { startTestApp, type TestApp } from "./support/test-app.js";
import { buildWorld, type World } from "./support/world.js";

/**
 * The request pages as each role reads them (issue 19): the engineer's request names its
 * customer and gives a working curl line; an ended request tells who ended it, when and why;
 * actions confirm, refresh and explain conflicts in words; deny and revoke ask first and take a
 * required comment; wording fits the reader's role; services by name; calm countdowns.
 */

let t: TestApp;
let w: World;
let browser: Browser;
let origin: string;
const problems: string[][] = [];
type Person = { email: string; password: string; name: string; token: string; id: string };
const people: Record<string, Person> = {};
let revokedRequestId = "";

before(async () => {
  assertWebBuilt();
  t = await startTestApp();
  t.clock.set(new Date().toISOString());
  w = await buildWorld(t);
  const created = await t.request("POST", "/v1/services", w.providerAdmin.as, { key: "bi", name: "Business intelligence", description: "Reports" });
  assert.equal(created.status, 201);
  const add = async (key: string, roles: Parameters<TestApp["user"]>[0], tenantId: string | null, name: string) => {
    const { user, password, token } = await t.user(roles, tenantId, name);
    people[key] = { email: user.email, password, name, token, id: user.id };
  };
  await add("engineer", ["engineer"], null, "Rita Engineer");
  await add("manager", ["manager"], null, "Maya Web-Manager");
  await add("approver", ["lockbox_approver"], w.tenantA, "Alice Approver");
  await add("admin", ["global_admin"], w.tenantA, "Gina Admin");
  await add("auditor", ["auditor"], w.tenantA, "Otto Auditor");
  ({ origin, browser } = await serveForBrowser(t));
});

after(async () => {
  await browser?.close();
  await t?.close();
});

/** Expected browser complaints: the refused call a test provokes on purpose. */
function watch(context: BrowserContext, allowed: RegExp[] = []) {
  const seen = watchContext(context, origin);
  problems.push(seen);
  return () => seen.splice(0, seen.length, ...seen.filter((p) => !allowed.some((re) => re.test(p))));
}

async function open(who: string, allowed: RegExp[] = []): Promise<{ context: BrowserContext; page: Page; settle: () => void }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const settle = watch(context, allowed);
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin });
  const page = await context.newPage();
  await signIn(page, origin, people[who]!.email, people[who]!.password);
  return { context, page, settle };
}

const as = (who: string) => ({ token: people[who]!.token });
async function file(ticket: string, overrides: Record<string, unknown> = {}): Promise<string> {
  const res = await t.request("POST", "/v1/requests", as("engineer"), {
    tenantId: w.tenantA,
    ticket,
    reason: `Work on ${ticket}`,
    services: ["bi", "mail"],
    accessLevel: "read",
    requestedMinutes: 60,
    ...overrides,
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.id;
}
const managerApproves = async (id: string) => assert.equal((await t.request("POST", `/v1/requests/${id}/approve`, as("manager"), {})).status, 200);
const customerApproves = async (id: string) => assert.equal((await t.request("POST", `/v1/requests/${id}/approve`, as("approver"), {})).status, 200);
const statusOf = async (id: string) => (await t.request("GET", `/v1/requests/${id}`, as("engineer"))).body;

test("the engineer's request page names the customer and gives a curl line with both headers", async () => {
  const id = await file("CASE-CURL");
  await managerApproves(id);
  await customerApproves(id);
  const { page, context } = await open("engineer");
  await page.goto(`${origin}/requests/${id}`);
  await page.getByRole("heading", { level: 1, name: "Request CASE-CURL" }).waitFor();
  const facts = page.getByRole("region", { name: "What is asked" });
  // The customer's and the services' names arrive with their own requests: wait for them.
  await facts.getByText(/Alpha \(tenant id/).waitFor();
  await facts.getByText("Business intelligence").waitFor();
  assert.match(await facts.innerText(), new RegExp(`Customer\\s+Alpha \\(tenant id ${w.tenantA}\\)`));
  // Services by their catalog names, not their keys.
  assert.match(await facts.innerText(), /Business intelligence/);
  assert.doesNotMatch(await facts.innerText(), /\bbi\b/);
  // The engineer's own panel is not "Your decision".
  await page.getByRole("heading", { name: "Your access" }).waitFor();
  assert.equal(await page.getByRole("heading", { name: "Your decision" }).count(), 0);

  await page.getByRole("button", { name: "Get grant token" }).click();
  const token = await page.getByRole("textbox", { name: "Grant token" }).inputValue();
  const curl = await page.getByRole("textbox", { name: "curl command" }).inputValue();
  assert.equal(curl, `curl -H "Authorization: Lockbox ${token}" -H "X-Lockbox-Tenant: ${w.tenantA}" "$GATEWAY_URL/…"`);
  await page.getByRole("button", { name: "Copy curl command" }).click();
  await page.getByText(/Copied to the clipboard|press Ctrl\+C/).waitFor();
  await context.close();
});

test("My requests: no Requester column, services by name, release confirmed, and the real end shown", async () => {
  const id = await file("CASE-REL");
  await managerApproves(id);
  await customerApproves(id);
  const { page, context } = await open("engineer");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "My requests" }).click();
  const table = page.getByRole("table", { name: "My requests" });
  await table.waitFor();
  assert.deepEqual(
    (await table.getByRole("columnheader").allInnerTexts()).map((s) => s.trim()),
    ["Ticket", "Status", "Customer", "Services", "Duration", "Deadline or access", "Requested"],
  );
  const grant = page.getByRole("article", { name: "Active access CASE-REL" });
  // The catalog's names arrive with their own request: wait for them (or time out and fail).
  await grant.getByText("Business intelligence").waitFor();
  assert.doesNotMatch(await grant.innerText(), /^bi$/m);
  assert.match(await grant.getByTestId("grant-customer").innerText(), new RegExp(`Alpha \\(tenant id ${w.tenantA}\\)`));
  await grant.getByRole("button", { name: "Release access" }).click();
  await page.getByTestId("outcome").getByText("Access released — the grant token no longer works.").waitFor();
  await grant.waitFor({ state: "detached" });

  const r = await statusOf(id);
  assert.equal(r.status, "completed");
  await page.goto(`${origin}/requests/${id}`);
  const ended = page.getByTestId("ended");
  await ended.waitFor();
  assert.match(await ended.innerText(), /by Rita Engineer · Released early by the engineer/);
  // The access shown is the real one: it ended at the release, not at the original window's end.
  const window = await page.getByTestId("access-window").innerText();
  assert.match(window, /ended early; it was to run until/);
  assert.equal(await page.getByRole("region", { name: "What is asked" }).getByText("Access window").count(), 0);
  await context.close();
});

test("the customer reads 'Decide within' only when it is its turn, never in seconds while hours are left", async () => {
  const id = await file("CASE-TURN");
  const { page, context } = await open("approver");
  await page.goto(`${origin}/requests/${id}`);
  await page.getByRole("heading", { level: 1, name: "Request CASE-TURN" }).waitFor();
  const countdown = page.getByTestId("countdown");
  assert.match(await countdown.innerText(), /^Waiting for the provider's manager; expires in \d+ h \d\d min$/);
  assert.equal(await page.getByText("Decide within").count(), 0);

  await managerApproves(id);
  await page.reload();
  await page.getByRole("button", { name: "Approve" }).waitFor();
  assert.match(await countdown.innerText(), /^Decide within \d+ h \d\d min$/, "hours left: no ticking seconds");
  await context.close();
});

test("the auditor is not told to approve, deny or revoke", async () => {
  const { page, context } = await open("auditor");
  await page.getByRole("heading", { level: 1, name: "Customer Lockbox requests" }).waitFor();
  const intro = await page.locator(".page-intro").innerText();
  assert.doesNotMatch(intro, /approve, deny or revoke/);
  assert.match(intro, /Open one to read/);
  await context.close();
});

test("a stale queue says in words who decided first, and refreshes; a success is confirmed", async () => {
  const stale = await file("CASE-STALE");
  const fresh = await file("CASE-FRESH");
  const { page, context, settle } = await open("manager", [/status of 409/]);
  const staleItem = page.getByRole("article", { name: "Request CASE-STALE" });
  await staleItem.waitFor();
  // Another manager approves from another tab while this page still shows the request.
  assert.equal((await t.request("POST", `/v1/requests/${stale}/approve`, w.manager2.as, {})).status, 200);
  await staleItem.getByRole("button", { name: "Approve" }).click();
  const outcome = page.getByTestId("outcome");
  await outcome.getByText(/Mo Manager approved this at .+; it now waits for the customer\./).waitFor();
  const said = await outcome.innerText();
  assert.doesNotMatch(said, /pending_customer|Reference|Request id/);
  await staleItem.waitFor({ state: "detached" });
  await page.getByRole("table", { name: "Waiting for the customer" }).getByRole("link", { name: "CASE-STALE" }).waitFor();

  await page.getByRole("article", { name: "Request CASE-FRESH" }).getByRole("button", { name: "Approve" }).click();
  await outcome.getByText("Approved — waiting for the customer.").waitFor();
  assert.equal((await statusOf(fresh)).status, "pending_customer");
  settle();
  await context.close();
});

test("error boxes label the correlation id 'Reference', never 'Request id'", async () => {
  const { page, context, settle } = await open("approver", [/status of 404/]);
  await page.goto(`${origin}/requests/00000000-0000-4000-8000-000000000000`);
  const alert = page.getByRole("alert");
  await alert.waitFor();
  const text = await alert.innerText();
  assert.match(text, /Reference: \S+/);
  assert.doesNotMatch(text, /Request id/);
  settle();
  await context.close();
});

test("deny and revoke ask first; with the setting on, the comment is required, and the end is told", async () => {
  // The tenant's global admin turns the setting on with its checkbox.
  const admin = await open("admin");
  await admin.page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Settings" }).click();
  const box = admin.page.getByRole("switch", { name: "Require a comment to deny or revoke" });
  await box.check();
  await admin.page.getByRole("button", { name: "Save settings" }).click();
  await admin.page.getByText("Settings saved.").waitFor();
  assert.equal((await t.request("GET", `/v1/tenants/${w.tenantA}/settings`, as("admin"))).body.requireDecisionComment, true);
  await admin.context.close();

  const denyId = await file("CASE-DENY");
  await managerApproves(denyId);
  const { page, context } = await open("approver");
  await page.goto(`${origin}/requests/${denyId}`);
  await page.getByRole("button", { name: "Deny" }).click();
  await page.getByText("Write a comment: your organization asks for one to deny a request.").waitFor();
  assert.equal(await page.getByRole("dialog").count(), 0, "no confirmation before the comment is there");
  assert.equal((await statusOf(denyId)).status, "pending_customer");
  await page.getByLabel(/^Comment/).fill("Not for this case");
  await page.getByRole("button", { name: "Deny" }).click();
  const dialog = page.getByRole("dialog", { name: "Deny this request?" });
  // From the keyboard: focus starts on the safe choice, and Escape leaves without denying.
  await dialog.waitFor();
  assert.equal(await page.evaluate("document.activeElement.textContent"), "Go back");
  await page.keyboard.press("Escape");
  await dialog.waitFor({ state: "hidden" });
  assert.equal((await statusOf(denyId)).status, "pending_customer");
  await page.getByRole("button", { name: "Deny" }).click();
  await dialog.getByText("Your comment: “Not for this case”").waitFor();
  await dialog.getByRole("button", { name: "Yes, deny" }).click();
  await page.getByTestId("outcome").getByText("Denied — no access is granted.").waitFor();
  const denied = await statusOf(denyId);
  assert.equal(denied.status, "denied");
  assert.equal(denied.customerDecision.comment, "Not for this case");

  const revokeId = await file("CASE-REVOKE");
  revokedRequestId = revokeId;
  await managerApproves(revokeId);
  await customerApproves(revokeId);
  await page.goto(`${origin}/requests/${revokeId}`);
  await page.getByRole("heading", { name: "Revoke access" }).waitFor();
  await page.getByRole("button", { name: "Revoke" }).click();
  await page.getByText("Write a comment: your organization asks for one to revoke a request.").waitFor();
  await page.getByLabel(/^Comment/).fill("Case closed early");
  await page.getByRole("button", { name: "Revoke" }).click();
  await page.getByRole("dialog", { name: "Revoke this access now?" }).getByRole("button", { name: "Yes, revoke" }).click();
  await page.getByTestId("outcome").getByText(/Revoked — access has ended/).waitFor();
  const ended = page.getByTestId("ended");
  await ended.getByText("Case closed early").waitFor();
  assert.match(await ended.innerText(), /by Alice Approver · Revoked/);
  assert.match(await page.getByTestId("access-window").innerText(), /ended early/);
  const revoked = await statusOf(revokeId);
  assert.equal(revoked.endComment, "Case closed early");
  await context.close();
});

test("the duration list offers only what the customer allows (4 h before one is chosen)", async () => {
  assert.equal((await t.request("PATCH", `/v1/tenants/${w.tenantB}/settings`, w.b.admin.as, { maxAccessMinutes: 60 })).status, 200);
  const { page, context } = await open("engineer");
  await page.getByRole("heading", { level: 1, name: "New data access request" }).waitFor();
  const options = async () => (await page.getByLabel("Duration").locator("option").allInnerTexts()).map((s) => s.trim());
  assert.equal((await options()).at(-1), "4 h");
  await page.getByLabel("Customer").selectOption({ label: "Beta" });
  await page.getByText("Longest access: 1 h.").waitFor();
  assert.deepEqual(await options(), ["15 min", "30 min", "1 h"]);
  await context.close();
});

test("the audit log: a catalog of operations, a details pane per row, and one verdict at a time", async () => {
  const { page, context, settle } = await open("admin", [/status of 500/]);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Audit log" }).click();
  const status = page.getByTestId("chain-status");
  await status.getByText(/Chain verified: \d+ events intact/).waitFor();

  // The Operation filter is the catalog, not a guess at exact spelling.
  const operation = page.getByLabel("Operation");
  assert.equal(await operation.evaluate((el) => el.tagName), "SELECT");
  await operation.selectOption("request.revoked");
  await page.getByRole("button", { name: "Search" }).click();
  const rows = page.getByRole("table", { name: "Audit events" }).locator("tbody > tr");
  await rows.filter({ hasNotText: "request.revoked" }).first().waitFor({ state: "detached" });
  assert.equal(await rows.count(), 1);
  const row = rows.first();
  const revokeId = revokedRequestId;
  // The target is shown in full, not cut short.
  assert.match(await row.innerText(), new RegExp(revokeId));
  assert.equal(await row.getByRole("button", { name: /^Event \d+$/ }).count(), 0);
  await row.getByRole("button", { name: /^Show details of request.revoked/ }).click();
  const pane = page.getByRole("group", { name: "Details of request.revoked" });
  assert.match(await pane.innerText(), /Actor\s+Alice Approver/);
  const raw = pane.locator("pre.raw");
  assert.equal(await raw.isVisible(), false, "the raw event is behind a toggle");
  await pane.getByText("Raw event (as exported and hashed)").click();
  assert.match(await raw.innerText(), /"operation": "request.revoked"/);
  await pane.getByRole("link", { name: "Open the request" }).click();
  await page.getByRole("heading", { level: 1, name: "Request CASE-REVOKE" }).waitFor();

  // A failed re-check replaces the green verdict; the two are never shown together.
  await page.goBack();
  await status.getByText(/Chain verified/).waitFor();
  await page.route("**/v1/audit/export?*", (route) => route.fulfill({ status: 500, contentType: "application/json", body: JSON.stringify({ error: { code: "internal", message: "The export failed.", requestId: "ref-1" } }) }));
  await page.getByRole("button", { name: "Verify again" }).click();
  await status.getByText("The chain could not be checked").waitFor();
  assert.equal(await status.getByText(/Chain verified/).count(), 0);
  await page.unroute("**/v1/audit/export?*");
  await page.route("**/v1/audit/export?*", async (route) => {
    const original = await route.fetch();
    const lines = (await original.text()).trim().split("\n");
    lines[1] = JSON.stringify({ ...JSON.parse(lines[1]!), at: "2020-01-01T00:00:00.000Z" });
    await route.fulfill({ response: original, body: `${lines.join("\n")}\n` });
  });
  await page.getByRole("button", { name: "Verify again" }).click();
  await status.getByText("Chain broken at seq 2").waitFor();
  assert.equal(await status.getByText(/Chain verified/).count(), 0);
  await page.unroute("**/v1/audit/export?*");
  await page.getByRole("button", { name: "Verify again" }).click();
  await status.getByText(/Chain verified/).waitFor();
  assert.equal(await status.getByText("Chain broken").count(), 0);
  settle();
  await context.close();
});

test("no page logged a console error or contacted another host", () => {
  assert.deepEqual(problems.flat(), []);
});
