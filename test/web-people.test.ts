import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { assertWebBuilt, signIn, watchContext } from "../web/testing/browser.js";
import { serveForBrowser } from "./support/browser.js";
import { startTestApp, type TestApp } from "./support/test-app.js";

/**
 * Settings → Users and roles in Chromium (issue 19, SPEC section 20): each person's status,
 * deactivate / reactivate / remove behind a confirmation, pending invitations revoked or sent
 * again (the new link shown once), and an invitation page that refuses a dead link before any
 * password is typed.
 */

let t: TestApp;
let browser: Browser;
let origin: string;
let tenantId: string;
const problems: string[][] = [];
let admin: { email: string; password: string };
let approver: { id: string; token: string; name: string };

before(async () => {
  assertWebBuilt();
  t = await startTestApp();
  t.clock.set(new Date().toISOString());
  const created = await t.request("POST", "/v1/tenants", { token: t.adminToken }, { name: "Peoplecorp", adminEmail: "first@people.test" });
  assert.equal(created.status, 201);
  tenantId = created.body.tenant.id;
  const a = await t.user(["global_admin"], tenantId, "Gwen Admin");
  admin = { email: a.user.email, password: a.password };
  const p = await t.user(["lockbox_approver"], tenantId, "Paul Approver");
  approver = { id: p.user.id, token: p.token, name: "Paul Approver" };
  ({ origin, browser } = await serveForBrowser(t));
});

after(async () => {
  await browser?.close();
  await t?.close();
});

async function newContext(allowed: RegExp[] = []): Promise<{ context: BrowserContext; settle: () => void }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const seen = watchContext(context, origin);
  problems.push(seen);
  return { context, settle: () => seen.splice(0, seen.length, ...seen.filter((p) => !allowed.some((re) => re.test(p)))) };
}

const onOrigin = (link: string) => `${origin}${new URL(link).pathname}${new URL(link).hash}`;
let page: Page;
let firstLink = "";
let secondLink = "";
const INVITEE = "ursula@people.test";

test("the users table shows each person's status, and adding someone lists a pending invitation", async () => {
  const { context } = await newContext();
  page = await context.newPage();
  await signIn(page, origin, admin.email, admin.password, "/settings");
  const users = page.getByRole("table", { name: "Users and roles" });
  const row = (name: string) => users.getByRole("row").filter({ hasText: name });
  await row("Paul Approver").getByText("Active").waitFor();
  // Nobody is offered to deactivate or remove themselves.
  assert.equal(await row("Gwen Admin").getByRole("button", { name: /Deactivate|Remove/ }).count(), 0);

  const add = page.getByRole("form", { name: "Add a user" });
  await add.getByLabel("Name").fill("Ursula New");
  await add.getByLabel("Email address").fill(INVITEE);
  await add.getByRole("checkbox", { name: "Lockbox approver" }).check();
  await add.getByRole("button", { name: "Add user" }).click();
  firstLink = await page.getByRole("textbox", { name: "Invitation link" }).inputValue();
  await row("Ursula New").getByText("Invited").waitFor();
  const pending = page.getByRole("table", { name: "Pending invitations" });
  await pending.getByRole("row").filter({ hasText: INVITEE }).waitFor();
});

test("re-sending an invitation shows the new link once; the old link is refused before any password", async () => {
  await page.getByRole("button", { name: `Resend invitation to ${INVITEE}` }).click();
  secondLink = await page.getByRole("textbox", { name: "New invitation link" }).inputValue();
  assert.notEqual(secondLink, firstLink);
  await page.getByText(`A new invitation link for ${INVITEE} is below; the old link no longer works.`).waitFor();

  const { context, settle } = await newContext([/status of 410/]);
  const invitee = await context.newPage();
  await invitee.goto(onOrigin(firstLink));
  await invitee.getByText("This invitation link no longer works").waitFor();
  assert.equal(await invitee.getByLabel("Password", { exact: true }).count(), 0, "no password field for a dead link");
  const valid = await context.newPage();
  await valid.goto(onOrigin(secondLink));
  await valid.getByText(`Choose a password to activate the account ${INVITEE}`).waitFor();
  assert.equal(await valid.getByLabel("Your name (optional)").inputValue(), "Ursula New");
  settle();
  await context.close();
});

test("revoking an invitation asks first, and its link stops working", async () => {
  await page.getByRole("button", { name: `Revoke invitation to ${INVITEE}` }).click();
  const dialog = page.getByRole("dialog", { name: `Revoke the invitation to ${INVITEE}?` });
  await dialog.getByRole("button", { name: "Yes, revoke" }).click();
  await page.getByText(`The invitation for ${INVITEE} was revoked; its link no longer works.`).waitFor();
  await page.getByRole("table", { name: "Pending invitations" }).getByRole("row").filter({ hasText: INVITEE }).waitFor({ state: "detached" });
  const token = new URLSearchParams(new URL(secondLink).hash.slice(1)).get("token");
  assert.equal((await t.request("POST", "/v1/invitations/check", null, { token })).status, 410);
});

test("deactivate (confirmed) ends the person's access at once; reactivate and remove work from the table", async () => {
  const users = page.getByRole("table", { name: "Users and roles" });
  const row = () => users.getByRole("row").filter({ hasText: "Paul Approver" });
  assert.equal((await t.request("GET", "/v1/me", { token: approver.token })).status, 200);

  await row().getByRole("button", { name: "Deactivate Paul Approver" }).click();
  const dialog = page.getByRole("dialog", { name: "Deactivate Paul Approver?" });
  await dialog.getByRole("button", { name: "Go back" }).click();
  await dialog.waitFor({ state: "hidden" });
  await row().getByText("Active").waitFor();
  await row().getByRole("button", { name: "Deactivate Paul Approver" }).click();
  await dialog.getByRole("button", { name: "Yes, deactivate" }).click();
  await page.getByText("Paul Approver was deactivated: their sessions and tokens no longer work.").waitFor();
  await row().getByText("Deactivated").waitFor();
  assert.equal((await t.request("GET", "/v1/me", { token: approver.token })).status, 401, "the token stopped working at once");

  await row().getByRole("button", { name: "Reactivate Paul Approver" }).click();
  await page.getByText("Paul Approver was reactivated and can sign in again.").waitFor();
  await row().getByText("Active").waitFor();

  await row().getByRole("button", { name: "Remove Paul Approver" }).click();
  await page.getByRole("dialog", { name: "Remove Paul Approver?" }).getByRole("button", { name: "Yes, remove" }).click();
  await page.getByText("Paul Approver was removed.").waitFor();
  await row().waitFor({ state: "detached" });
  const list = (await t.request("GET", "/v1/users", { token: (await t.user(["global_admin"], tenantId)).token })).body.items;
  assert.equal(list.some((u: { id: string; status: string }) => u.id === approver.id && u.status !== "deactivated"), false);
});

test("on a phone-width screen the users table and its actions still work", async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.getByRole("button", { name: /Deactivate|Remove/ }).first().scrollIntoViewIfNeeded();
  const hasOverflow = await page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1");
  assert.equal(hasOverflow, false, "no sideways scrolling at phone width");
  await page.context().close();
});

test("no page logged a console error or contacted another host", () => {
  assert.deepEqual(problems.flat(), []);
});
