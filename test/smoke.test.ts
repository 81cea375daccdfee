import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startTestApp, type TestApp } from "./support/test-app.js";
import { buildWorld, fileRequest, type World } from "./support/world.js";

let t: TestApp;
let w: World;
before(async () => {
  t = await startTestApp();
  w = await buildWorld(t);
});
after(() => t.close());

test("smoke: a request goes through both stages", async () => {
  const id = await fileRequest(w);
  const m = await t.request("POST", `/v1/requests/${id}/approve`, w.manager.as, {});
  assert.equal(m.status, 200, JSON.stringify(m.body));
  assert.equal(m.body.status, "pending_customer");
  const c = await t.request("POST", `/v1/requests/${id}/approve`, w.a.approver.as, { comment: "ok" });
  assert.equal(c.status, 200, JSON.stringify(c.body));
  assert.equal(c.body.status, "approved");
});
