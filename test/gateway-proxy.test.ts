import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { type Gateway, startGateway } from "../src/gateway/gateway.js";
import { startTestApp, type TestApp } from "./support/test-app.js";
import { buildWorld, fileRequest, type World } from "./support/world.js";

let t: TestApp;
let w: World;
let gw: Gateway;
let upstream: http.Server;
const seen: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }[] = [];

before(async () => {
  t = await startTestApp();
  w = await buildWorld(t);
  await t.app.server.listen({ port: 0, host: "127.0.0.1" });
  const server = `http://127.0.0.1:${(t.app.server.server.address() as AddressInfo).port}`;
  // A real internal "mailbox admin API".
  upstream = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      res.writeHead(req.url?.startsWith("/missing") ? 404 : 200, { "content-type": "application/json" });
      res.end(JSON.stringify({ mailbox: req.url, method: req.method }));
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
  const token = (await t.request("POST", "/v1/service-credentials", w.providerAdmin.as, { name: "mail-gateway" })).body.token;
  gw = await startGateway({
    server,
    service: "mail",
    upstream: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
    port: 0,
    token,
    issuer: "http://lockbox.test",
    logLevel: "silent",
    now: () => t.clock.now(),
  });
});
after(async () => {
  await gw.close();
  await new Promise((r) => upstream.close(r));
  await t.close();
});

async function grantToken(overrides: Record<string, unknown> = {}): Promise<{ id: string; token: string }> {
  const id = await fileRequest(w, overrides);
  await t.request("POST", `/v1/requests/${id}/approve`, w.manager.as, {});
  const c = await t.request("POST", `/v1/requests/${id}/approve`, w.a.approver.as, {});
  assert.equal(c.body.status, "approved");
  return { id, token: (await t.request("GET", `/v1/requests/${id}/token`, w.engineer.as)).body.token };
}

function call(method: string, path: string, token?: string, tenant?: string, body?: string) {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Lockbox ${token}`;
  if (tenant) headers["x-lockbox-tenant"] = tenant;
  if (body) headers["content-type"] = "application/octet-stream";
  return fetch(`${gw.url}${path}`, { method, headers, ...(body ? { body } : {}) });
}

const operatorEvents = (requestId: string) =>
  t.app.deps.db
    .selectFrom("audit_events")
    .select(["operation", "actor", "details", "chain"])
    .where("request_id", "=", requestId)
    .where("operation", "like", "operator.%")
    .orderBy("seq")
    .execute();

test("gateway: refuses calls without a genuine grant token, before reaching the upstream", async () => {
  const before = seen.length;
  assert.equal((await call("GET", "/mailboxes/alice")).status, 401);
  assert.equal((await call("GET", "/mailboxes/alice", "garbage", w.tenantA)).status, 401);
  const bearer = await fetch(`${gw.url}/mailboxes/alice`, { headers: { authorization: "Bearer x", "x-lockbox-tenant": w.tenantA } });
  assert.equal(bearer.status, 401);
  assert.equal(seen.length, before);
});

test("gateway: forwards allowed calls without the grant token, checks tenant, service and method", async () => {
  const { id, token } = await grantToken({ services: ["mail"], accessLevel: "read" });
  const ok = await call("GET", "/mailboxes/alice?folder=inbox", token, w.tenantA);
  assert.equal(ok.status, 200);
  assert.deepEqual(await ok.json(), { mailbox: "/mailboxes/alice?folder=inbox", method: "GET" });
  const last = seen.at(-1)!;
  assert.equal(last.headers.authorization, undefined, "the grant token never reaches the upstream");
  assert.equal(last.headers["x-lockbox-user"], w.engineer.user.id);
  assert.equal(last.headers["x-lockbox-request"], id);

  const before = seen.length;
  assert.equal((await call("DELETE", "/mailboxes/alice", token, w.tenantA)).status, 403, "read grant, write method");
  assert.equal((await call("GET", "/mailboxes/alice", token, w.tenantB)).status, 403, "other tenant");
  assert.equal((await call("GET", "/mailboxes/alice", token)).status, 403, "no tenant header");
  const files = await grantToken({ services: ["files"], accessLevel: "write" });
  assert.equal((await call("GET", "/mailboxes/alice", files.token, w.tenantA)).status, 403, "grant for another service");
  assert.equal(seen.length, before);

  const upstream404 = await call("GET", "/missing", token, w.tenantA);
  assert.equal(upstream404.status, 404);
});

test("gateway: a write grant passes bodies through unchanged", async () => {
  const { token } = await grantToken({ services: ["mail"], accessLevel: "write" });
  const res = await call("POST", "/mailboxes/alice/rules", token, w.tenantA, "rule=fix-forwarding");
  assert.equal(res.status, 200);
  assert.equal(seen.at(-1)!.body, "rule=fix-forwarding");
  assert.equal(seen.at(-1)!.method, "POST");
});

test("gateway: a revoked grant stops passing within 5 seconds, and every call is in the customer's audit log", async () => {
  const { id, token } = await grantToken({ services: ["mail"], accessLevel: "read", ticket: "CASE-77" });
  assert.equal((await call("GET", "/mailboxes/bob", token, w.tenantA)).status, 200);
  t.clock.advanceMs(1000);
  assert.equal((await t.request("POST", `/v1/requests/${id}/revoke`, w.a.approver.as, {})).status, 200);
  const revokedAt = Date.now();
  let status = 200;
  while (status === 200) {
    assert.ok(Date.now() - revokedAt < 5000, "still passing 5 s after the revoke");
    await new Promise((r) => setTimeout(r, 100));
    status = (await call("GET", "/mailboxes/bob", token, w.tenantA)).status;
  }
  assert.equal(status, 403);
  t.clock.advanceMinutes(1);
  assert.equal((await call("GET", "/mailboxes/bob/after", token, w.tenantA)).status, 403);

  await gw.verifier.flush();
  const rows = await operatorEvents(id);
  const first = rows[0]!;
  assert.equal(first.operation, "operator.get");
  assert.equal(first.chain, `tenant:${w.tenantA}`);
  assert.equal(JSON.parse(first.actor).name, "Erin Engineer");
  const d = JSON.parse(first.details);
  assert.deepEqual([d.method, d.path, d.status, d.ticket, d.service], ["GET", "/mailboxes/bob", 200, "CASE-77", "mail"]);
  const lastRow = rows.at(-1)!;
  assert.equal(lastRow.operation, "operator.denied");
  assert.equal(JSON.parse(lastRow.details).status, 403);
  assert.equal(JSON.parse(lastRow.details).refused, "revoked");
  assert.ok(rows.every((r, i) => i === 0 || r.operation === "operator.denied"), JSON.stringify(rows.map((r) => r.operation)));
});
