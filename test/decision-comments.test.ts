import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startTestApp, type TestApp } from "./support/test-app.js";
import { buildWorld, fileRequest, type World } from "./support/world.js";

// Issue 19 items 5 and 9: the comment that ended a request is part of the request, and a tenant
// may require one on every deny and revoke.

let t: TestApp;
let w: World;
before(async () => {
  t = await startTestApp();
  w = await buildWorld(t);
});
after(() => t.close());

async function approvedRequest(ticket: string): Promise<string> {
  const id = await fileRequest(w, { ticket });
  assert.equal((await t.request("POST", `/v1/requests/${id}/approve`, w.manager.as, {})).status, 200);
  assert.equal((await t.request("POST", `/v1/requests/${id}/approve`, w.a.approver.as, {})).body.status, "approved");
  return id;
}

test("a revoke's and a cancel's comment appear in the request as endComment", async () => {
  const id = await approvedRequest("CASE-END-1");
  const revoked = await t.request("POST", `/v1/requests/${id}/revoke`, w.a.approver.as, { comment: "Work is done" });
  assert.equal(revoked.status, 200);
  assert.equal(revoked.body.endComment, "Work is done");
  assert.equal(revoked.body.endReason, "revoked");
  assert.equal(revoked.body.endedBy.id, w.a.approver.user.id);
  const read = await t.request("GET", `/v1/requests/${id}`, w.engineer.as);
  assert.equal(read.body.endComment, "Work is done");

  const other = await fileRequest(w, { ticket: "CASE-END-2" });
  const canceled = await t.request("POST", `/v1/requests/${other}/cancel`, w.engineer.as, { comment: "Filed by mistake" });
  assert.equal(canceled.body.endComment, "Filed by mistake");
  const silent = await fileRequest(w, { ticket: "CASE-END-3" });
  assert.equal((await t.request("POST", `/v1/requests/${silent}/cancel`, w.engineer.as, {})).body.endComment, null);
});

test("requireDecisionComment: off by default; when on, the customer's deny and revoke need a comment (400 comment_required)", async () => {
  const settings = `/v1/tenants/${w.tenantA}/settings`;
  assert.equal((await t.request("GET", settings, w.a.admin.as)).body.requireDecisionComment, false);
  // Only the tenant's global admin sets it; never the provider.
  assert.equal((await t.request("PATCH", settings, w.providerAdmin.as, { requireDecisionComment: true })).status, 403);
  assert.equal((await t.request("PATCH", settings, w.a.approver.as, { requireDecisionComment: true })).status, 403);
  assert.equal((await t.request("PATCH", settings, w.a.admin.as, { requireDecisionComment: "yes" })).status, 400);
  const on = await t.request("PATCH", settings, w.a.admin.as, { requireDecisionComment: true });
  assert.equal(on.status, 200);
  assert.equal(on.body.requireDecisionComment, true);
  try {
    const pending = await fileRequest(w, { ticket: "CASE-COMMENT-1" });
    assert.equal((await t.request("POST", `/v1/requests/${pending}/approve`, w.manager.as, {})).status, 200);
    for (const body of [{}, { comment: "" }, { comment: "   " }]) {
      const res = await t.request("POST", `/v1/requests/${pending}/deny`, w.a.approver.as, body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.error.code, "comment_required");
      assert.deepEqual(res.body.error.details.map((d: { field: string }) => d.field), ["comment"]);
    }
    assert.equal((await t.request("GET", `/v1/requests/${pending}`, w.a.admin.as)).body.status, "pending_customer");
    const denied = await t.request("POST", `/v1/requests/${pending}/deny`, w.a.approver.as, { comment: "No ticket on our side" });
    assert.equal(denied.body.status, "denied");
    assert.equal(denied.body.endComment, "No ticket on our side");

    const granted = await approvedRequest("CASE-COMMENT-2");
    const bare = await t.request("POST", `/v1/requests/${granted}/revoke`, w.a.admin.as, {});
    assert.equal(bare.status, 400);
    assert.equal(bare.body.error.code, "comment_required");
    // The provider's side is not bound by the customer's rule.
    const byManager = await t.request("POST", `/v1/requests/${granted}/revoke`, w.manager.as, {});
    assert.equal(byManager.body.status, "revoked");

    // A manager's reject needs none either.
    const early = await fileRequest(w, { ticket: "CASE-COMMENT-3" });
    assert.equal((await t.request("POST", `/v1/requests/${early}/deny`, w.manager.as, {})).body.status, "rejected");
  } finally {
    await t.request("PATCH", settings, w.a.admin.as, { requireDecisionComment: false });
  }
  // Off again: a bare deny goes through.
  const later = await fileRequest(w, { ticket: "CASE-COMMENT-4" });
  await t.request("POST", `/v1/requests/${later}/approve`, w.manager.as, {});
  assert.equal((await t.request("POST", `/v1/requests/${later}/deny`, w.a.approver.as, {})).body.status, "denied");
});
