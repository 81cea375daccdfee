import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createApiToken } from "../src/identity/api-tokens.js";
import { softAuthenticator, type SoftAuthenticator } from "./support/soft-authenticator.js";
import { type StepUpFactor, stepUp } from "./support/step-up.js";
import { startTestApp, type As, type TestApp } from "./support/test-app.js";
import { buildWorld, type Actor, type World } from "./support/world.js";

/**
 * Step-up (SPEC 14) over HTTP. A tenant created now ("Gamma") starts with requireMfaForDecisions
 * on: every decision and security setting of its people needs a verification no older than 5
 * minutes — a passkey assertion (POST /v1/auth/verify, here from a software authenticator) held by
 * the session or token it came with, or a TOTP/recovery code in X-Lockbox-OTP on the call itself.
 * The provider's own setting (GET/PATCH /v1/orgs/provider/settings) does the same for staff.
 */

let t: TestApp;
let w: World;
let gamma: string;
let admin: Actor;
let approver: Actor;
let keyHolder: Actor;
let noFactor: Actor;
let adminTotp: StepUpFactor;
let approverTotp: StepUpFactor;
let soft: SoftAuthenticator;

const actor = async (roles: Parameters<TestApp["user"]>[0], tenantId: string | null, name: string): Promise<Actor> => {
  const { user, token } = await t.user(roles, tenantId, name);
  return { user, token, as: { token } };
};

/** A request for Gamma filed by the engineer and approved by the manager: pending_customer. */
async function pendingRequest(): Promise<string> {
  const filed = await t.request("POST", "/v1/requests", w.engineer.as, {
    tenantId: gamma,
    ticket: "CASE-7",
    reason: "Mailbox search fails for the customer",
    services: ["mail"],
    accessLevel: "read",
    requestedMinutes: 60,
  });
  assert.equal(filed.status, 201, JSON.stringify(filed.body));
  const managed = await t.request("POST", `/v1/requests/${filed.body.id}/approve`, w.manager.as, {});
  assert.equal(managed.status, 200, JSON.stringify(managed.body));
  assert.equal(managed.body.status, "pending_customer");
  return filed.body.id as string;
}

async function lastEvent(operation: string, requestId?: string) {
  let q = t.app.deps.db.selectFrom("audit_events").selectAll().where("operation", "=", operation);
  if (requestId) q = q.where("request_id", "=", requestId);
  const row = await q.orderBy("seq", "desc").executeTakeFirst();
  return row && { ...row, details: JSON.parse(row.details) };
}

function stepUpRequired(res: { status: number; body: any }, methods: string[]): void {
  assert.equal(res.status, 401, JSON.stringify(res.body));
  assert.equal(res.body.error.code, "step_up_required");
  assert.deepEqual(res.body.error.details.methods, methods);
}

async function verifyWithKey(as: As, opts: Parameters<SoftAuthenticator["assert"]>[1] = {}) {
  const options = await t.request("POST", "/v1/auth/verify/options", as);
  assert.equal(options.status, 200, JSON.stringify(options.body));
  return t.request("POST", "/v1/auth/verify", as, { response: soft.assert(options.body.options.challenge, opts) });
}

before(async () => {
  t = await startTestApp();
  w = await buildWorld(t);
  const created = await t.request("POST", "/v1/tenants", w.providerAdmin.as, { name: "Gamma", adminEmail: "admin@gamma.test" });
  assert.equal(created.status, 201);
  gamma = created.body.tenant.id;
  admin = await actor(["global_admin"], gamma, "Gia Admin");
  approver = await actor(["lockbox_approver"], gamma, "Gus Approver");
  keyHolder = await actor(["lockbox_approver"], gamma, "Kim Keyholder");
  noFactor = await actor(["lockbox_approver"], gamma, "Ned Nofactor");
  // Enrolling a first factor never needs step-up, although Gamma asks for it.
  adminTotp = await stepUp(t, admin);
  approverTotp = await stepUp(t, approver);
  soft = await softAuthenticator(t, keyHolder.user.id);
});

after(async () => {
  await t?.close();
});

describe("the setting", () => {
  test("a tenant created now has requireMfaForDecisions on; one that predates step-up has it off", async () => {
    const settings = await t.request("GET", `/v1/tenants/${gamma}/settings`, admin.as);
    assert.equal(settings.status, 200);
    assert.equal(settings.body.requireMfaForDecisions, true);
    // The migration's column default is what rows older than step-up got.
    await t.app.deps.db
      .insertInto("tenants")
      .values({
        id: "old-tenant",
        name: "Old",
        created_at: t.clock.now().toISOString(),
        auditing_enabled: 0,
        lockbox_enabled: 0,
        approval_window_minutes: 60,
        max_access_minutes: 60,
        required_approvals: 1,
        protected_services: '"all"',
        notification_emails: "[]",
        require_decision_comment: 0,
      } as never)
      .execute();
    const old = await t.app.deps.db.selectFrom("tenants").select("require_mfa_for_decisions").where("id", "=", "old-tenant").executeTakeFirstOrThrow();
    assert.equal(old.require_mfa_for_decisions, 0);
  });

  test("a tenant settings change needs step-up; with X-Lockbox-OTP it lands, audited with the verification", async () => {
    stepUpRequired(await t.request("PATCH", `/v1/tenants/${gamma}/settings`, admin.as, { auditingEnabled: true }), ["totp"]);
    assert.equal((await t.request("GET", `/v1/tenants/${gamma}/settings`, admin.as)).body.auditingEnabled, false);
    const on = await t.request("PATCH", `/v1/tenants/${gamma}/settings`, admin.as, { auditingEnabled: true }, adminTotp.header());
    assert.equal(on.status, 200, JSON.stringify(on.body));
    // The verification now holds for this token for 5 minutes: no new code needed.
    const lock = await t.request("PATCH", `/v1/tenants/${gamma}/settings`, admin.as, { lockboxEnabled: true });
    assert.equal(lock.status, 200, JSON.stringify(lock.body));
    const event = await lastEvent("tenant.settings_changed");
    assert.equal(event?.details.verification.method, "totp");
    assert.equal(event?.details.verification.at, on.body && event?.details.verification.at);
  });

  test("bad input is still 400 before step-up, the header included; the header is in the OpenAPI document", async () => {
    const res = await t.request("PATCH", `/v1/tenants/${gamma}/settings`, noFactor.as, { requireMfaForDecisions: "yes" });
    assert.equal(res.status, 400);
    const long = await t.request("PATCH", `/v1/tenants/${gamma}/settings`, admin.as, { requiredApprovals: 2 }, { "x-lockbox-otp": "1".repeat(65) });
    assert.equal(long.status, 400);
    assert.equal(long.body.error.details[0].field, "x-lockbox-otp");
    const doc = (await t.request("GET", "/openapi.json", null)).body;
    const header = (path: string, method: string) =>
      doc.paths[path][method].parameters?.find((p: { in: string; name: string }) => p.in === "header" && p.name === "x-lockbox-otp");
    for (const [path, method] of [
      ["/v1/requests/{id}/approve", "post"],
      ["/v1/requests/{id}/deny", "post"],
      ["/v1/requests/{id}/revoke", "post"],
      ["/v1/tenants/{id}/settings", "patch"],
      ["/v1/orgs/{org}/sso", "put"],
      ["/v1/service-credentials", "post"],
    ] as const) {
      assert.ok(header(path, method), `${method} ${path} documents X-Lockbox-OTP`);
    }
    assert.equal(header("/v1/requests/{id}/cancel", "post"), undefined, "cancel is not a decision");
  });
});

describe("decisions", () => {
  test("approve without a verification: 401 step_up_required listing the user's methods; nothing changes", async () => {
    const id = await pendingRequest();
    stepUpRequired(await t.request("POST", `/v1/requests/${id}/approve`, approver.as, {}), ["totp"]);
    stepUpRequired(await t.request("POST", `/v1/requests/${id}/approve`, keyHolder.as, {}), ["passkey"]);
    const both = await actor(["lockbox_approver"], gamma, "Bo Both");
    await stepUp(t, both);
    await softAuthenticator(t, both.user.id);
    stepUpRequired(await t.request("POST", `/v1/requests/${id}/approve`, both.as, {}), ["passkey", "totp"]);
    assert.equal((await t.request("GET", `/v1/requests/${id}`, approver.as)).body.status, "pending_customer");
  });

  test("a user with no factor gets 403 mfa_enrollment_required, and may still enrol one", async () => {
    const id = await pendingRequest();
    const res = await t.request("POST", `/v1/requests/${id}/approve`, noFactor.as, {});
    assert.equal(res.status, 403);
    assert.equal(res.body.error.code, "mfa_enrollment_required");
    assert.deepEqual(res.body.error.details.methods, []);
    assert.equal((await t.request("POST", "/v1/me/totp", noFactor.as)).status, 200);
    assert.equal((await t.request("POST", "/v1/me/passkeys/options", noFactor.as)).status, 200);
    // A pending (unconfirmed) app is no factor yet.
    assert.equal((await t.request("POST", `/v1/requests/${id}/deny`, noFactor.as, {})).body.error.code, "mfa_enrollment_required");
  });

  test("approve with X-Lockbox-OTP lands, and the audit event records details.verification", async () => {
    const id = await pendingRequest();
    const res = await t.request("POST", `/v1/requests/${id}/approve`, approver.as, {}, approverTotp.header());
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.status, "approved");
    const event = await lastEvent("request.approved", id);
    assert.deepEqual(event?.details.verification, { method: "totp", at: t.clock.now().toISOString() });
  });

  test("a code is accepted once: the same code on another token is refused, nothing changes", async () => {
    t.clock.advanceMinutes(6); // the approver's earlier verification is stale: the code is spent below
    const code = approverTotp.otp();
    const first = await pendingRequest();
    const second = await pendingRequest();
    assert.equal((await t.request("POST", `/v1/requests/${first}/deny`, approver.as, {}, { "x-lockbox-otp": code })).status, 200);
    const other = (await createApiToken(t.app.deps, { user: approver.user }, { name: "second" })).token;
    const reused = await t.request("POST", `/v1/requests/${second}/deny`, { token: other }, {}, { "x-lockbox-otp": code });
    assert.equal(reused.status, 400);
    assert.equal(reused.body.error.details[0].field, "x-lockbox-otp");
    assert.equal((await t.request("GET", `/v1/requests/${second}`, approver.as)).body.status, "pending_customer");
  });

  test("a recovery code stands in for the app, once, and says so in the audit", async () => {
    const token = (await createApiToken(t.app.deps, { user: approver.user }, { name: "recovery" })).token;
    const id = await pendingRequest();
    const code = approverTotp.recoveryCodes[0]!;
    assert.equal((await t.request("POST", `/v1/requests/${id}/deny`, { token }, {}, { "x-lockbox-otp": code })).status, 200);
    assert.equal((await lastEvent("request.denied", id))?.details.verification.method, "recovery_code");
    const again = (await createApiToken(t.app.deps, { user: approver.user }, { name: "recovery2" })).token;
    const id2 = await pendingRequest();
    assert.equal((await t.request("POST", `/v1/requests/${id2}/deny`, { token: again }, {}, { "x-lockbox-otp": code })).status, 400);
  });

  test("revoke needs step-up too", async () => {
    const id = await pendingRequest();
    const fresh = (await createApiToken(t.app.deps, { user: approver.user }, { name: "revoker" })).token;
    assert.equal((await t.request("POST", `/v1/requests/${id}/approve`, { token: fresh }, {}, approverTotp.header())).status, 200);
    t.clock.advanceMinutes(6);
    stepUpRequired(await t.request("POST", `/v1/requests/${id}/revoke`, { token: fresh }, {}), ["totp"]);
    const revoked = await t.request("POST", `/v1/requests/${id}/revoke`, { token: fresh }, {}, approverTotp.header());
    assert.equal(revoked.status, 200, JSON.stringify(revoked.body));
    assert.equal(revoked.body.status, "revoked");
    assert.equal((await lastEvent("request.revoked", id))?.details.verification.method, "totp");
  });
});

describe("passkey verification", () => {
  test("options name only the caller's own credentials; without a passkey there is nothing to verify", async () => {
    const res = await t.request("POST", "/v1/auth/verify/options", keyHolder.as);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.options.allowCredentials.map((c: { id: string }) => c.id), [soft.credentialId]);
    assert.equal(res.body.options.userVerification, "required");
    assert.equal(res.body.options.rpId, "lockbox.test");
    assert.equal((await t.request("POST", "/v1/auth/verify/options", approver.as)).status, 409);
    assert.equal((await t.request("POST", "/v1/auth/verify/options", null)).status, 401);
  });

  test("a verification holds for 5 minutes for its token, then step-up is asked again", async () => {
    const verified = await verifyWithKey(keyHolder.as);
    assert.equal(verified.status, 200, JSON.stringify(verified.body));
    assert.equal(verified.body.method, "passkey");
    assert.equal(verified.body.credentialId, soft.credentialId);
    const first = await pendingRequest();
    assert.equal((await t.request("POST", `/v1/requests/${first}/approve`, keyHolder.as, {})).status, 200);
    assert.deepEqual((await lastEvent("request.approved", first))?.details.verification, {
      method: "passkey",
      at: verified.body.at,
      credentialId: soft.credentialId,
    });
    t.clock.advanceMinutes(4);
    const second = await pendingRequest();
    assert.equal((await t.request("POST", `/v1/requests/${second}/deny`, keyHolder.as, {})).status, 200);
    t.clock.advanceMs(60_001);
    const third = await pendingRequest();
    stepUpRequired(await t.request("POST", `/v1/requests/${third}/deny`, keyHolder.as, {}), ["passkey"]);
  });

  test("a verification does not leak to another token or session of the same person", async () => {
    const other = (await createApiToken(t.app.deps, { user: keyHolder.user }, { name: "other" })).token;
    assert.equal((await verifyWithKey({ token: other })).status, 200);
    const id = await pendingRequest();
    stepUpRequired(await t.request("POST", `/v1/requests/${id}/deny`, keyHolder.as, {}), ["passkey"]);
    // A cookie session of the same person is a holder of its own as well.
    const sam = await t.user(["lockbox_approver"], gamma, "Sam Session");
    const samTotp = await stepUp(t, { as: { token: sam.token } });
    const login = await t.request("POST", "/v1/auth/login", null, { email: sam.user.email, password: sam.password });
    assert.equal(login.status, 200);
    const session = { cookie: /lockbox_session=([^;]+)/.exec(String(login.headers["set-cookie"]))![1]!, csrf: login.body.csrfToken as string };
    assert.equal((await t.request("POST", `/v1/requests/${id}/deny`, { token: sam.token }, {}, samTotp.header())).status, 200);
    const id2 = await pendingRequest();
    stepUpRequired(await t.request("POST", `/v1/requests/${id2}/deny`, session, {}), ["totp"]);
    assert.equal((await t.request("POST", `/v1/requests/${id2}/deny`, session, {}, samTotp.header())).status, 200);
    const id3 = await pendingRequest();
    assert.equal((await t.request("POST", `/v1/requests/${id3}/deny`, session, {})).status, 200, "the session now holds its own verification");
  });

  test("replayed, forged, wrong-origin, wrong-RP and stale-counter assertions are refused and record nothing", async () => {
    const token = (await createApiToken(t.app.deps, { user: keyHolder.user }, { name: "attacks" })).token;
    const as = { token };
    const refused = async (res: { status: number; body: any }, why: RegExp) => {
      assert.equal(res.status, 401, `${why}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, "unauthenticated");
      assert.match(res.body.error.message, why);
    };
    const options = await t.request("POST", "/v1/auth/verify/options", as);
    const good = soft.assert(options.body.options.challenge);
    // Each refused attempt first, on challenges of their own.
    await refused(await verifyWithKey(as, { origin: "http://evil.test" }), /origin "http:\/\/evil.test"/);
    await refused(await verifyWithKey(as, { rpId: "evil.test" }), /RP ID/);
    await refused(await verifyWithKey(as, { tamper: true }), /could not be verified$/);
    await refused(await verifyWithKey(as, { counter: 1 }), /counter/);
    await refused(await verifyWithKey(as, { userVerified: false }), /user.*verif/i);
    await refused(await verifyWithKey(as, { type: "webauthn.create" }), /webauthn.create/);
    // A challenge made up by the client (never handed out) is refused.
    await refused(await t.request("POST", "/v1/auth/verify", as, { response: soft.assert("bm90LWhhbmRlZC1vdXQ") }), /challenge is unknown/);
    // Another person's challenge cannot be answered by this one's key.
    const theirs = await t.request("POST", "/v1/auth/verify/options", keyHolder.as);
    const imposter = await softAuthenticator(t, noFactor.user.id);
    await refused(await t.request("POST", "/v1/auth/verify", keyHolder.as, { response: imposter.assert(theirs.body.options.challenge) }), /not one of yours/);
    const id = await pendingRequest();
    stepUpRequired(await t.request("POST", `/v1/requests/${id}/deny`, as, {}), ["passkey"]);

    assert.equal((await t.request("POST", "/v1/auth/verify", as, { response: good })).status, 200);
    await refused(await t.request("POST", "/v1/auth/verify", as, { response: good }), /already used/);
    const malformed = await t.request("POST", "/v1/auth/verify", as, { response: { ...good, type: "other" } });
    assert.equal(malformed.status, 400);
  });

  test("failed assertions are braked per user (429), like wrong passwords", async () => {
    const prober = await actor(["lockbox_approver"], gamma, "Pia Prober");
    const key = await softAuthenticator(t, prober.user.id);
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      statuses.push((await t.request("POST", "/v1/auth/verify", prober.as, { response: key.assert(`bm8tc3VjaC1jaGFsbGVuZ2Ut${i}`) })).status);
    }
    assert.ok(statuses.slice(0, 10).every((s) => s === 401), statuses.join(","));
    assert.equal(statuses[10], 429);
    // Even a good assertion waits out the brake; another person is not braked.
    const options = await t.request("POST", "/v1/auth/verify/options", prober.as);
    assert.equal((await t.request("POST", "/v1/auth/verify", prober.as, { response: key.assert(options.body.options.challenge) })).status, 429);
    assert.equal((await verifyWithKey(keyHolder.as)).status, 200);
  });
});

describe("security settings and creations", () => {
  test("SSO changes, webhook and audit sink creation need step-up for the tenant's admin", async () => {
    const token = (await createApiToken(t.app.deps, { user: admin.user }, { name: "settings" })).token;
    const as = { token };
    const calls: [string, string, unknown][] = [
      ["DELETE", `/v1/orgs/${gamma}/sso`, undefined],
      ["PUT", `/v1/orgs/${gamma}/sso`, { issuer: "https://idp.gamma.test", clientId: "lockbox", clientSecret: "s3cret", emailDomains: ["gamma.test"], jitProvisioning: false, requireSso: false }],
      ["POST", `/v1/tenants/${gamma}/webhooks`, { url: "https://93.184.215.14/hook" }],
      ["POST", `/v1/tenants/${gamma}/audit-sinks`, { type: "http", url: "https://93.184.215.14/siem", format: "ocsf" }],
    ];
    for (const [method, url, body] of calls) stepUpRequired(await t.request(method, url, as, body), ["totp"]);
    assert.equal((await t.request("GET", `/v1/tenants/${gamma}/webhooks`, as)).body.items.length, 0);
    const withCode = await t.request("DELETE", `/v1/orgs/${gamma}/sso`, as, undefined, adminTotp.header());
    assert.equal(withCode.status, 404, "past step-up: there is no SSO configuration to delete");
    assert.equal((await t.request("POST", `/v1/tenants/${gamma}/webhooks`, as, calls[2]![2])).status, 201);
    assert.equal((await t.request("POST", `/v1/tenants/${gamma}/audit-sinks`, as, calls[3]![2])).status, 201);
  });

  test("turning the tenant's step-up off is itself a settings change that needs it", async () => {
    const token = (await createApiToken(t.app.deps, { user: admin.user }, { name: "off" })).token;
    stepUpRequired(await t.request("PATCH", `/v1/tenants/${gamma}/settings`, { token }, { requireMfaForDecisions: false }), ["totp"]);
    assert.equal((await t.request("GET", `/v1/tenants/${gamma}/settings`, admin.as)).body.requireMfaForDecisions, true);
  });
});

describe("provider settings", () => {
  test("permission matrix: only the provider admin reads and changes them; default off", async () => {
    const get = await t.request("GET", "/v1/orgs/provider/settings", w.providerAdmin.as);
    assert.equal(get.status, 200);
    assert.deepEqual(get.body, { requireMfaForDecisions: false });
    for (const who of [w.engineer, w.manager, w.a.admin, w.a.approver, admin]) {
      assert.equal((await t.request("GET", "/v1/orgs/provider/settings", who.as)).status, 403);
      assert.equal((await t.request("PATCH", "/v1/orgs/provider/settings", who.as, { requireMfaForDecisions: true })).status, 403);
    }
    assert.equal((await t.request("GET", "/v1/orgs/provider/settings", null)).status, 401);
    assert.equal((await t.request("PATCH", "/v1/orgs/provider/settings", w.providerAdmin.as, { other: true })).status, 400);
  });

  test("on, staff decisions and provider creations need step-up; turning it off needs it too", async () => {
    const on = await t.request("PATCH", "/v1/orgs/provider/settings", w.providerAdmin.as, { requireMfaForDecisions: true });
    assert.equal(on.status, 200);
    assert.deepEqual(on.body, { requireMfaForDecisions: true });
    const changed = await lastEvent("org.settings_changed");
    assert.deepEqual(changed?.details.changes, { requireMfaForDecisions: { from: false, to: true } });
    assert.equal(changed?.chain, "provider");

    // The manager's approval is now the provider's to harden.
    const filed = await t.request("POST", "/v1/requests", w.engineer.as, {
      tenantId: gamma,
      ticket: "CASE-8",
      reason: "Provider step-up",
      services: ["mail"],
      accessLevel: "read",
      requestedMinutes: 60,
    });
    const managerRes = await t.request("POST", `/v1/requests/${filed.body.id}/approve`, w.manager.as, {});
    assert.equal(managerRes.body.error.code, "mfa_enrollment_required");
    const managerTotp = await stepUp(t, w.manager);
    assert.equal((await t.request("POST", `/v1/requests/${filed.body.id}/approve`, w.manager.as, {}, managerTotp.header())).status, 200);

    const admin = w.providerAdmin;
    assert.equal((await t.request("POST", "/v1/service-credentials", admin.as, { name: "gateway" })).body.error.code, "mfa_enrollment_required");
    const adminCodes = await stepUp(t, admin);
    const token = (await createApiToken(t.app.deps, { user: admin.user }, { name: "pa" })).token;
    stepUpRequired(await t.request("POST", "/v1/service-credentials", { token }, { name: "gateway" }), ["totp"]);
    stepUpRequired(await t.request("POST", "/v1/webhooks", { token }, { url: "https://93.184.215.14/p" }), ["totp"]);
    stepUpRequired(await t.request("POST", "/v1/audit-sinks", { token }, { type: "http", url: "https://93.184.215.14/s", format: "ocsf" }), ["totp"]);
    stepUpRequired(await t.request("PATCH", "/v1/orgs/provider/settings", { token }, { requireMfaForDecisions: false }), ["totp"]);
    assert.equal((await t.request("POST", "/v1/service-credentials", { token }, { name: "gateway" }, adminCodes.header())).status, 201);
    const off = await t.request("PATCH", "/v1/orgs/provider/settings", { token }, { requireMfaForDecisions: false });
    assert.equal(off.status, 200);
    assert.equal((await lastEvent("org.settings_changed"))?.details.verification.method, "totp");
    // Off again: staff act without a second factor.
    assert.equal((await t.request("POST", "/v1/webhooks", admin.as, { url: "https://93.184.215.14/p2" })).status, 201);
  });
});

describe("factor removal and guessing", () => {
  test("DELETE /v1/me/totp takes a fresh step-up instead of a body code, even where the org does not ask", async () => {
    const alpha = w.a.approver;
    const factor = await stepUp(t, alpha);
    stepUpRequired(await t.request("DELETE", "/v1/me/totp", alpha.as), ["totp"]);
    const removed = await t.request("DELETE", "/v1/me/totp", alpha.as, undefined, factor.header());
    assert.equal(removed.status, 204);
    const event = await t.app.deps.db
      .selectFrom("audit_events")
      .select("details")
      .where("operation", "=", "user.totp_removed")
      .where("actor_id", "=", alpha.user.id)
      .executeTakeFirstOrThrow();
    assert.equal(JSON.parse(event.details).verifiedWith, "totp");
  });

  test("wrong codes in X-Lockbox-OTP are braked per user like passwords (429), shared with the TOTP routes", async () => {
    const guesser = await actor(["lockbox_approver"], gamma, "Gail Guesser");
    const factor = await stepUp(t, guesser);
    const id = await pendingRequest();
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      statuses.push((await t.request("POST", `/v1/requests/${id}/deny`, guesser.as, {}, { "x-lockbox-otp": String(100000 + i) })).status);
    }
    assert.ok(statuses.slice(0, 10).every((s) => s === 400), statuses.join(","));
    assert.equal(statuses[10], 429);
    const right = await t.request("POST", `/v1/requests/${id}/deny`, guesser.as, {}, factor.header());
    assert.equal(right.status, 429, "the right code waits out the brake too");
    assert.equal((await t.request("DELETE", "/v1/me/totp", guesser.as, { code: "123456" })).status, 429);
    assert.equal((await t.request("GET", `/v1/requests/${id}`, guesser.as)).body.status, "pending_customer");
  });
});
