import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { generateSync } from "otplib";
import { verifyTotpCode } from "../src/identity/totp/verify-totp-code.js";
import { startTestApp, type TestApp } from "./support/test-app.js";

/**
 * TOTP over HTTP (SPEC 14): enrol, confirm with a code computed by otplib at the app's (fake)
 * clock, ten single-use recovery codes, replayed and wrong codes refused, the secret sealed at
 * rest, guessing braked, every enrolment and removal audited even with auditing off, and each
 * user reaching only their own factor.
 */

let t: TestApp;
let tenantId: string;
let alice: { id: string; token: string };
let bob: { id: string; token: string };
let secret = "";
let recoveryCodes: string[] = [];

const as = (u: { token: string }) => ({ token: u.token });
const codeAt = (s: string, at: Date) => generateSync({ secret: s, epoch: Math.floor(at.getTime() / 1000) });

async function events(operation: string, userId: string) {
  return t.app.deps.db
    .selectFrom("audit_events")
    .selectAll()
    .where("chain", "=", `tenant:${tenantId}`)
    .where("operation", "=", operation)
    .where("actor_id", "=", userId)
    .execute();
}

before(async () => {
  t = await startTestApp();
  const created = await t.request("POST", "/v1/tenants", { token: t.adminToken }, { name: "Totpcorp", adminEmail: "first@totp.test" });
  assert.equal(created.status, 201);
  tenantId = created.body.tenant.id;
  // Factor changes are audited whatever the tenant says: prove it with auditing off.
  await t.app.deps.db.updateTable("tenants").set({ auditing_enabled: 0 }).where("id", "=", tenantId).execute();
  const a = await t.user(["lockbox_approver"], tenantId, "Alice Approver");
  const b = await t.user(["lockbox_approver"], tenantId, "Bob Approver");
  alice = { id: a.user.id, token: a.token };
  bob = { id: b.user.id, token: b.token };
});

after(async () => {
  await t?.close();
});

test("enrolment answers a base32 secret and an otpauth URL, sealed at rest and pending until confirmed", async () => {
  const res = await t.request("POST", "/v1/me/totp", as(alice));
  assert.equal(res.status, 200);
  secret = res.body.secret;
  assert.match(secret, /^[A-Z2-7]{32}$/);
  const url = new URL(res.body.otpauthUrl);
  assert.equal(url.protocol, "otpauth:");
  assert.equal(url.searchParams.get("secret"), secret);
  assert.equal(url.searchParams.get("issuer"), "Lockbox (lockbox.test)");
  const row = await t.app.deps.db.selectFrom("totp_factors").selectAll().where("user_id", "=", alice.id).executeTakeFirstOrThrow();
  assert.ok(!row.secret.includes(secret), "the secret is not stored in the clear");
  assert.equal(row.confirmed_at, null);
  const status = await t.request("GET", "/v1/me/totp", as(alice));
  assert.deepEqual(status.body, { enrolled: false, pending: true, recoveryCodesLeft: 0 });
  // A pending factor verifies nothing.
  assert.deepEqual(await verifyTotpCode(t.app.deps, alice.id, codeAt(secret, t.clock.now())), { ok: false });
});

test("a wrong code does not confirm; a current one does and answers ten recovery codes, audited with auditing off", async () => {
  const wrong = await t.request("POST", "/v1/me/totp/confirm", as(alice), { code: codeAt(secret, new Date(t.clock.now().getTime() - 10 * 60_000)) });
  assert.equal(wrong.status, 400);
  assert.equal(wrong.body.error.details[0].field, "code");
  assert.equal((await events("user.totp_enrolled", alice.id)).length, 0);

  const ok = await t.request("POST", "/v1/me/totp/confirm", as(alice), { code: codeAt(secret, t.clock.now()) });
  assert.equal(ok.status, 200);
  recoveryCodes = ok.body.recoveryCodes;
  assert.equal(recoveryCodes.length, 10);
  assert.equal(new Set(recoveryCodes).size, 10);
  const stored = await t.app.deps.db.selectFrom("recovery_codes").select("code_hash").where("user_id", "=", alice.id).execute();
  assert.equal(stored.length, 10);
  for (const c of recoveryCodes) assert.ok(!stored.some((s) => s.code_hash.includes(c.replace("-", ""))));
  assert.equal((await events("user.totp_enrolled", alice.id)).length, 1);
  const again = await t.request("POST", "/v1/me/totp", as(alice));
  assert.equal(again.status, 409, "an enrolled app is not silently replaced");
});

test("a code is accepted once: the confirming code, a replay and an older code are refused; the next step's is accepted", async () => {
  const now = t.clock.now();
  assert.deepEqual(await verifyTotpCode(t.app.deps, alice.id, codeAt(secret, now)), { ok: false }, "the confirming code is spent");
  t.clock.advanceMs(30_000);
  const next = codeAt(secret, t.clock.now());
  assert.deepEqual(await verifyTotpCode(t.app.deps, alice.id, next), { ok: true, method: "totp" });
  assert.deepEqual(await verifyTotpCode(t.app.deps, alice.id, next), { ok: false }, "replayed");
  t.clock.advanceMs(30_000);
  assert.deepEqual(await verifyTotpCode(t.app.deps, alice.id, next), { ok: false }, "an older step after a newer one");
  assert.deepEqual(await verifyTotpCode(t.app.deps, alice.id, "000000"), { ok: false });
});

test("recovery codes work once each, typed in any case and spacing", async () => {
  const code = recoveryCodes[0]!;
  assert.deepEqual(await verifyTotpCode(t.app.deps, alice.id, ` ${code.toLowerCase().replace("-", " ")} `), { ok: true, method: "recovery_code" });
  assert.deepEqual(await verifyTotpCode(t.app.deps, alice.id, code), { ok: false }, "a used recovery code");
  assert.deepEqual(await verifyTotpCode(t.app.deps, bob.id, recoveryCodes[1]!), { ok: false }, "another user's recovery code");
  const status = await t.request("GET", "/v1/me/totp", as(alice));
  assert.deepEqual(status.body, { enrolled: true, pending: false, recoveryCodesLeft: 9 });
});

test("each user reaches only their own factor", async () => {
  t.clock.advanceMs(30_000);
  const aliceCode = codeAt(secret, t.clock.now());
  const bobRemoves = await t.request("DELETE", "/v1/me/totp", as(bob), { code: aliceCode });
  assert.equal(bobRemoves.status, 404);
  assert.deepEqual(await verifyTotpCode(t.app.deps, bob.id, aliceCode), { ok: false });
  assert.equal((await t.request("GET", "/v1/me/totp", as(bob))).body.enrolled, false);
  assert.equal((await t.request("GET", "/v1/me/totp", as(alice))).body.enrolled, true);
});

test("bad input is 400 naming the field", async () => {
  const long = await t.request("POST", "/v1/me/totp/confirm", as(alice), { code: "1".repeat(65) });
  assert.equal(long.status, 400);
  assert.match(JSON.stringify(long.body.error.details), /code/);
  const extra = await t.request("POST", "/v1/me/totp/confirm", as(alice), { code: "123456", other: 1 });
  assert.equal(extra.status, 400);
  const noBody = await t.request("POST", "/v1/me/totp/confirm", as(alice), "not json", { "content-type": "application/json" });
  assert.equal(noBody.status, 400);
});

test("removal needs a current or recovery code; wrong ones are refused and braked; removal is audited", async () => {
  // Without a code it needs step-up (SPEC 14), whatever the org says (step-up-http.test.ts has the rest).
  const none = await t.request("DELETE", "/v1/me/totp", as(alice));
  assert.equal(none.status, 401);
  assert.equal(none.body.error.code, "step_up_required");
  assert.deepEqual(none.body.error.details.methods, ["totp"]);
  const wrong = await t.request("DELETE", "/v1/me/totp", as(alice), { code: "111111" });
  assert.equal(wrong.status, 400);
  assert.equal((await t.request("GET", "/v1/me/totp", as(alice))).body.enrolled, true);

  const ok = await t.request("DELETE", "/v1/me/totp", as(alice), { code: recoveryCodes[2]! });
  assert.equal(ok.status, 204);
  assert.deepEqual((await t.request("GET", "/v1/me/totp", as(alice))).body, { enrolled: false, pending: false, recoveryCodesLeft: 0 });
  const removed = await events("user.totp_removed", alice.id);
  assert.equal(removed.length, 1);
  assert.equal(JSON.parse(removed[0]!.details).verifiedWith, "recovery_code");
});

test("guessing codes is refused with 429 after ten wrong ones per user", async () => {
  const start = await t.request("POST", "/v1/me/totp", as(bob));
  assert.equal(start.status, 200);
  const statuses: number[] = [];
  for (let i = 0; i < 12; i++) {
    statuses.push((await t.request("POST", "/v1/me/totp/confirm", as(bob), { code: String(100000 + i) })).status);
  }
  assert.ok(statuses.slice(0, 10).every((s) => s === 400), statuses.join(","));
  assert.equal(statuses[11], 429);
  // Even the right code waits out the brake: it is not a way around it.
  const right = await t.request("POST", "/v1/me/totp/confirm", as(bob), { code: codeAt(start.body.secret, t.clock.now()) });
  assert.equal(right.status, 429);
  // Alice is not braked by Bob's guesses.
  assert.equal((await t.request("POST", "/v1/me/totp", as(alice))).status, 200);
});
