import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { after, before, test } from "node:test";
import canonicalizeModule from "canonicalize";
import { decodeJwt } from "jose";
import { softPasskey } from "./support/signed-approvals-authenticator.js";
import { seqOf, signAndDecide, signedGrant, signedTenant, type SignedTenant, verifyExport } from "./support/signed-approvals-world.js";
import { startTestApp, type TestApp } from "./support/test-app.js";
import { buildWorld, fileRequest, type World } from "./support/world.js";

/**
 * Approvals the customer signs (SPEC 15) over HTTP, with software passkeys registered through the
 * real routes: turning the setting on, the statement, decisions refused without (or with a wrong)
 * signature, what is stored, the grant's `apv` and the evidence. Forgeries that get past the
 * server (an attacker with the database) are in signed-approvals-forgery.test.ts.
 */

const canonicalize = canonicalizeModule as unknown as (v: unknown) => string;
const b64sha = (s: string) => createHash("sha256").update(s).digest("base64url");

let t: TestApp;
let w: World;
let a: SignedTenant;

before(async () => {
  t = await startTestApp();
  w = await buildWorld(t);
});
after(async () => {
  await t?.close();
});

test("requireSignedApprovals is refused (409 not_enough_passkeys) until requiredApprovals approvers hold a passkey", async () => {
  const on = { requireSignedApprovals: true };
  const refused = await t.request("PATCH", `/v1/tenants/${w.tenantA}/settings`, w.a.admin.as, on);
  assert.equal(refused.status, 409);
  assert.equal(refused.body.error.code, "not_enough_passkeys");
  assert.equal((await t.request("GET", `/v1/tenants/${w.tenantA}/settings`, w.a.admin.as)).body.requireSignedApprovals, false, "off by default");
  await softPasskey(t, w.a.approver.as);
  // An auditor's passkey does not count: auditors do not decide.
  await softPasskey(t, w.a.auditor.as);
  const two = await t.request("PATCH", `/v1/tenants/${w.tenantA}/settings`, w.a.admin.as, { ...on, requiredApprovals: 2 });
  assert.equal(two.status, 409, "one approver with a passkey cannot give two approvals");
  assert.equal((await t.request("PATCH", `/v1/tenants/${w.tenantA}/settings`, w.providerAdmin.as, on)).status, 403, "never the provider");
  const ok = await t.request("PATCH", `/v1/tenants/${w.tenantA}/settings`, w.a.admin.as, on);
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.equal(ok.body.requireSignedApprovals, true);
  const raise = await t.request("PATCH", `/v1/tenants/${w.tenantA}/settings`, w.a.admin.as, { requiredApprovals: 2 });
  assert.equal(raise.body.error?.code, "not_enough_passkeys", "nor raised past the approvers who can sign while on");
});

test("the statement: RFC 8785 JSON of the decision's terms; its SHA-256 is the challenge", async () => {
  a = await signedTenant(t, "Signco");
  const res = await t.request("POST", "/v1/requests", w.engineer.as, {
    tenantId: a.tenantId,
    ticket: "CASE-9",
    reason: "Attachments vanish",
    services: ["mail", "files"],
    accessLevel: "write",
    requestedMinutes: 90,
  });
  const id = res.body.id as string;
  await t.request("POST", `/v1/requests/${id}/approve`, w.manager.as, { grantedMinutes: 60 });
  const s = await t.request("GET", `/v1/requests/${id}/statement?decision=approve`, a.approver.as);
  assert.equal(s.status, 200, JSON.stringify(s.body));
  assert.deepEqual(s.body.statement, {
    type: "lockbox.decision/v1",
    decision: "approve",
    requestId: id,
    tenantId: a.tenantId,
    requester: { id: w.engineer.user.id, email: w.engineer.user.email },
    ticket: "CASE-9",
    reasonSha256: createHash("sha256").update("Attachments vanish").digest("hex"),
    services: ["files", "mail"],
    accessLevel: "write",
    grantedMinutes: 60,
    approver: { id: a.approver.user.id, email: a.approver.user.email },
    issuedAt: t.clock.now().toISOString(),
  });
  assert.equal(s.body.canonical, canonicalize(s.body.statement));
  assert.equal(s.body.challenge, b64sha(s.body.canonical));
  const shorter = await t.request("GET", `/v1/requests/${id}/statement?decision=approve&grantedMinutes=30`, a.approver.as);
  assert.equal(shorter.body.statement.grantedMinutes, 30);
  assert.equal((await t.request("GET", `/v1/requests/${id}/statement?decision=approve&grantedMinutes=91`, a.approver.as)).status, 400);
  assert.equal((await t.request("GET", `/v1/requests/${id}/statement?decision=maybe`, a.approver.as)).status, 400);
  assert.equal((await t.request("GET", `/v1/requests/${id}/statement?decision=approve`, w.manager.as)).status, 403, "the provider signs nothing");
  assert.equal((await t.request("GET", `/v1/requests/${id}/statement?decision=approve`, w.a.approver.as)).status, 404, "another tenant's request");
});

test("an unsigned decision is 400 signature_required; a signed one is verified, stored in its audit event, and named in the grant's apv", async () => {
  const id = await fileRequest(w, { tenantId: a.tenantId });
  await t.request("POST", `/v1/requests/${id}/approve`, w.manager.as, {});
  const unsigned = await t.request("POST", `/v1/requests/${id}/approve`, a.approver.as, { comment: "fine" });
  assert.equal(unsigned.status, 400);
  assert.equal(unsigned.body.error.code, "signature_required");
  const { res, statement, challenge } = await signAndDecide(t, id, a.approver, a.approver.key, "approve", { comment: "fine" });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.status, "approved");
  const event = await t.app.deps.db.selectFrom("audit_events").selectAll().where("request_id", "=", id).where("operation", "=", "request.approved").executeTakeFirstOrThrow();
  const signed = JSON.parse(event.details).signed;
  assert.deepEqual(signed.statement, statement);
  assert.equal(signed.assertion.credentialId, a.approver.key.credentialId);
  assert.equal(JSON.parse(Buffer.from(signed.assertion.clientDataJSON, "base64url").toString()).challenge, challenge);

  const token = (await t.request("GET", `/v1/requests/${id}/token`, w.engineer.as)).body.token;
  assert.deepEqual(decodeJwt(token).apv, [challenge]);

  const svc = (await t.request("POST", "/v1/service-credentials", w.providerAdmin.as, { name: "evidence-reader" })).body.token;
  const ev = await t.request("GET", `/v1/requests/${id}/evidence`, { token: svc });
  assert.equal(ev.status, 200, JSON.stringify(ev.body));
  assert.equal(ev.body.decisions.length, 1);
  const registered = await t.app.deps.db.selectFrom("audit_events").select("seq").where("operation", "=", "user.passkey_registered").where("actor_id", "=", a.approver.user.id).executeTakeFirstOrThrow();
  assert.equal(ev.body.decisions[0].passkey.registeredSeq, Number(registered.seq));
  assert.equal(ev.body.decisions[0].passkey.jwk.kty, "EC");
  assert.deepEqual(ev.body.chain.events.map((e: { operation: string }) => e.operation), [
    "user.passkey_registered",
    "request.created",
    "request.manager_approved",
    "request.approved",
    "request.token_issued",
  ]);
  assert.ok("checkpoint" in ev.body, "the latest signed checkpoint, or null before the first");
  assert.equal((await t.request("GET", `/v1/requests/${id}/evidence`, w.b.auditor.as)).status, 404, "another tenant's people");
  assert.equal((await t.request("GET", `/v1/requests/${id}/evidence`, null)).status, 401);
});

test("the server refuses a signature that does not fit this decision; the request stays pending", async () => {
  const id = await fileRequest(w, { tenantId: a.tenantId });
  const other = await fileRequest(w, { tenantId: a.tenantId });
  for (const r of [id, other]) await t.request("POST", `/v1/requests/${r}/approve`, w.manager.as, {});
  const s = (await t.request("GET", `/v1/requests/${id}/statement?decision=approve`, a.approver.as)).body;
  const send = (body: object, on = id, who = a.approver) => t.request("POST", `/v1/requests/${on}/approve`, who.as, body);
  const cases: [string, () => Promise<{ status: number; body: any }>][] = [
    ["services widened after signing", () => send({ statement: { ...s.statement, services: ["files", "mail"] }, assertion: a.approver.key.sign(s.challenge) })],
    ["minutes raised after signing", () => send({ statement: { ...s.statement, grantedMinutes: 120 }, assertion: a.approver.key.sign(s.challenge) })],
    ["body minutes differ from the signed ones", () => send({ grantedMinutes: 30, statement: s.statement, assertion: a.approver.key.sign(s.challenge) })],
    ["the statement re-signed with other terms", () => {
      const widened = { ...s.statement, accessLevel: "write" };
      return send({ statement: widened, assertion: a.approver.key.sign(b64sha(canonicalize(widened))) });
    }],
    ["another approver's key", () => send({ statement: s.statement, assertion: a.approver2.key.sign(s.challenge) })],
    ["another approver's statement", () => send({ statement: s.statement, assertion: a.approver.key.sign(s.challenge) }, id, a.approver2)],
    ["user verification missing (UP only)", () => send({ statement: s.statement, assertion: a.approver.key.sign(s.challenge, { flags: 0x01 }) })],
    ["another relying party", () => send({ statement: s.statement, assertion: a.approver.key.sign(s.challenge, { rpId: "evil.test" }) })],
    ["replayed onto another request", () => send({ statement: s.statement, assertion: a.approver.key.sign(s.challenge) }, other)],
    ["only half of it", () => send({ statement: s.statement })],
  ];
  for (const [name, attempt] of cases) {
    const res = await attempt();
    assert.equal(res.status, 400, `${name}: ${JSON.stringify(res.body)}`);
    assert.match(res.body.error.code, /^signature_(invalid|required)$/, name);
  }
  t.clock.advanceMinutes(6);
  const stale = await send({ statement: s.statement, assertion: a.approver.key.sign(s.challenge) });
  assert.equal(stale.status, 400);
  assert.match(stale.body.error.message, /older than 5 minutes/);
  assert.equal((await t.request("GET", `/v1/requests/${id}`, a.approver.as)).body.status, "pending_customer");
  assert.equal((await t.request("GET", `/v1/requests/${other}`, a.approver.as)).body.status, "pending_customer");
});

test("deny and revoke are signed too; the chain then verifies offline with every signed decision counted", async () => {
  const denied = await fileRequest(w, { tenantId: a.tenantId });
  await t.request("POST", `/v1/requests/${denied}/approve`, w.manager.as, {});
  assert.equal((await t.request("POST", `/v1/requests/${denied}/deny`, a.approver2.as, { comment: "no" })).body.error.code, "signature_required");
  const deny = await signAndDecide(t, denied, a.approver2, a.approver2.key, "deny", { comment: "no" });
  assert.equal(deny.res.body.status, "denied", JSON.stringify(deny.res.body));

  const granted = await signedGrant(t, w, a);
  assert.equal((await t.request("POST", `/v1/requests/${granted}/revoke`, a.approver.as, {})).body.error.code, "signature_required");
  const revoke = await signAndDecide(t, granted, a.approver2, a.approver2.key, "revoke");
  assert.equal(revoke.res.body.status, "revoked", JSON.stringify(revoke.res.body));
  // Provider staff never sign: a manager's revoke of another grant needs no passkey.
  const other = await signedGrant(t, w, a);
  assert.equal((await t.request("POST", `/v1/requests/${other}/revoke`, w.manager.as, {})).body.status, "revoked");

  const out = await verifyExport(t, a.tenantId);
  // The approval of the earlier test and two here, the deny and the customer's revoke.
  assert.match(out, /^5 signed decisions verified\.$/m, out);
  assert.ok((await seqOf(t, granted, "request.revoked")) > 0);
});

test("the CLI, which cannot sign, prints the admin center link and waits until the decision is made there", async () => {
  await t.app.server.listen({ port: 0, host: "127.0.0.1" });
  const server = `http://127.0.0.1:${(t.app.server.server.address() as AddressInfo).port}`;
  const id = await fileRequest(w, { tenantId: a.tenantId });
  await t.request("POST", `/v1/requests/${id}/approve`, w.manager.as, {});
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "requests", "approve", id, "--poll-seconds", "1"], {
    cwd: path.resolve(import.meta.dirname, ".."),
    env: { PATH: process.env.PATH ?? "", HOME: "/nonexistent", NO_COLOR: "1", TZ: "UTC", LOCKBOX_SERVER: server, LOCKBOX_TOKEN: a.approver.token },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
  try {
    for (let i = 0; i < 1200 && !stderr.includes("waiting"); i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(stderr, new RegExp(`Open ${server}/requests/${id} to approve it with your passkey`));
    assert.equal((await t.request("GET", `/v1/requests/${id}`, a.approver.as)).body.status, "pending_customer", "the CLI decided nothing");
    // The approver signs in the admin center (here: the same calls the page makes).
    const { res } = await signAndDecide(t, id, a.approver, a.approver.key, "approve");
    assert.equal(res.body.status, "approved");
    assert.equal(await exited, 0, stderr);
    assert.match(stdout, /approved/i);
  } finally {
    clearTimeout(timer);
  }
});
