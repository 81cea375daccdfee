import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { RevocationWatcher } from "../src/sdk/revocation-watcher.js";
import { startTestApp, type TestApp } from "./support/test-app.js";
import { buildWorld, fileRequest, type World } from "./support/world.js";

// SPEC §18: gateways and SDKs learn of revocations within 1 s — a long poll on the feed
// (`GET /v1/revocations?after=…&wait=S`) that answers as soon as there is something newer.

let t: TestApp;
let w: World;
let svc: { token: string };
let server: string;
before(async () => {
  t = await startTestApp();
  w = await buildWorld(t);
  svc = { token: (await t.request("POST", "/v1/service-credentials", w.providerAdmin.as, { name: "feed-reader" })).body.token };
  await t.app.server.listen({ port: 0, host: "127.0.0.1" });
  server = `http://127.0.0.1:${(t.app.server.server.address() as AddressInfo).port}`;
});
after(() => t.close());

async function approved(): Promise<string> {
  const id = await fileRequest(w);
  await t.request("POST", `/v1/requests/${id}/approve`, w.manager.as, {});
  const c = await t.request("POST", `/v1/requests/${id}/approve`, w.a.approver.as, {});
  assert.equal(c.body.status, "approved", JSON.stringify(c.body));
  return id;
}

const cursorNow = async () => (await t.request("GET", "/v1/revocations", svc)).body.nextCursor as string;

test("a long poll answers as soon as a grant is revoked, not at the end of its wait", async (ctx) => {
  const id = await approved();
  const cursor = await cursorNow();
  const started = Date.now();
  const waiting = t.request("GET", `/v1/revocations?after=${cursor}&wait=20`, svc);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal((await t.request("POST", `/v1/requests/${id}/revoke`, w.a.approver.as, {})).status, 200);
  const res = await waiting;
  const ms = Date.now() - started;
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.deepEqual(
    res.body.items.map((i: { requestId: string }) => i.requestId),
    [id],
  );
  assert.ok(ms < 20_000, "answered before its wait ran out");
  ctx.diagnostic(`long poll answered ${ms} ms after it was sent (revoke sent at ~100 ms)`);
});

test("a long poll with something already newer answers at once; an empty one answers empty when its wait ends", async () => {
  const id = await approved();
  const cursor = await cursorNow();
  assert.equal((await t.request("POST", `/v1/requests/${id}/revoke`, w.a.approver.as, {})).status, 200);
  const now = await t.request("GET", `/v1/revocations?after=${cursor}&wait=25`, svc);
  assert.deepEqual(
    now.body.items.map((i: { requestId: string }) => i.requestId),
    [id],
  );
  const empty = await t.request("GET", `/v1/revocations?after=${now.body.nextCursor}&wait=1`, svc);
  assert.equal(empty.status, 200);
  assert.deepEqual(empty.body.items, []);
  assert.equal(empty.body.nextCursor, now.body.nextCursor);
});

test("the wait is bounded and validated", async () => {
  for (const wait of ["26", "-1", "1.5", "abc", "9".repeat(30)]) {
    const res = await t.request("GET", `/v1/revocations?wait=${wait}`, svc);
    assert.equal(res.status, 400, `wait=${wait}: ${JSON.stringify(res.body)}`);
    assert.equal(res.body.error.code, "invalid_request");
    assert.match(JSON.stringify(res.body), /wait/);
  }
});

test("the SDK's revocation watcher long-polls and learns of a revoke within a second", async (ctx) => {
  const id = await approved();
  const errors: Error[] = [];
  const watcher = new RevocationWatcher({
    server,
    token: svc.token,
    pollMs: 10_000, // far longer than the bound below: only the long poll can meet it
    waitSeconds: 20,
    maxStalenessMs: 60_000,
    fetch: globalThis.fetch,
    onError: (err) => errors.push(err),
  });
  try {
    await watcher.start();
    await new Promise((r) => setTimeout(r, 100)); // its long poll is now waiting on the server
    assert.equal(watcher.isRevoked(id), false);
    const revokedAt = Date.now();
    assert.equal((await t.request("POST", `/v1/requests/${id}/revoke`, w.a.approver.as, {})).status, 200);
    while (!watcher.isRevoked(id)) {
      assert.ok(Date.now() - revokedAt < 1000, "the watcher learnt of the revoke within 1 s");
      await new Promise((r) => setTimeout(r, 5));
    }
    ctx.diagnostic(`SDK watcher learnt of the revoke after ${Date.now() - revokedAt} ms`);
    assert.deepEqual(errors, []);
  } finally {
    watcher.stop();
  }
});
