import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { assertWebBuilt, signIn, watchContext } from "../web/testing/browser.js";
import { serveForBrowser } from "./support/browser.js";
import { startTestApp, type TestApp } from "./support/test-app.js";
import { buildWorld, type World } from "./support/world.js";

/**
 * SPEC 17 in the admin center, in one pass: the request page shows the reason type and the
 * scheduled start; the customer's approver asks a question and the requester answers it; the
 * requester asks for more time and the approver approves it; the history timeline shows the
 * thread and the extension, and the access window moves.
 */
let t: TestApp;
let w: World;
let browser: Browser;
let origin: string;
const problems: string[] = [];
type Person = { email: string; password: string; token: string };
const people: Record<string, Person> = {};

before(async () => {
  assertWebBuilt();
  t = await startTestApp();
  t.clock.set(new Date().toISOString());
  w = await buildWorld(t);
  for (const [key, roles, tenant, name] of [
    ["engineer", ["engineer"], null, "Wendy Engineer"],
    ["manager", ["manager"], null, "Wes Manager"],
    ["approver", ["lockbox_approver"], w.tenantA, "Ava Approver"],
  ] as const) {
    const { user, password, token } = await t.user([...roles], tenant, name);
    people[key] = { email: user.email, password, token };
  }
  ({ origin, browser } = await serveForBrowser(t));
});
after(async () => {
  await browser?.close();
  await t?.close();
});

async function open(who: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const seen = watchContext(context, origin);
  context.on("close", () => problems.push(...seen));
  const page = await context.newPage();
  await signIn(page, origin, people[who]!.email, people[who]!.password);
  return { context, page };
}
const as = (who: string) => ({ token: people[who]!.token });

test("reason type, scheduled start, question thread and extension on the request page", async () => {
  const startAt = new Date(Math.ceil((t.clock.now().getTime() + 5 * 60_000) / 60_000) * 60_000).toISOString();
  const created = await t.request("POST", "/v1/requests", as("engineer"), {
    tenantId: w.tenantA,
    ticket: "CASE-WF",
    reasonType: "production_incident",
    startAt,
    reason: "Queue is stuck",
    services: ["mail"],
    accessLevel: "read",
    requestedMinutes: 60,
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const id = created.body.id as string;
  assert.equal((await t.request("POST", `/v1/requests/${id}/approve`, as("manager"), {})).status, 200);

  // The approver asks.
  const approver = await open("approver");
  await approver.page.goto(`${origin}/requests/${id}`);
  await approver.page.getByRole("heading", { level: 1, name: "Request CASE-WF" }).waitFor();
  assert.equal(await approver.page.getByTestId("reason-type").innerText(), "Production incident");
  await approver.page.getByTestId("scheduled-start").waitFor();
  await approver.page.getByRole("textbox", { name: "Ask the requester" }).fill("Which queue exactly?");
  await approver.page.getByRole("button", { name: "Ask", exact: true }).click();
  const thread = approver.page.locator('.timeline [data-kind="question"]');
  await thread.getByText("Which queue exactly?").waitFor();

  // The requester answers.
  const engineer = await open("engineer");
  await engineer.page.goto(`${origin}/requests/${id}`);
  await engineer.page.getByText("asks: “Which queue exactly?”").waitFor();
  await engineer.page.getByLabel("Your answer").fill("The outbound mail queue");
  await engineer.page.getByRole("button", { name: "Answer" }).click();
  await engineer.page.locator('.timeline [data-kind="answer"]').getByText("The outbound mail queue").waitFor();
  const q = (await t.request("GET", `/v1/requests/${id}`, as("approver"))).body.questions[0];
  assert.equal(q.answer, "The outbound mail queue");

  // The approver approves the request (through the API: the decision panel has its own tests), then
  // the engineer asks for more time from the page.
  assert.equal((await t.request("POST", `/v1/requests/${id}/approve`, as("approver"), {})).status, 200);
  await engineer.page.reload();
  await engineer.page.getByLabel("More minutes").fill("20");
  await engineer.page.getByLabel("Why more time").fill("Replay takes longer");
  await engineer.page.getByRole("button", { name: "Ask for more time" }).click();
  await engineer.page.locator(".timeline").getByText("Extension waits for the customer").waitFor();

  // The approver approves the extension; the access window moves by 20 minutes.
  await approver.page.reload();
  await approver.page.getByTestId("extension-decision").getByText("Replay takes longer").waitFor();
  await approver.page.getByRole("button", { name: "Approve extension" }).click();
  await approver.page.locator('.timeline [data-kind="extension"]').getByText(/Extension approved: access until/).waitFor();
  const r = (await t.request("GET", `/v1/requests/${id}`, as("approver"))).body;
  assert.equal(r.extensions[0].status, "approved");
  assert.equal(r.accessStartsAt, startAt);
  assert.equal(r.accessEndsAt, new Date(Date.parse(startAt) + 80 * 60_000).toISOString());
  assert.equal(await approver.page.getByTestId("extension-decision").count(), 0, "nothing left to decide");

  await approver.context.close();
  await engineer.context.close();
  assert.deepEqual(problems, []);
});
