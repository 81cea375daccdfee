import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { decodeJwt } from "jose";
import type { AuditEvent } from "../src/audit/audit-event.js";
import { type Gateway, startGateway } from "../src/gateway/gateway.js";
import { signCompactJws } from "../src/keys/keyring.js";
import { createVerifier, GrantError, type Verifier } from "../src/sdk/index.js";
import { softPasskey } from "./support/signed-approvals-authenticator.js";
import { reseal, seqOf, signAndDecide, signedGrant, signedTenant, type SignedTenant, verifyExport, verifyFailure } from "./support/signed-approvals-world.js";
import { startTestApp, type TestApp } from "./support/test-app.js";
import { buildWorld, type World } from "./support/world.js";

/**
 * Forged approvals on a tenant with signed approvals (SPEC 15), as someone at the provider with
 * the database and the server's keys would make them. Each must fail `lockbox audit verify`
 * naming the seq, and be refused by the gateway (`requireSignedApprovals`) and the SDK.
 * Forgeries the server itself would store (a planted or reassigned passkey row, a request
 * flipped to approved) go through the real server, each in a tenant of its own so its chain's
 * first fault is that forgery; rewritten statements and tokens are made the way such an attacker
 * would: the log rewritten and re-sealed (offline), the evidence rewritten in flight by a proxy
 * standing in for a compromised server, the token signed with the server's key.
 */

let t: TestApp;
let w: World;
let a: SignedTenant;
let server: string;
let proxy: http.Server;
let gateway: Gateway;
let sdk: Verifier;
let upstream: http.Server;
/** Evidence rewrites by request id: what the "compromised server" sends instead. */
const rewrites = new Map<string, (events: AuditEvent[]) => void>();

before(async () => {
  t = await startTestApp();
  t.clock.set(new Date().toISOString());
  w = await buildWorld(t);
  a = await signedTenant(t, "Forgeco");
  await t.app.server.listen({ port: 0, host: "127.0.0.1" });
  server = `http://127.0.0.1:${(t.app.server.server.address() as AddressInfo).port}`;
  proxy = http.createServer(async (req, res) => {
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k === "authorization" || k === "content-type")) as Record<string, string>;
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const upstreamRes = await fetch(`${server}${req.url}`, { method: req.method!, headers, ...(chunks.length ? { body: Buffer.concat(chunks) } : {}) });
    let body = Buffer.from(await upstreamRes.arrayBuffer());
    const rid = /^\/v1\/requests\/([^/]+)\/evidence$/.exec(req.url ?? "")?.[1];
    const rewrite = rid ? rewrites.get(rid) : undefined;
    if (rewrite && upstreamRes.ok) {
      const evidence = JSON.parse(body.toString());
      rewrite(evidence.chain.events);
      evidence.chain.events = evidence.chain.events.map(reseal);
      body = Buffer.from(JSON.stringify(evidence));
    }
    res.writeHead(upstreamRes.status, { "content-type": upstreamRes.headers.get("content-type") ?? "application/json" });
    res.end(body);
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const viaProxy = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  upstream = http.createServer((_req, res) => res.end("mailbox"));
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
  const token = (await t.request("POST", "/v1/service-credentials", w.providerAdmin.as, { name: "signed-gateway" })).body.token;
  gateway = await startGateway({
    server: viaProxy,
    service: "mail",
    upstream: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
    port: 0,
    token,
    requireSignedApprovals: true,
    logLevel: "silent",
    now: () => t.clock.now(),
  });
  sdk = createVerifier({ jwksUrl: `${viaProxy}/.well-known/jwks.json`, server: viaProxy, token, issuer: false, now: () => t.clock.now(), revocationWaitSeconds: 1 });
});

after(async () => {
  await gateway?.close();
  await sdk?.close();
  await new Promise((r) => proxy?.close(r));
  await new Promise((r) => upstream?.close(r));
  await t?.close();
});

const tokenOf = async (id: string) => {
  const res = await t.request("GET", `/v1/requests/${id}/token`, w.engineer.as);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.token as string;
};

async function throughGateway(token: string, tenant: string): Promise<{ status: number; code?: string; message?: string }> {
  const res = await fetch(`${gateway.url}/mailbox/1`, { headers: { authorization: `Lockbox ${token}`, "x-lockbox-tenant": tenant } });
  if (res.status === 200) return { status: 200 };
  const body = (await res.json()) as { error: { code: string; message: string } };
  return { status: res.status, code: body.error.code, message: body.error.message };
}

/** Both enforcement points refuse the token: 403 unsigned_approval. */
async function refusedEverywhere(token: string, tenant: string, why: RegExp) {
  const gw = await throughGateway(token, tenant);
  assert.equal(gw.status, 403, JSON.stringify(gw));
  assert.equal(gw.code, "unsigned_approval");
  assert.match(gw.message!, why);
  await assert.rejects(sdk.verify(token, { tenant, service: "mail", access: "read", requireSignedApprovals: true }), (err: unknown) => {
    assert.ok(err instanceof GrantError, String(err));
    assert.equal(err.code, "unsigned_approval");
    assert.match(err.message, why);
    return true;
  });
}

const decisionOf = (events: AuditEvent[], id: string) => events.find((e) => e.operation === "request.approved" && e.target.id === id)!;

test("a signed approval verifies offline and passes the gateway and the SDK", async () => {
  const id = await signedGrant(t, w, a);
  const token = await tokenOf(id);
  assert.equal((await throughGateway(token, a.tenantId)).status, 200);
  const grant = await sdk.verify(token, { tenant: a.tenantId, service: "mail", access: "read", requireSignedApprovals: true });
  assert.equal(grant.requestId, id);
  assert.match(await verifyExport(t, a.tenantId), /^1 signed decisions verified\.$/m);
});

for (const [what, change] of [
  ["services", (s: Record<string, unknown>) => (s.services = ["files", "mail"])],
  ["minutes", (s: Record<string, unknown>) => (s.grantedMinutes = 240)],
  ["request id", (s: Record<string, unknown>) => (s.requestId = "0b6f4c1e-0000-4000-8000-000000000000")],
] as const) {
  test(`a statement whose ${what} changed after signing fails offline at its seq and is refused`, async () => {
    const id = await signedGrant(t, w, a);
    const token = await tokenOf(id);
    const seq = await seqOf(t, id, "request.approved");
    const rewrite = (events: AuditEvent[]) => change((decisionOf(events, id).details.signed as { statement: Record<string, unknown> }).statement);
    const failure = await verifyFailure(t, a.tenantId, rewrite);
    assert.match(failure, new RegExp(`^signed decision broken at seq ${seq}: `), failure);
    rewrites.set(id, rewrite);
    // Caught by whichever check comes first: the facts, the minutes, or the signature itself.
    await refusedEverywhere(token, a.tenantId, /do not verify: seq \d+: /);
  });
}

test("a signature replayed onto another request fails offline at its seq and is refused", async () => {
  const signedOne = await signedGrant(t, w, a);
  const target = await signedGrant(t, w, a);
  const token = await tokenOf(target);
  const source = await t.app.deps.db.selectFrom("audit_events").select("details").where("request_id", "=", signedOne).where("operation", "=", "request.approved").executeTakeFirstOrThrow();
  const replay = (events: AuditEvent[]) => {
    decisionOf(events, target).details.signed = JSON.parse(source.details).signed;
  };
  const failure = await verifyFailure(t, a.tenantId, replay);
  assert.match(failure, new RegExp(`^signed decision broken at seq ${await seqOf(t, target, "request.approved")}: the statement is for request ${signedOne}`), failure);
  rewrites.set(target, replay);
  await refusedEverywhere(token, a.tenantId, /the statement is for request/);
});

test("a grant token whose apv does not match the signed approvals is refused; a rewritten apv fails offline", async () => {
  const id = await signedGrant(t, w, a);
  const genuine = decodeJwt(await tokenOf(id));
  const forged = await signCompactJws(t.app.deps.keys, { ...genuine, services: ["mail", "files"], apv: ["AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"] }, "JWT");
  await refusedEverywhere(forged, a.tenantId, /apv does not match/);
  const noApv = await signCompactJws(t.app.deps.keys, { ...genuine, apv: undefined }, "JWT");
  await refusedEverywhere(noApv, a.tenantId, /carries no apv/);
  const seq = await seqOf(t, id, "request.token_issued");
  const failure = await verifyFailure(t, a.tenantId, (events) => {
    events.find((e) => e.seq === seq)!.details.apv = ["AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"];
  });
  assert.match(failure, new RegExp(`^signed decision broken at seq ${seq}: the token's apv`), failure);
});

/** A request of tenant `s` the manager approved, now waiting for the customer. */
async function pending(s: SignedTenant): Promise<string> {
  const res = await t.request("POST", "/v1/requests", w.engineer.as, {
    tenantId: s.tenantId,
    ticket: "CASE-8",
    reason: "Calendar sync",
    services: ["mail"],
    accessLevel: "read",
    requestedMinutes: 30,
  });
  await t.request("POST", `/v1/requests/${res.body.id}/approve`, w.manager.as, {});
  return res.body.id as string;
}

test("an approval signed with another approver's key (passkey row reassigned in the database) fails offline and is refused", async () => {
  const s = await signedTenant(t, "Reassignco");
  const id = await pending(s);
  await t.app.deps.db.updateTable("passkeys").set({ user_id: s.approver.user.id }).where("credential_id", "=", s.approver2.key.credentialId).execute();
  const { res } = await signAndDecide(t, id, s.approver, s.approver2.key, "approve");
  assert.equal(res.body.status, "approved", "the server trusts its passkeys table");
  const failure = await verifyFailure(t, s.tenantId);
  assert.match(failure, new RegExp(`^signed decision broken at seq ${await seqOf(t, id, "request.approved")}: passkey .* was registered by another user`), failure);
  await refusedEverywhere(await tokenOf(id), s.tenantId, /registered by another user/);
});

test("an approval signed with a key registered only after the decision fails offline and is refused", async () => {
  const s = await signedTenant(t, "Lateco");
  const id = await pending(s);
  const late = await softPasskey(t, null);
  await late.plant(s.approver.user.id);
  const { res } = await signAndDecide(t, id, s.approver, late, "approve");
  assert.equal(res.body.status, "approved");
  await t.app.deps.db.deleteFrom("passkeys").where("credential_id", "=", late.credentialId).execute();
  await late.register(s.approver.as);
  const failure = await verifyFailure(t, s.tenantId);
  assert.match(failure, new RegExp(`^signed decision broken at seq ${await seqOf(t, id, "request.approved")}: passkey .* is not registered earlier in this chain`), failure);
  await refusedEverywhere(await tokenOf(id), s.tenantId, /not registered earlier/);
});

test("an approval signed with a key removed before the decision fails offline and is refused", async () => {
  const s = await signedTenant(t, "Removeco");
  const id = await pending(s);
  const listed = await t.request("GET", "/v1/me/passkeys", s.approver.as);
  assert.equal((await t.request("DELETE", `/v1/me/passkeys/${listed.body.items[0].id}`, s.approver.as)).status, 204);
  await s.approver.key.plant(s.approver.user.id);
  const { res } = await signAndDecide(t, id, s.approver, s.approver.key, "approve");
  assert.equal(res.body.status, "approved");
  const failure = await verifyFailure(t, s.tenantId);
  assert.match(failure, new RegExp(`^signed decision broken at seq ${await seqOf(t, id, "request.approved")}: passkey .* was removed at seq \\d+, before`), failure);
  await refusedEverywhere(await tokenOf(id), s.tenantId, /was removed at seq/);
});

test("a request flipped to approved in the database, with no signature, fails offline at its token and is refused", async () => {
  const s = await signedTenant(t, "Flipco");
  const id = await pending(s);
  const now = t.clock.now();
  await t.app.deps.db
    .updateTable("access_requests")
    .set({ status: "approved", granted_minutes: 30, access_starts_at: now.toISOString(), access_ends_at: new Date(now.getTime() + 30 * 60_000).toISOString() })
    .where("id", "=", id)
    .execute();
  const token = await tokenOf(id);
  assert.deepEqual(decodeJwt(token).apv, []);
  const failure = await verifyFailure(t, s.tenantId);
  assert.match(failure, new RegExp(`^signed decision broken at seq ${await seqOf(t, id, "request.token_issued")}: a grant token was issued for request ${id}, which this chain never shows approved`), failure);
  await refusedEverywhere(token, s.tenantId, /0 signed approvals, 1 required/);
});

test("two required approvals: both signatures are in apv, the grant runs for the fewer minutes signed, and it passes", async () => {
  const s = await signedTenant(t, "Twoco");
  assert.equal((await t.request("PATCH", `/v1/tenants/${s.tenantId}/settings`, s.admin.as, { requiredApprovals: 2 })).status, 200);
  const id = await pending(s);
  const first = await signAndDecide(t, id, s.approver, s.approver.key, "approve");
  assert.equal(first.res.body.status, "pending_customer");
  const second = await signAndDecide(t, id, s.approver2, s.approver2.key, "approve", { grantedMinutes: 20 });
  assert.equal(second.res.body.status, "approved", JSON.stringify(second.res.body));
  assert.equal(second.res.body.grantedMinutes, 20);
  const token = await tokenOf(id);
  assert.deepEqual(decodeJwt(token).apv, [first.challenge, second.challenge].sort());
  assert.equal((await throughGateway(token, s.tenantId)).status, 200);
  assert.match(await verifyExport(t, s.tenantId), /^2 signed decisions verified\.$/m);
  // Another such request whose evidence shows only one of its two signatures: one is not enough.
  const id2 = await pending(s);
  await signAndDecide(t, id2, s.approver, s.approver.key, "approve");
  const kept = await signAndDecide(t, id2, s.approver2, s.approver2.key, "approve");
  assert.equal(kept.res.body.status, "approved");
  rewrites.set(id2, (events) => {
    const e = events.find((x) => x.operation === "request.approved" && x.actor.id === s.approver.user.id)!;
    delete e.details.signed;
    // …and the issued token's record made to agree, as a careful forger would.
    for (const issued of events.filter((x) => x.operation === "request.token_issued")) issued.details.apv = [kept.challenge];
  });
  const onlyOne = await signCompactJws(t.app.deps.keys, { ...decodeJwt(await tokenOf(id2)), apv: [kept.challenge] }, "JWT");
  await refusedEverywhere(onlyOne, s.tenantId, /1 signed approvals, 2 required/);
});
