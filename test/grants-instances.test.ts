import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startTestApp, type TestApp } from "./support/test-app.js";
import { buildWorld, fileRequest, type World } from "./support/world.js";

// Two Lockbox instances on one database: what one grants or revokes, the other's check honours.
let one: TestApp;
let two: TestApp;
let w: World;
let svc: { token: string };
before(async () => {
  one = await startTestApp();
  two = await startTestApp({}, one.database);
  w = await buildWorld(one);
  svc = { token: (await one.request("POST", "/v1/service-credentials", w.providerAdmin.as, { name: "checker" })).body.token };
});
after(async () => {
  await two.close();
  await one.close();
});

test("a grant made on one instance is allowed at once on another; a revoke there is refused within seconds", async () => {
  const id = await fileRequest(w);
  await one.request("POST", `/v1/requests/${id}/approve`, w.manager.as, {});
  await one.request("POST", `/v1/requests/${id}/approve`, w.a.approver.as, {});
  const body = { userId: w.engineer.user.id, tenantId: w.tenantA, service: "mail", accessLevel: "read" };

  const onTwo = await two.request("POST", "/v1/access/check", svc, body);
  assert.equal(onTwo.status, 200, JSON.stringify(onTwo.body));
  assert.equal(onTwo.body.allowed, true);
  assert.equal(onTwo.body.requestId, id);

  // Both instances sign with the same key set.
  assert.deepEqual((await two.request("GET", "/.well-known/jwks.json", null)).body, (await one.request("GET", "/.well-known/jwks.json", null)).body);

  assert.equal((await one.request("POST", `/v1/requests/${id}/revoke`, w.a.approver.as, {})).status, 200);
  assert.equal((await one.request("POST", "/v1/access/check", svc, body)).body.allowed, false, "at once where it happened");
  const started = Date.now();
  for (;;) {
    const res = await two.request("POST", "/v1/access/check", svc, body);
    if (!res.body.allowed) break;
    assert.ok(Date.now() - started < 3000, "the other instance still allows 3 s after the revoke");
    await new Promise((r) => setTimeout(r, 100));
  }
});
