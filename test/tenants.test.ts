import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { tenantChain } from "../src/audit/audit-event.js";
import { allowDecisionsWithoutStepUp, stepUp } from "./support/step-up.js";
import { startTestApp, type TestApp } from "./support/test-app.js";

let t: TestApp;
before(async () => {
  t = await startTestApp();
});
after(() => t.close());

test("onboarding a tenant: defaults, an invitation for its first global admin, and the rules of section 3", async () => {
  const created = await t.request("POST", "/v1/tenants", { token: t.adminToken }, { name: "Gamma", adminEmail: "boss@gamma.test" });
  assert.equal(created.status, 201);
  const id = created.body.tenant.id;
  const accepted = await t.request("POST", "/v1/invitations/accept", null, {
    token: created.body.invitation.token,
    password: "gamma admin password",
  });
  assert.equal(accepted.status, 200);
  assert.deepEqual(accepted.body.user.roles, ["global_admin"]);
  assert.equal(accepted.body.user.tenantId, id);
  const login = await t.app.server.inject({ method: "POST", url: "/v1/auth/login", payload: { email: "boss@gamma.test", password: "gamma admin password" } });
  const session = { cookie: login.cookies[0]!.value, csrf: login.json().csrfToken as string };

  const defaults = await t.request("GET", `/v1/tenants/${id}/settings`, session);
  assert.deepEqual(defaults.body, {
    auditingEnabled: false,
    lockboxEnabled: false,
    approvalWindowMinutes: 720,
    maxAccessMinutes: 240,
    requiredApprovals: 1,
    protectedServices: "all",
    notificationEmails: [],
    requireDecisionComment: false,
    requireMfaForDecisions: true, // new tenants ask for step-up (SPEC 14)
    breakGlass: { allowed: false, maxMinutes: 60 }, // emergency access is off until the customer allows it (SPEC 17)
    requireSignedApprovals: false, // passkey-signed decisions are the customer's choice (SPEC 15)
  });

  // Settings changes need step-up in a new tenant: a second factor first, then one code, which
  // this session holds for 5 minutes (step-up-http.test.ts covers the rest).
  const noFactor = await t.request("PATCH", `/v1/tenants/${id}/settings`, session, { lockboxEnabled: true });
  assert.equal(noFactor.body.error.code, "mfa_enrollment_required");
  const factor = await stepUp(t, { as: session });
  const tooEarly = await t.request("PATCH", `/v1/tenants/${id}/settings`, session, { lockboxEnabled: true }, factor.header());
  assert.equal(tooEarly.status, 409);
  assert.equal(tooEarly.body.error.code, "auditing_required");
  assert.match(tooEarly.body.error.message, /auditing/);

  const both = await t.request("PATCH", `/v1/tenants/${id}/settings`, session, { auditingEnabled: true, lockboxEnabled: true });
  assert.equal(both.status, 200, "turning both on in one change is fine");
  const offWhileOn = await t.request("PATCH", `/v1/tenants/${id}/settings`, session, { auditingEnabled: false });
  assert.equal(offWhileOn.status, 409);
  assert.equal(offWhileOn.body.error.code, "auditing_required");
  assert.equal((await t.request("GET", `/v1/tenants/${id}/settings`, session)).body.auditingEnabled, true, "nothing changed");

  const bothOff = await t.request("PATCH", `/v1/tenants/${id}/settings`, session, { auditingEnabled: false, lockboxEnabled: false });
  assert.equal(bothOff.status, 200);

  // Setting changes are recorded while auditing is on, including the change that turns it off,
  // with who made them; with auditing off, a further change is not recorded.
  await t.request("PATCH", `/v1/tenants/${id}/settings`, session, { requiredApprovals: 2 });
  const events = await t.app.deps.db
    .selectFrom("audit_events")
    .select(["operation", "actor", "details"])
    .where("chain", "=", tenantChain(id))
    .where("operation", "=", "tenant.settings_changed")
    .orderBy("seq")
    .execute();
  assert.equal(events.length, 2);
  assert.equal(JSON.parse(events[0]!.actor).id, accepted.body.user.id);
  assert.deepEqual(JSON.parse(events[1]!.details).changes.auditingEnabled, { from: true, to: false });
});

test("provider caps bound the tenant's windows", async () => {
  const capped = await startTestApp({ LOCKBOX_MAX_ACCESS_MINUTES: "60", LOCKBOX_MAX_APPROVAL_WINDOW_MINUTES: "120" });
  try {
    const created = await capped.request("POST", "/v1/tenants", { token: capped.adminToken }, { name: "Capped", adminEmail: "c@c.test" });
    const { token } = await capped.user(["global_admin"], created.body.tenant.id);
    await allowDecisionsWithoutStepUp(capped, created.body.tenant.id); // about caps, not step-up
    const settings = await capped.request("GET", `/v1/tenants/${created.body.tenant.id}/settings`, { token });
    assert.equal(settings.body.maxAccessMinutes, 60);
    assert.equal(settings.body.approvalWindowMinutes, 120);
    const over = await capped.request("PATCH", `/v1/tenants/${created.body.tenant.id}/settings`, { token }, { maxAccessMinutes: 61 });
    assert.equal(over.status, 400);
    assert.match(over.body.error.message, /between 15 and 60/);
  } finally {
    await capped.close();
  }
});
