import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { assertWebBuilt, signIn, watchContext } from "../web/testing/browser.js";
import { serveForBrowser } from "./support/browser.js";
import { ADMIN_PASSWORD, startTestApp, type TestApp } from "./support/test-app.js";
import { buildWorld, fileRequest, type World } from "./support/world.js";

// Issue 16 in the admin center: Settings → Approval policies (editor, dry-run, delete) and the
// break-glass setting; on the request page the provider's break-glass button, the marker and the
// customer's review form; the provider admin's list of disputed reviews.

let t: TestApp;
let w: World;
let browser: Browser;
let origin: string;
const problems: string[][] = [];
const people: Record<string, { email: string; password: string }> = {};

before(async () => {
  assertWebBuilt();
  t = await startTestApp();
  t.clock.set(new Date().toISOString());
  w = await buildWorld(t);
  for (const [key, roles, tenantId] of [
    ["admin", ["global_admin"], w.tenantA],
    ["approver", ["lockbox_approver"], w.tenantA],
    ["manager", ["manager"], null],
  ] as const) {
    const { user, password } = await t.user([...roles], tenantId, `Web ${key}`);
    people[key] = { email: user.email, password };
  }
  people.providerAdmin = { email: t.admin.email, password: ADMIN_PASSWORD };
  ({ origin, browser } = await serveForBrowser(t));
});

after(async () => {
  await browser?.close();
  await t?.close();
  for (const seen of problems) assert.deepEqual(seen, [], "no browser errors");
});

async function open(who: string, path = "/"): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  problems.push(watchContext(context, origin));
  const page = await context.newPage();
  await signIn(page, origin, people[who]!.email, people[who]!.password, path);
  return page;
}

test("the global admin writes a policy, dry-runs it, saves and deletes it, and allows break-glass", async () => {
  await fileRequest(w, { ticket: "WEB-1", requestedMinutes: 30 });
  await fileRequest(w, { ticket: "OTHER-1", requestedMinutes: 30 });
  const page = await open("admin", "/settings");
  const card = page.getByRole("region", { name: "Approval policies" });
  await card.getByText("No approval policies").waitFor();
  await card.getByRole("button", { name: "Add a policy" }).click();
  const form = card.getByRole("form", { name: "Add a policy" });
  await form.getByLabel("Name").fill("Web incident reads");
  await form.getByLabel("Mail").check();
  await form.getByLabel("Longest access (minutes)").fill("30");
  await form.getByLabel("Ticket pattern").fill("WEB-*");
  await form.getByRole("button", { name: "Dry-run on the last 100 requests" }).click();
  await form.getByTestId("dry-run-result").filter({ hasText: /would have approved 1 of the last \d+ requests/ }).waitFor();
  await form.getByRole("button", { name: "Add policy" }).click();
  await card.getByTestId("policy").filter({ hasText: "Web incident reads" }).filter({ hasText: "version 1" }).waitFor();
  const stored = await t.request("GET", `/v1/tenants/${w.tenantA}/policies`, w.a.admin.as);
  assert.deepEqual(stored.body.items.map((p: { name: string; ticketPattern: string; maxMinutes: number }) => [p.name, p.ticketPattern, p.maxMinutes]), [["Web incident reads", "WEB-*", 30]]);

  await card.getByRole("button", { name: "Delete policy Web incident reads" }).click();
  await card.getByText("No approval policies").waitFor();
  assert.equal((await t.request("GET", `/v1/tenants/${w.tenantA}/policies`, w.a.admin.as)).body.items.length, 0);

  const bg = page.getByTestId("break-glass-setting");
  // The switch shows the stored setting: it turns on only once the saved settings were re-read.
  await bg.getByRole("switch", { name: "Allow break-glass access" }).click();
  await bg.getByRole("switch", { name: "Allow break-glass access", checked: true }).waitFor();
  assert.equal((await t.request("GET", `/v1/tenants/${w.tenantA}/settings`, w.a.admin.as)).body.breakGlass.allowed, true);
  await page.context().close();
});

test("a manager breaks the glass on the request page; the approver sees the marker and disputes; the provider admin lists it", async () => {
  // Independent of the test above: allow break-glass here too.
  await t.request("PATCH", `/v1/tenants/${w.tenantA}/settings`, w.a.admin.as, { breakGlass: { allowed: true, maxMinutes: 20 } });
  const id = await fileRequest(w, { reasonType: "production_incident", ticket: "WEB-INC-1", requestedMinutes: 60 });
  const manager = await open("manager", `/requests/${id}`);
  await manager.getByRole("button", { name: "Break glass" }).click();
  await manager.getByTestId("break-glass").getByText("Break-glass asked").waitFor();
  await manager.context().close();
  const confirmed = await t.request("POST", `/v1/requests/${id}/break-glass`, w.manager2.as, {});
  assert.equal(confirmed.body.status, "approved");

  const approver = await open("approver", `/requests/${id}`);
  const panel = approver.getByTestId("break-glass");
  await panel.getByText("Break-glass access").waitFor();
  await panel.getByText("Waiting for the customer's review.").waitFor();
  await panel.getByLabel("Comment").fill("We had no outage");
  await panel.getByRole("button", { name: "Dispute" }).click();
  await panel.getByTestId("break-glass-review").filter({ hasText: "Disputed" }).waitFor();
  const read = await t.request("GET", `/v1/requests/${id}`, w.a.admin.as);
  assert.equal(read.body.breakGlass.review.verdict, "disputed");
  assert.equal(read.body.breakGlass.review.comment, "We had no outage");
  await approver.context().close();

  const admin = await open("providerAdmin");
  await admin.getByRole("link", { name: "Disputed break-glass" }).click();
  const row = admin.getByTestId("disputed-list").getByRole("row").filter({ hasText: "WEB-INC-1" });
  await row.filter({ hasText: "We had no outage" }).waitFor();
  await admin.context().close();
});
