import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { compactVerify, createLocalJWKSet, decodeProtectedHeader } from "jose";
import { Keyring, signCompactJws } from "../src/keys/keyring.js";
import { loadMasterKey } from "../src/keys/master-key.js";
import { rotateSigningKey } from "../src/keys/signing-keys.js";
import { startTestApp, type TestApp } from "./support/test-app.js";

const SECRET = "a-long-enough-secret-for-the-signing-keys-0123456789";
let t: TestApp;
before(async () => {
  t = await startTestApp({ LOCKBOX_SECRET: SECRET });
});
after(() => t.close());

test("signCompactJws: EdDSA with the active kid, verifiable against publicJwks", async () => {
  const jws = await signCompactJws(t.app.deps.keys, { chain: "tenant:x", seq: 3, hash: "ab" }, "lockbox-checkpoint");
  const header = decodeProtectedHeader(jws);
  assert.equal(header.alg, "EdDSA");
  assert.equal(header.typ, "lockbox-checkpoint");
  assert.equal(header.kid, await t.app.deps.keys.activeKid());
  const { payload } = await compactVerify(jws, createLocalJWKSet(await t.app.deps.keys.publicJwks()));
  assert.deepEqual(JSON.parse(new TextDecoder().decode(payload)), { chain: "tenant:x", seq: 3, hash: "ab" });
});

test("a retired key leaves the JWKS once its last token can have expired, but stays for old signatures", async () => {
  const masterKey = loadMasterKey({ secret: SECRET, dataDir: t.database.dataDir });
  const oldKid = await t.app.deps.keys.activeKid();
  const rotated = await rotateSigningKey(t.app.deps.db, masterKey, t.clock.now(), t.app.deps.config.maxAccessMinutes);
  await t.app.deps.keys.reload();
  let kids = (await t.app.deps.keys.publicJwks()).keys.map((k) => k.kid);
  assert.deepEqual(kids.sort(), [oldKid, rotated.kid].sort());

  t.clock.advanceMinutes(t.app.deps.config.maxAccessMinutes + 6);
  await t.app.deps.keys.reload();
  kids = (await t.app.deps.keys.publicJwks()).keys.map((k) => k.kid);
  assert.deepEqual(kids, [rotated.kid]);
  const all = (await t.app.deps.keys.publicJwks({ includeUnpublished: true })).keys.map((k) => k.kid);
  assert.ok(all.includes(oldKid));
});

test("keys sealed under one secret are refused under another, with a clear message", async () => {
  const wrong = new Keyring(t.app.deps.db, { secret: "another-secret-entirely-another-secret-entirely", dataDir: t.database.dataDir }, t.clock);
  await assert.rejects(wrong.init(), /cannot be decrypted: LOCKBOX_SECRET/);
  const again = new Keyring(t.app.deps.db, { secret: SECRET, dataDir: t.database.dataDir }, t.clock);
  await again.init();
  assert.equal(await again.activeKid(), await t.app.deps.keys.activeKid());
});

test("LOCKBOX_SECRET shorter than 32 characters is refused at start", async () => {
  const { loadConfig } = await import("../src/config.js");
  assert.throws(() => loadConfig({ LOCKBOX_SECRET: "short" }), /LOCKBOX_SECRET/);
});
