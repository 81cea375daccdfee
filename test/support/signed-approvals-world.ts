import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { type AuditEvent, hashEvent } from "../../src/audit/audit-event.js";
import { auditVerify } from "../../src/cli/audit-verify.js";
import { softPasskey, type SoftPasskey } from "./signed-approvals-authenticator.js";
import { exportChain } from "./chains.js";
import { allowDecisionsWithoutStepUp } from "./step-up.js";
import type { TestApp } from "./test-app.js";
import type { Actor, World } from "./world.js";

/** A customer with signed approvals on (through the API), two approvers each holding a software passkey. */
export interface SignedTenant {
  tenantId: string;
  admin: Actor;
  approver: Actor & { key: SoftPasskey };
  approver2: Actor & { key: SoftPasskey };
}

export async function signedTenant(t: TestApp, name: string): Promise<SignedTenant> {
  const created = await t.request("POST", "/v1/tenants", { token: t.adminToken }, { name, adminEmail: `admin@${name.toLowerCase()}.test` });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const tenantId = created.body.tenant.id as string;
  await allowDecisionsWithoutStepUp(t, tenantId);
  const actor = async (roles: Parameters<TestApp["user"]>[0], label: string): Promise<Actor> => {
    const { user, token } = await t.user(roles, tenantId, label);
    return { user, token, as: { token } };
  };
  const admin = await actor(["global_admin"], `${name} Admin`);
  const a1 = await actor(["lockbox_approver"], `${name} Approver`);
  const a2 = await actor(["lockbox_approver"], `${name} Second`);
  for (const patch of [{ auditingEnabled: true }, { lockboxEnabled: true }]) {
    const res = await t.request("PATCH", `/v1/tenants/${tenantId}/settings`, admin.as, patch);
    assert.equal(res.status, 200, JSON.stringify(res.body));
  }
  const approver = { ...a1, key: await softPasskey(t, a1.as) };
  const approver2 = { ...a2, key: await softPasskey(t, a2.as, "Ed25519") };
  const on = await t.request("PATCH", `/v1/tenants/${tenantId}/settings`, admin.as, { requireSignedApprovals: true });
  assert.equal(on.status, 200, JSON.stringify(on.body));
  return { tenantId, admin, approver, approver2 };
}

/** Fetches the statement for `verb`, signs its challenge with `key` and sends the decision. */
export async function signAndDecide(
  t: TestApp,
  id: string,
  who: Actor,
  key: SoftPasskey,
  verb: "approve" | "deny" | "revoke",
  extra: { grantedMinutes?: number; comment?: string } = {},
) {
  const q = extra.grantedMinutes ? `&grantedMinutes=${extra.grantedMinutes}` : "";
  const s = await t.request("GET", `/v1/requests/${id}/statement?decision=${verb}${q}`, who.as);
  assert.equal(s.status, 200, JSON.stringify(s.body));
  const body = { ...(extra.comment ? { comment: extra.comment } : {}), statement: s.body.statement, assertion: key.sign(s.body.challenge) };
  return { res: await t.request("POST", `/v1/requests/${id}/${verb}`, who.as, body), statement: s.body.statement, challenge: s.body.challenge as string };
}

/** Files a request for `tenantId`, has the manager approve it and the approver sign the approval; returns its id. */
export async function signedGrant(t: TestApp, w: World, s: SignedTenant, overrides: Record<string, unknown> = {}): Promise<string> {
  const created = await t.request("POST", "/v1/requests", w.engineer.as, {
    tenantId: s.tenantId,
    ticket: "CASE-7",
    reason: "The customer's mail rule misfires",
    services: ["mail"],
    accessLevel: "read",
    requestedMinutes: 60,
    ...overrides,
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const id = created.body.id as string;
  assert.equal((await t.request("POST", `/v1/requests/${id}/approve`, w.manager.as, {})).status, 200);
  const { res } = await signAndDecide(t, id, s.approver, s.approver.key, "approve");
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.status, "approved");
  return id;
}

export async function seqOf(t: TestApp, requestId: string, operation: string): Promise<number> {
  const row = await t.app.deps.db.selectFrom("audit_events").select("seq").where("request_id", "=", requestId).where("operation", "=", operation).orderBy("seq", "desc").executeTakeFirstOrThrow();
  return Number(row.seq);
}

/** Re-seals an event after a change, as someone rewriting the log would. */
export function reseal(event: AuditEvent): AuditEvent {
  const { hash: _old, ...rest } = event;
  return { ...rest, hash: hashEvent(rest) };
}

/**
 * `lockbox audit verify` over the tenant's export, after `rewrite` changed it: the rewritten
 * event and every later one are re-sealed and re-linked, so the hash chain itself holds (an
 * attacker with the database can do that much) and only the signatures can tell. Returns the
 * verifier's output, or throws its one-line failure.
 */
export async function verifyExport(t: TestApp, tenantId: string, rewrite?: (events: AuditEvent[]) => void): Promise<string> {
  const events = (await exportChain(t, `tenant:${tenantId}`))
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as AuditEvent);
  if (rewrite) {
    const before = events.map((e) => JSON.stringify(e));
    rewrite(events);
    let prev: string | undefined;
    for (let i = 0; i < events.length; i++) {
      const changed = JSON.stringify(events[i]) !== before[i] || (prev !== undefined && events[i]!.prevHash !== prev);
      if (changed) events[i] = reseal({ ...events[i]!, ...(prev !== undefined ? { prevHash: prev } : {}) });
      prev = events[i]!.hash;
    }
  }
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "lockbox-signed-")), "tenant.jsonl");
  fs.writeFileSync(file, `${events.map((e) => JSON.stringify(e)).join("\n")}\n`);
  let out = "";
  const sink = { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream;
  await auditVerify(file, {}, sink);
  return out;
}

/** The message of verifyExport's failure (asserting there is one). */
export async function verifyFailure(t: TestApp, tenantId: string, rewrite?: (events: AuditEvent[]) => void): Promise<string> {
  try {
    const out = await verifyExport(t, tenantId, rewrite);
    assert.fail(`audit verify passed: ${out}`);
  } catch (err) {
    if (err instanceof assert.AssertionError) throw err;
    return (err as Error).message;
  }
}
