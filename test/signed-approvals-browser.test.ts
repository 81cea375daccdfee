import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { decodeJwt } from "jose";
import { type Gateway, startGateway } from "../src/gateway/gateway.js";
import { createVerifier } from "../src/sdk/index.js";
import { assertWebBuilt, launchChromium, watchContext } from "../web/testing/browser.js";
import { addVirtualAuthenticator, startAppOnLocalhost } from "./support/browser.js";
import { verifyExport } from "./support/signed-approvals-world.js";
import { allowDecisionsWithoutStepUp } from "./support/step-up.js";
import type { TestApp } from "./support/test-app.js";

/**
 * One real ceremony (SPEC 15): an approver registers a passkey in Chromium's virtual authenticator,
 * the tenant turns on signed approvals through the API, and the approver approves in the admin
 * center — which shows the signed terms before the passkey prompt. The stored signature then
 * verifies offline from the export, and the grant passes a gateway that requires signed approvals.
 */

let t: TestApp;
let browser: Browser;
let page: Page;
let origin: string;
let problems: string[] = [];
let gateway: Gateway;
let upstream: http.Server;

before(async () => {
  assertWebBuilt();
  let port: number;
  ({ t, origin, port } = await startAppOnLocalhost());
  await t.app.server.listen({ port, host: "127.0.0.1" });
  browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  problems = watchContext(context, origin);
  page = await context.newPage();
  page.setDefaultTimeout(15_000);
  await addVirtualAuthenticator(context, page);
});

after(async () => {
  await gateway?.close();
  await new Promise((r) => upstream?.close(r));
  await browser?.close();
  await t?.close();
});

test("an approval signed in the admin center verifies offline and passes the gateway", async () => {
  const admin = { token: t.adminToken };
  assert.equal((await t.request("POST", "/v1/services", admin, { key: "mail", name: "Mail", description: "Mailboxes" })).status, 201);
  const tenantId = (await t.request("POST", "/v1/tenants", admin, { name: "Passco", adminEmail: "first@passco.test" })).body.tenant.id as string;
  await allowDecisionsWithoutStepUp(t, tenantId);
  const globalAdmin = await t.user(["global_admin"], tenantId, "Gia Admin");
  for (const patch of [{ auditingEnabled: true }, { lockboxEnabled: true }]) {
    assert.equal((await t.request("PATCH", `/v1/tenants/${tenantId}/settings`, { token: globalAdmin.token }, patch)).status, 200);
  }
  const approver = await t.user(["lockbox_approver"], tenantId, "Alma Approver");
  const engineer = await t.user(["engineer"], null, "Erin Engineer");
  const manager = await t.user(["manager"], null, "Maya Manager");

  await page.goto(`${origin}/account`);
  await page.getByLabel("Email", { exact: true }).fill(approver.user.email);
  await page.getByLabel("Password", { exact: true }).fill(approver.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByRole("heading", { name: "My account" }).waitFor();
  await page.getByLabel("Passkey name").fill("Work laptop");
  await page.getByRole("button", { name: "Add a passkey" }).click();
  await page.getByText("Passkey “Work laptop” added.").waitFor();
  const on = await t.request("PATCH", `/v1/tenants/${tenantId}/settings`, { token: globalAdmin.token }, { requireSignedApprovals: true });
  assert.equal(on.status, 200, JSON.stringify(on.body));

  const filed = await t.request("POST", "/v1/requests", { token: engineer.token }, {
    tenantId,
    ticket: "CASE-314",
    reason: "Shared mailbox permissions broke",
    services: ["mail"],
    accessLevel: "read",
    requestedMinutes: 120,
  });
  const id = filed.body.id as string;
  assert.equal((await t.request("POST", `/v1/requests/${id}/approve`, { token: manager.token }, {})).status, 200);

  await page.goto(`${origin}/requests/${id}`);
  await page.getByRole("button", { name: "Approve", exact: true }).click();
  const dialog = page.getByRole("dialog");
  const terms = dialog.getByRole("definition");
  await dialog.getByText("Your passkey signs exactly these terms.").waitFor();
  // Exactly what is signed, before the passkey prompt: ticket, services, access, duration, requester.
  assert.deepEqual(await terms.allTextContents(), ["approve", "CASE-314", "mail", "read", "2 h", engineer.user.email, approver.user.email]);
  await dialog.getByRole("button", { name: "Sign with passkey and approve" }).click();
  await page.getByRole("dialog").waitFor({ state: "hidden" });
  let status = "";
  for (let i = 0; i < 200 && status !== "approved"; i++) {
    status = (await t.request("GET", `/v1/requests/${id}`, { token: approver.token })).body.status;
    if (status !== "approved") await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(status, "approved");

  const event = await t.app.deps.db.selectFrom("audit_events").select("details").where("request_id", "=", id).where("operation", "=", "request.approved").executeTakeFirstOrThrow();
  const signed = JSON.parse(event.details).signed;
  assert.equal(signed.statement.ticket, "CASE-314");
  assert.equal(signed.statement.grantedMinutes, 120);
  assert.match(await verifyExport(t, tenantId), /^1 signed decisions verified\.$/m);

  upstream = http.createServer((_req, res) => res.end("mailbox"));
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
  const credential = (await t.request("POST", "/v1/service-credentials", admin, { name: "mail-gateway" })).body.token;
  gateway = await startGateway({
    server: `http://127.0.0.1:${(t.app.server.server.address() as AddressInfo).port}`,
    service: "mail",
    upstream: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
    port: 0,
    token: credential,
    requireSignedApprovals: true,
    logLevel: "silent",
    now: () => t.clock.now(),
  });
  const token = (await t.request("GET", `/v1/requests/${id}/token`, { token: engineer.token })).body.token as string;
  assert.equal((decodeJwt(token).apv as string[]).length, 1);
  const res = await fetch(`${gateway.url}/mailbox/1`, { headers: { authorization: `Lockbox ${token}`, "x-lockbox-tenant": tenantId } });
  assert.equal(res.status, 200, await res.clone().text());
  assert.equal(await res.text(), "mailbox");
  // The SDK, checking with the RP id it is told rather than the one the browser reported.
  const sdk = createVerifier({ jwksUrl: `${origin}/.well-known/jwks.json`, server: origin, token: credential, issuer: false, rpId: "localhost", now: () => t.clock.now(), revocationWaitSeconds: 1 });
  try {
    assert.equal((await sdk.verify(token, { tenant: tenantId, service: "mail", access: "read", requireSignedApprovals: true })).requestId, id);
  } finally {
    await sdk.close();
  }
  assert.deepEqual(problems, []);
});
