import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { operationsOf, verifyAllChains } from "./support/chains.js";
import { startTestApp, type TestApp } from "./support/test-app.js";
import { type Actor, buildWorld, fileRequest, type World } from "./support/world.js";

/**
 * A decision happens once: dozens of approve and deny calls fired at one request at the same
 * moment, over real HTTP connections, leave exactly one winner, one decision event and 409s for
 * everyone else.
 */
let t: TestApp;
let w: World;
let base: string;
let approvers: Actor[];
let managers: Actor[];

before(async () => {
  t = await startTestApp();
  w = await buildWorld(t);
  await t.app.server.listen({ port: 0, host: "127.0.0.1" });
  base = `http://127.0.0.1:${(t.app.server.server.address() as AddressInfo).port}`;
  approvers = [w.a.admin, w.a.approver, w.a.approver2];
  for (let i = 0; i < 9; i++) {
    const { user, token } = await t.user(["lockbox_approver"], w.tenantA);
    approvers.push({ user, token, as: { token } });
  }
  managers = [w.manager];
  for (let i = 0; i < 5; i++) {
    const { user, token } = await t.user(["manager"], null);
    managers.push({ user, token, as: { token } });
  }
});
after(() => t.close());

function post(path: string, who: Actor): Promise<{ status: number; body: any }> {
  return fetch(`${base}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${who.token}`, "content-type": "application/json" },
    body: "{}",
  }).then(async (r) => ({ status: r.status, body: await r.json() }));
}

async function race(id: string, deciders: Actor[]) {
  // Every decider sends approve and deny twice each, all at once.
  const calls = deciders.flatMap((who) => ["approve", "deny", "approve", "deny"].map((verb) => () => post(`/v1/requests/${id}/${verb}`, who)));
  return Promise.all(calls.map((call) => call()));
}

test("customer stage: 48 concurrent approve/deny calls, exactly one winner", async () => {
  for (let round = 0; round < 3; round++) {
    const id = await fileRequest(w);
    assert.equal((await post(`/v1/requests/${id}/approve`, w.manager)).status, 200);
    const results = await race(id, approvers);
    const winners = results.filter((r) => r.status === 200);
    assert.equal(winners.length, 1, `round ${round}: ${JSON.stringify(results.map((r) => r.status))}`);
    const losers = results.filter((r) => r.status !== 200);
    assert.ok(losers.every((r) => r.status === 409), "every loser gets 409");
    const final = winners[0]!.body.status;
    assert.ok(["approved", "denied"].includes(final));
    assert.ok(losers.every((r) => r.body.error.code === "conflict" || r.body.error.code === "already_decided"));
    const decisions = (await operationsOf(t, id)).filter((op) => op === "request.approved" || op === "request.denied");
    assert.equal(decisions.length, 1, "one decision event");
    const view = await t.request("GET", `/v1/requests/${id}`, w.a.auditor.as);
    assert.equal(view.body.status, final);
    assert.equal(view.body.approvals.length, final === "approved" ? 1 : 0, "no approval row from a losing call");
  }
});

test("manager stage: concurrent approve/reject by six managers, exactly one winner", async () => {
  const id = await fileRequest(w);
  const results = await race(id, managers);
  assert.equal(results.filter((r) => r.status === 200).length, 1);
  assert.equal(results.filter((r) => r.status === 409).length, results.length - 1);
  const ops = await operationsOf(t, id);
  assert.equal(ops.filter((op) => op === "request.manager_approved" || op === "request.rejected").length, 1);
});

test("the chain stays whole under the race", async () => {
  await verifyAllChains(t);
});
