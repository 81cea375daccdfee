import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { CompactSign, createLocalJWKSet, generateKeyPair, type JSONWebKeySet, jwtVerify } from "jose";
import { signCompactJws } from "../src/keys/keyring.js";
import { ActivityBufferFull, createVerifier, GrantError, type Verifier } from "../src/sdk/index.js";
import { startTestApp, type TestApp } from "./support/test-app.js";
import { buildWorld, fileRequest, type World } from "./support/world.js";

let t: TestApp;
let w: World;
let base: string;
let svcToken: string;
let verifier: Verifier;
const errors: Error[] = [];

before(async () => {
  t = await startTestApp();
  w = await buildWorld(t);
  await t.app.server.listen({ port: 0, host: "127.0.0.1" });
  base = `http://127.0.0.1:${(t.app.server.server.address() as AddressInfo).port}`;
  svcToken = (await t.request("POST", "/v1/service-credentials", w.providerAdmin.as, { name: "sdk-test" })).body.token;
  verifier = createVerifier({
    jwksUrl: `${base}/.well-known/jwks.json`,
    server: base,
    token: svcToken,
    issuer: "http://lockbox.test",
    revocationPollMs: 100,
    activityFlushMs: 50,
    now: () => t.clock.now(),
    onError: (e) => errors.push(e),
  });
});
after(async () => {
  await verifier.close();
  await t.close();
});

async function grant(overrides: Record<string, unknown> = {}): Promise<{ id: string; token: string }> {
  const id = await fileRequest(w, overrides);
  await t.request("POST", `/v1/requests/${id}/approve`, w.manager.as, {});
  const c = await t.request("POST", `/v1/requests/${id}/approve`, w.a.approver.as, {});
  assert.equal(c.body.status, "approved");
  const res = await t.request("GET", `/v1/requests/${id}/token`, w.engineer.as);
  assert.equal(res.status, 200);
  return { id, token: res.body.token };
}

async function refused(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof GrantError, String(err));
    assert.equal(err.code, code);
    return true;
  });
}

test("the SDK and plain jose both verify a grant token against the server's JWKS", async () => {
  const { id, token } = await grant({ services: ["mail", "files"], accessLevel: "write" });
  const g = await verifier.verify(token, { tenant: w.tenantA, service: "files", access: "write" });
  assert.equal(g.requestId, id);
  assert.equal(g.userId, w.engineer.user.id);
  assert.equal(g.ticket, "CASE-42");
  assert.deepEqual(g.services, ["mail", "files"]);
  assert.equal((await verifier.verify(token, { tenant: w.tenantA, service: "mail", access: "read" })).access, "write");

  const jwks = (await (await fetch(`${base}/.well-known/jwks.json`)).json()) as JSONWebKeySet;
  const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), { audience: "lockbox", currentDate: t.clock.now() });
  assert.equal(payload.rid, id);
});

test("wrong tenant, service and access are refused with 403 codes", async () => {
  const { token } = await grant({ services: ["mail"], accessLevel: "read" });
  await refused(verifier.verify(token, { tenant: w.tenantB, service: "mail", access: "read" }), "wrong_tenant");
  await refused(verifier.verify(token, { tenant: w.tenantA, service: "chat", access: "read" }), "wrong_service");
  await refused(verifier.verify(token, { tenant: w.tenantA, service: "mail", access: "write" }), "insufficient_access");
  const err = await verifier.verify(token, { tenant: w.tenantB, service: "mail", access: "read" }).catch((e: GrantError) => e);
  assert.equal((err as GrantError).status, 403);
});

test("tampered, foreign-signed and garbage tokens are refused", async () => {
  const { token } = await grant();
  const [h, p, s] = token.split(".");
  const claims = JSON.parse(Buffer.from(p!, "base64url").toString());
  const forged = Buffer.from(JSON.stringify({ ...claims, tenant: w.tenantB })).toString("base64url");
  await refused(verifier.verify(`${h}.${forged}.${s}`, { tenant: w.tenantB, service: "mail", access: "read" }), "invalid_token");
  const badSig = `${h}.${p}.${s!.slice(0, -4)}${s!.slice(-4) === "AAAA" ? "BBBB" : "AAAA"}`;
  await refused(verifier.verify(badSig, { tenant: w.tenantA, service: "mail", access: "read" }), "invalid_token");
  await refused(verifier.verify("not.a.token", { tenant: w.tenantA, service: "mail", access: "read" }), "invalid_token");
  await refused(verifier.verify("", { tenant: w.tenantA, service: "mail", access: "read" }), "invalid_token");

  // Same kid, another key: the signature does not verify.
  const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
  const header = JSON.parse(Buffer.from(h!, "base64url").toString());
  const foreign = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader({ alg: "EdDSA", kid: header.kid })
    .sign(privateKey);
  await refused(verifier.verify(foreign, { tenant: w.tenantA, service: "mail", access: "read" }), "invalid_token");
  // Signed by Lockbox but not a grant (another audience).
  const other = await signCompactJws(t.app.deps.keys, { ...claims, aud: "something-else" }, "JWT");
  await refused(verifier.verify(other, { tenant: w.tenantA, service: "mail", access: "read" }), "invalid_token");
});

test("expired and not-yet-valid tokens are refused", async () => {
  const nowS = Math.floor(t.clock.now().getTime() / 1000);
  const claims = {
    iss: "http://lockbox.test",
    sub: w.engineer.user.id,
    aud: "lockbox",
    tenant: w.tenantA,
    services: ["mail"],
    access: "read",
    rid: "r-future",
    ticket: "T-1",
    iat: nowS,
  };
  const future = await signCompactJws(t.app.deps.keys, { ...claims, nbf: nowS + 600, exp: nowS + 1200 }, "JWT");
  await refused(verifier.verify(future, { tenant: w.tenantA, service: "mail", access: "read" }), "not_yet_valid");

  const { token } = await grant({ requestedMinutes: 15 });
  await verifier.verify(token, { tenant: w.tenantA, service: "mail", access: "read" });
  t.clock.advanceMinutes(15);
  await refused(verifier.verify(token, { tenant: w.tenantA, service: "mail", access: "read" }), "expired");
});

test("a revoked grant is refused once the feed has been polled", async () => {
  const { id, token } = await grant({ requestedMinutes: 60 });
  await verifier.verify(token, { tenant: w.tenantA, service: "mail", access: "read" });
  assert.equal((await t.request("POST", `/v1/requests/${id}/revoke`, w.a.approver.as, {})).status, 200);
  const started = Date.now();
  for (;;) {
    const err = await verifier.verify(token, { tenant: w.tenantA, service: "mail", access: "read" }).then(
      () => undefined,
      (e: GrantError) => e,
    );
    if (err) {
      assert.equal(err.code, "revoked");
      break;
    }
    assert.ok(Date.now() - started < 3000, "revocation not seen within 3 s");
    await new Promise((r) => setTimeout(r, 50));
  }
});

test("reportActivity batches events into the tenant's audit log", async () => {
  const { id } = await grant({ requestedMinutes: 60 });
  for (let i = 0; i < 5; i++) verifier.reportActivity({ requestId: id, operation: "read", target: `mailbox/m${i}`, at: t.clock.now() });
  await verifier.flush();
  const rows = await t.app.deps.db.selectFrom("audit_events").select(["operation", "actor"]).where("request_id", "=", id).where("operation", "=", "operator.read").execute();
  assert.equal(rows.length, 5);
  assert.equal(JSON.parse(rows[0]!.actor).name, "Erin Engineer");
});

test("the activity reporter never drops a batch: held through failures and refusals, bounded, and measured (finding 2)", async () => {
  const { id } = await grant({ requestedMinutes: 60 });
  // The server is real; only its answers to activity posts are taken away or replaced.
  let mode: "down" | "refusing" | "up" = "down";
  const reporterErrors: Error[] = [];
  const v = createVerifier({
    jwksUrl: `${base}/.well-known/jwks.json`,
    server: base,
    token: svcToken,
    issuer: "http://lockbox.test",
    activityFlushMs: 60_000,
    activityMaxQueue: 3,
    now: () => t.clock.now(),
    onError: (e) => reporterErrors.push(e),
    fetch: async (input, init) => {
      if (String(input).includes("/v1/activity") && mode !== "up") {
        if (mode === "down") throw new TypeError("fetch failed");
        return new Response(JSON.stringify({ error: { code: "invalid_request", message: "events: no", requestId: "r" } }), { status: 400 });
      }
      return fetch(input, init);
    },
  });
  try {
    v.reportActivity({ requestId: id, operation: "mailbox.read_item", target: "m/1", at: t.clock.now() });
    v.reportActivity({ requestId: id, operation: "mailbox.read_item", target: "m/2", at: t.clock.now() });
    await v.flush();
    let stats = v.activityStats();
    assert.equal(stats.pending, 2);
    assert.equal(stats.capacity, 3);
    assert.equal(stats.consecutiveFailures, 1);
    assert.match(stats.lastError ?? "", /fetch failed/);

    mode = "refusing";
    await v.flush();
    stats = v.activityStats();
    assert.equal(stats.pending, 2, "a refused batch is kept, not dropped");
    assert.equal(stats.consecutiveFailures, 2);

    v.reportActivity({ requestId: id, operation: "mailbox.read_item", target: "m/3", at: t.clock.now() });
    assert.throws(() => v.reportActivity({ requestId: id, operation: "mailbox.read_item", target: "m/4" }), ActivityBufferFull);
    assert.equal(v.activityStats().pending, 3, "a full buffer refuses the new event; it drops none it holds");

    mode = "up";
    await v.flush();
    stats = v.activityStats();
    assert.deepEqual([stats.pending, stats.consecutiveFailures, stats.delivered, stats.denied], [0, 0, 3, 0]);
    const rows = await t.app.deps.db.selectFrom("audit_events").select("target").where("request_id", "=", id).where("operation", "=", "operator.mailbox.read_item").orderBy("seq").execute();
    assert.deepEqual(rows.map((r) => JSON.parse(r.target).id), ["m/1", "m/2", "m/3"]);
  } finally {
    await v.close();
  }
});

test("a verifier that cannot read the revocations feed refuses rather than trusts", async () => {
  const { token } = await grant();
  const blind = createVerifier({
    jwksUrl: `${base}/.well-known/jwks.json`,
    server: base,
    token: "lbs_not-a-real-credential",
    issuer: "http://lockbox.test",
    now: () => t.clock.now(),
  });
  try {
    await refused(blind.verify(token, { tenant: w.tenantA, service: "mail", access: "read" }), "revocations_unavailable");
  } finally {
    await blind.close();
  }
  // Offline (no server): signature and claims only.
  const offline = createVerifier({ jwks: (await (await fetch(`${base}/.well-known/jwks.json`)).json()) as JSONWebKeySet, now: () => t.clock.now() });
  assert.equal((await offline.verify(token, { tenant: w.tenantA, service: "mail", access: "read" })).tenant, w.tenantA);
});
