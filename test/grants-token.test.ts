import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { rotateKeys } from "../src/cli/keys.js";
import { KEY_FILE } from "../src/keys/master-key.js";
import { startTestApp, type TestApp } from "./support/test-app.js";
import { buildWorld, fileRequest, type World } from "./support/world.js";

let t: TestApp;
let w: World;
before(async () => {
  t = await startTestApp();
  w = await buildWorld(t);
});
after(() => t.close());

async function approved(overrides: Record<string, unknown> = {}): Promise<string> {
  const id = await fileRequest(w, overrides);
  assert.equal((await t.request("POST", `/v1/requests/${id}/approve`, w.manager.as, {})).status, 200);
  const c = await t.request("POST", `/v1/requests/${id}/approve`, w.a.approver.as, {});
  assert.equal(c.body.status, "approved", JSON.stringify(c.body));
  return id;
}

const jwks = async () => (await t.request("GET", "/.well-known/jwks.json", null)).body;

test("grant token: claims exactly as specified, verifiable with plain jose against the JWKS", async () => {
  const id = await approved({ services: ["mail", "files"], accessLevel: "write", requestedMinutes: 30 });
  const res = await t.request("GET", `/v1/requests/${id}/token`, w.engineer.as);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const request = (await t.request("GET", `/v1/requests/${id}`, w.engineer.as)).body;
  assert.equal(res.body.expiresAt, request.accessEndsAt);

  const set = await jwks();
  assert.ok(set.keys.length >= 1);
  for (const k of set.keys) assert.equal(k.d, undefined, "no private part is published");
  const { payload, protectedHeader } = await jwtVerify(res.body.token, createLocalJWKSet(set), {
    issuer: "http://lockbox.test",
    audience: "lockbox",
    currentDate: t.clock.now(),
    algorithms: ["EdDSA"],
  });
  assert.equal(protectedHeader.alg, "EdDSA");
  assert.ok(set.keys.some((k: { kid: string }) => k.kid === protectedHeader.kid));
  assert.deepEqual(Object.keys(payload).sort(), ["access", "aud", "exp", "iat", "iss", "nbf", "rid", "services", "sub", "tenant", "ticket"]);
  assert.equal(payload.sub, w.engineer.user.id);
  assert.equal(payload.tenant, w.tenantA);
  assert.deepEqual(payload.services, ["mail", "files"]);
  assert.equal(payload.access, "write");
  assert.equal(payload.rid, id);
  assert.equal(payload.ticket, "CASE-42");
  assert.equal(payload.exp, Math.floor(Date.parse(request.accessEndsAt) / 1000));
  assert.equal(payload.nbf, Math.floor(Date.parse(request.accessStartsAt) / 1000));

  const audit = await t.app.deps.db
    .selectFrom("audit_events")
    .selectAll()
    .where("request_id", "=", id)
    .where("operation", "=", "request.token_issued")
    .execute();
  assert.equal(audit.length, 1);
  assert.equal(audit[0]!.chain, `tenant:${w.tenantA}`);
  assert.equal(JSON.parse(audit[0]!.actor).id, w.engineer.user.id);
  assert.equal(JSON.parse(audit[0]!.details).kid, protectedHeader.kid);
});

test("grant token: only the requester, only while approved", async () => {
  const pending = await fileRequest(w);
  const notYet = await t.request("GET", `/v1/requests/${pending}/token`, w.engineer.as);
  assert.equal(notYet.status, 409);
  assert.equal(notYet.body.error.code, "conflict");

  const id = await approved();
  for (const who of [w.engineer2, w.manager, w.providerAdmin, w.a.admin, w.a.approver, w.a.auditor]) {
    const res = await t.request("GET", `/v1/requests/${id}/token`, who.as);
    assert.equal(res.status, 403, `${who.user.name}: ${res.status}`);
  }
  for (const who of [w.b.admin, w.b.auditor]) {
    assert.equal((await t.request("GET", `/v1/requests/${id}/token`, who.as)).status, 404);
  }
  assert.equal((await t.request("GET", `/v1/requests/${id}/token`, null)).status, 401);
  assert.equal((await t.request("GET", `/v1/requests/nope/token`, w.engineer.as)).status, 404);

  // After the window, even before the sweeper runs: 409.
  t.clock.advanceMinutes(61);
  const late = await t.request("GET", `/v1/requests/${id}/token`, w.engineer.as);
  assert.equal(late.status, 409);
  assert.equal(late.body.error.details.status, "completed");

  const revoked = await approved();
  assert.equal((await t.request("POST", `/v1/requests/${revoked}/revoke`, w.a.approver.as, {})).status, 200);
  assert.equal((await t.request("GET", `/v1/requests/${revoked}/token`, w.engineer.as)).status, 409);
});

test("signing keys: encrypted at rest, key file mode 0600, never logged", async () => {
  const rows = await t.app.deps.db.selectFrom("signing_keys").selectAll().execute();
  assert.ok(rows.length >= 1);
  for (const r of rows) {
    assert.match(r.private_key_enc, /^v1\./);
    assert.doesNotMatch(r.private_key_enc, /PRIVATE KEY/);
  }
  const file = path.join(t.database.dataDir, KEY_FILE);
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  const secret = fs.readFileSync(file, "utf8").trim();
  assert.ok(!t.logs.join("\n").includes(secret));
  for (const r of rows) assert.ok(!t.logs.join("\n").includes(r.private_key_enc));
});

test("rotation: old tokens still verify, new tokens carry the new kid, the old key stays published", async () => {
  const id = await approved({ requestedMinutes: 120 });
  const old = (await t.request("GET", `/v1/requests/${id}/token`, w.engineer.as)).body.token as string;
  const oldKid = decodeProtectedHeader(old).kid;

  const env = {
    LOCKBOX_DATA_DIR: t.database.dataDir,
    ...(t.database.databaseUrl ? { LOCKBOX_DATABASE_URL: t.database.databaseUrl } : {}),
  };
  const rotated = await rotateKeys(env);
  assert.ok(rotated.retired.includes(oldKid!));
  await t.app.deps.keys.reload();

  const fresh = (await t.request("GET", `/v1/requests/${id}/token`, w.engineer.as)).body.token as string;
  assert.equal(decodeProtectedHeader(fresh).kid, rotated.kid);
  assert.notEqual(rotated.kid, oldKid);

  const set = await jwks();
  const kids = set.keys.map((k: { kid: string }) => k.kid);
  assert.ok(kids.includes(oldKid) && kids.includes(rotated.kid), JSON.stringify(kids));
  const opts = { audience: "lockbox", currentDate: t.clock.now() };
  assert.equal((await jwtVerify(old, createLocalJWKSet(set), opts)).payload.rid, id);
  assert.equal((await jwtVerify(fresh, createLocalJWKSet(set), opts)).payload.rid, id);
});
