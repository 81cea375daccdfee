import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { decodeJwt } from "jose";
import { createVerifier, GrantError, type Verifier } from "../src/sdk/index.js";
import { seqOf, signAndDecide, signedGrant, signedTenant, type SignedTenant, verifyExport, verifyFailure } from "./support/signed-approvals-world.js";
import { startTestApp, type TestApp } from "./support/test-app.js";
import type { Actor } from "./support/world.js";
import { buildWorld, fileRequest, type World } from "./support/world.js";

/**
 * Extensions on a tenant with signed approvals (SPEC 15 with 17: "same signing rules"): the
 * extension's approve and deny carry a passkey signature over an "extend"/"extend_deny" statement
 * naming the extension and the new total; `lockbox audit verify`, the evidence, `apv` and the SDK
 * account for it. And the single prompt (SPEC 14 with 15): a verified signature is the decision's
 * step-up, an unsigned or badly signed call is not.
 */

let t: TestApp;
let w: World;
let a: SignedTenant;
let sdk: Verifier;

before(async () => {
  t = await startTestApp();
  t.clock.set(new Date().toISOString());
  w = await buildWorld(t);
  a = await signedTenant(t, "Extendco");
  await t.app.server.listen({ port: 0, host: "127.0.0.1" });
  const server = `http://127.0.0.1:${(t.app.server.server.address() as AddressInfo).port}`;
  const token = (await t.request("POST", "/v1/service-credentials", w.providerAdmin.as, { name: "extension-sdk" })).body.token;
  sdk = createVerifier({ jwksUrl: `${server}/.well-known/jwks.json`, server, token, issuer: false, now: () => t.clock.now(), revocationWaitSeconds: 1 });
});

after(async () => {
  await sdk?.close();
  await t?.close();
});

const tokenOf = async (id: string) => {
  const res = await t.request("GET", `/v1/requests/${id}/token`, w.engineer.as);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.token as string;
};

const verify = (token: string, tenant: string) => sdk.verify(token, { tenant, service: "mail", access: "read", requireSignedApprovals: true });

async function askExtension(id: string, minutes = 30): Promise<string> {
  const res = await t.request("POST", `/v1/requests/${id}/extensions`, w.engineer.as, { minutes, reason: "The fix needs a second look" });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.id as string;
}

/** Fetches the extension's statement, signs it with the approver's passkey and decides. */
async function signExtension(id: string, eid: string, who: Actor & { key: { sign(c: string): unknown } }, verb: "approve" | "deny", extra: Record<string, string> = {}) {
  const decision = verb === "approve" ? "extend" : "extend_deny";
  const s = await t.request("GET", `/v1/requests/${id}/statement?decision=${decision}&extensionId=${eid}`, who.as);
  assert.equal(s.status, 200, JSON.stringify(s.body));
  const res = await t.request("POST", `/v1/requests/${id}/extensions/${eid}/${verb}`, who.as, { ...extra, statement: s.body.statement, assertion: who.key.sign(s.body.challenge) });
  return { res, statement: s.body.statement, challenge: s.body.challenge as string };
}

const extensionEvent = async (id: string, operation: string) =>
  JSON.parse((await t.app.deps.db.selectFrom("audit_events").select("details").where("request_id", "=", id).where("operation", "=", operation).executeTakeFirstOrThrow()).details);

test("an unsigned extension decision is 400 signature_required and changes nothing; a signed one extends, verifies offline, is in the evidence and apv, and passes the SDK", async () => {
  const id = await signedGrant(t, w, a);
  const before = (await t.request("GET", `/v1/requests/${id}`, w.engineer.as)).body.accessEndsAt as string;
  const eid = await askExtension(id, 30);
  for (const verb of ["approve", "deny"]) {
    const unsigned = await t.request("POST", `/v1/requests/${id}/extensions/${eid}/${verb}`, a.approver.as, { comment: "ok" });
    assert.equal(unsigned.status, 400, JSON.stringify(unsigned.body));
    assert.equal(unsigned.body.error.code, "signature_required");
  }
  // A request's approve statement does not decide an extension.
  const wrong = await signAndDecide(t, id, a.approver, a.approver.key, "approve");
  assert.notEqual(wrong.res.status, 200);
  const ext = (await t.request("GET", `/v1/requests/${id}`, w.engineer.as)).body;
  assert.equal(ext.extensions[0].status, "pending");
  assert.equal(ext.accessEndsAt, before);

  const { res, statement, challenge } = await signExtension(id, eid, a.approver, "approve");
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.status, "approved");
  assert.equal(statement.decision, "extend");
  assert.equal(statement.extensionId, eid);
  assert.equal(statement.grantedMinutes, 90, "the 60 minutes granted plus the 30 of the extension");
  const after = (await t.request("GET", `/v1/requests/${id}`, w.engineer.as)).body.accessEndsAt as string;
  assert.equal(Date.parse(after) - Date.parse(before), 30 * 60_000);
  const details = await extensionEvent(id, "request.extension_approved");
  assert.deepEqual(details.signed.statement, statement);
  assert.equal(details.signed.assertion.credentialId, a.approver.key.credentialId);

  const token = await tokenOf(id);
  const apv = decodeJwt(token).apv as string[];
  assert.equal(apv.length, 2);
  assert.ok(apv.includes(challenge), "apv names the extension's statement");
  const ev = await t.request("GET", `/v1/requests/${id}/evidence`, w.engineer.as);
  assert.equal(ev.status, 200, JSON.stringify(ev.body));
  assert.deepEqual(ev.body.decisions.map((d: { statement: { decision: string } }) => d.statement.decision), ["approve", "extend"]);
  const grant = await verify(token, a.tenantId);
  assert.equal(grant.expiresAt.toISOString(), new Date(Math.floor(Date.parse(after) / 1000) * 1000).toISOString());
  assert.match(await verifyExport(t, a.tenantId), /^2 signed decisions verified\.$/m);

  // A signed denial of a second extension is checked the same way.
  const eid2 = await askExtension(id, 15);
  const denied = await signExtension(id, eid2, a.approver2, "deny", { comment: "enough" });
  assert.equal(denied.res.status, 200, JSON.stringify(denied.res.body));
  assert.equal(denied.res.body.status, "denied");
  assert.equal(denied.statement.grantedMinutes, 105, "the total refused");
  assert.match(await verifyExport(t, a.tenantId), /^3 signed decisions verified\.$/m);
});

test("an extension statement rewritten in the log, or stripped of its signature, fails audit verify at its seq", async () => {
  const id = await signedGrant(t, w, a);
  const eid = await askExtension(id, 20);
  assert.equal((await signExtension(id, eid, a.approver, "approve")).res.status, 200);
  const seq = await seqOf(t, id, "request.extension_approved");
  const longer = await verifyFailure(t, a.tenantId, (events) => {
    const signed = events.find((e) => e.seq === seq)!.details.signed as { statement: { grantedMinutes: number } };
    signed.statement.grantedMinutes += 600;
  });
  assert.match(longer, new RegExp(`^signed decision broken at seq ${seq}: .*extended total`), longer);
  const otherExtension = await verifyFailure(t, a.tenantId, (events) => {
    (events.find((e) => e.seq === seq)!.details.signed as { statement: { extensionId: string } }).statement.extensionId = "x".repeat(26);
  });
  assert.match(otherExtension, new RegExp(`^signed decision broken at seq ${seq}: the statement is for extension`), otherExtension);
  const stripped = await verifyFailure(t, a.tenantId, (events) => {
    delete events.find((e) => e.seq === seq)!.details.signed;
  });
  assert.match(stripped, new RegExp(`^signed decision broken at seq ${seq}: customer request.extension_approved without a passkey signature`), stripped);
});

test("access extended without signatures (the database rewritten) is refused by the SDK", async () => {
  const id = await signedGrant(t, w, a);
  const row = await t.app.deps.db.selectFrom("access_requests").select("access_ends_at").where("id", "=", id).executeTakeFirstOrThrow();
  await t.app.deps.db
    .updateTable("access_requests")
    .set({ access_ends_at: new Date(Date.parse(row.access_ends_at!) + 30 * 60_000).toISOString() })
    .where("id", "=", id)
    .execute();
  const token = await tokenOf(id);
  await assert.rejects(verify(token, a.tenantId), (err: unknown) => {
    assert.ok(err instanceof GrantError, String(err));
    assert.equal(err.code, "unsigned_approval");
    assert.match(err.message, /runs longer than a signed approval allows/);
    return true;
  });
});

test("with step-up and signed approvals both on, the signature is the step-up: one prompt, recorded as a passkey verification; unsigned or badly signed calls are still refused", async () => {
  const p = await signedTenant(t, "Promptco");
  await t.app.deps.db.updateTable("tenants").set({ require_mfa_for_decisions: 1 }).where("id", "=", p.tenantId).execute();
  const id = await fileRequest(w, { tenantId: p.tenantId });
  assert.equal((await t.request("POST", `/v1/requests/${id}/approve`, w.manager.as, {})).status, 200);

  const unsigned = await t.request("POST", `/v1/requests/${id}/approve`, p.approver.as, {});
  assert.equal(unsigned.status, 401, JSON.stringify(unsigned.body));
  assert.equal(unsigned.body.error.code, "step_up_required");

  const s = await t.request("GET", `/v1/requests/${id}/statement?decision=approve`, p.approver.as);
  const bad = await t.request("POST", `/v1/requests/${id}/approve`, p.approver.as, { statement: s.body.statement, assertion: p.approver.key.sign("A".repeat(43)) });
  assert.equal(bad.status, 400, JSON.stringify(bad.body));
  assert.equal(bad.body.error.code, "signature_invalid");
  const otherKey = await t.request("POST", `/v1/requests/${id}/approve`, p.approver.as, { statement: s.body.statement, assertion: p.approver2.key.sign(s.body.challenge) });
  assert.equal(otherKey.body.error?.code, "signature_invalid", "another person's passkey proves nothing about this approver");
  assert.equal((await t.request("GET", `/v1/requests/${id}`, p.approver.as)).body.status, "pending_customer");
  assert.equal(await t.app.deps.db.selectFrom("audit_events").select("seq").where("request_id", "=", id).where("operation", "=", "request.approved").executeTakeFirst(), undefined);

  const { res } = await signAndDecide(t, id, p.approver, p.approver.key, "approve");
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.status, "approved");
  const approved = await extensionEvent(id, "request.approved");
  assert.equal(approved.verification.method, "passkey");
  assert.equal(approved.verification.credentialId, p.approver.key.credentialId);
  assert.equal(approved.verification.at, t.clock.now().toISOString());

  // The signature held for that call only: nothing armed the token for unsigned calls.
  const eid = await askExtension(id, 10);
  const unsignedExt = await t.request("POST", `/v1/requests/${id}/extensions/${eid}/approve`, p.approver.as, {});
  assert.equal(unsignedExt.body.error?.code, "step_up_required");
  const ext = await signExtension(id, eid, p.approver, "approve");
  assert.equal(ext.res.status, 200, JSON.stringify(ext.res.body));
  const extended = await extensionEvent(id, "request.extension_approved");
  assert.equal(extended.verification.method, "passkey");
  assert.equal(extended.verification.credentialId, p.approver.key.credentialId);
  assert.match(await verifyExport(t, p.tenantId), /^2 signed decisions verified\.$/m);
});
