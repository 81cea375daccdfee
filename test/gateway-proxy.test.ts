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
const seen: { method: string; url: string; headers: http.IncomingHttpHeaders; rawHeaders: string[]; body: string }[] = [];
let server: string;

before(async () => {
  t = await startTestApp();
  w = await buildWorld(t);
  await t.app.server.listen({ port: 0, host: "127.0.0.1" });
  server = `http://127.0.0.1:${(t.app.server.server.address() as AddressInfo).port}`;
  // A real internal "mailbox admin API".
  upstream = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, rawHeaders: req.rawHeaders, body });
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


/** A raw HTTP/1.1 call: any method, any header name (fetch would refuse some of them). */
function raw(method: string, path: string, headers: Record<string, string>, url = gw.url): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}${path}`, { method, headers, agent: false }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** Every answer the gateway makes itself is the Lockbox error envelope. */
function assertEnvelope(res: { body: string; headers: http.IncomingHttpHeaders }, code: string): void {
  assert.match(String(res.headers["content-type"]), /application\/json/);
  const body = JSON.parse(res.body) as { error: { code: string; message: string; requestId: string } };
  assert.equal(body.error.code, code, res.body);
  assert.equal(typeof body.error.message, "string");
  assert.ok(typeof body.error.requestId === "string" && body.error.requestId.length > 0, res.body);
}

/** The X-Lockbox-* headers the upstream received, by name as a WSGI/CGI server reads it (lower case, _ as -). */
function lockboxHeadersSeen(rawHeaders: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase().replaceAll("_", "-");
    if (name.startsWith("x-lockbox-")) out.push([name, rawHeaders[i + 1]!]);
  }
  return out.sort((a, b) => a[0].localeCompare(b[0]));
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

test("gateway: the upstream gets X-Lockbox-* headers only from the verified grant (finding 1: tenant spoofing)", async () => {
  const { id, token } = await grantToken({ services: ["mail"], accessLevel: "read", ticket: "CASE-9" });
  const auth = { authorization: `Lockbox ${token}`, "x-lockbox-tenant": w.tenantA };
  const before = seen.length;
  // The attack: have the checked header stripped as hop-by-hop and smuggle another tenant's under
  // a name WSGI/CGI/PHP/Rack read as the same header.
  for (const connection of ["X-Lockbox-Tenant", "keep-alive, x-lockbox-user", "Authorization", "X_Lockbox_Request", "close,X-LOCKBOX-TICKET"]) {
    const res = await raw("GET", "/mailboxes/ceo", { ...auth, connection, X_Lockbox_Tenant: w.tenantB });
    assert.equal(res.status, 400, `Connection: ${connection}`);
    assertEnvelope(res, "invalid_request");
  }
  assert.equal(seen.length, before, "no spoofing attempt reaches the upstream");

  // Incoming X-Lockbox-* names (any case, _ for -) are dropped; the four the upstream trusts are the grant's.
  const ok = await raw("GET", "/mailboxes/ceo", {
    ...auth,
    X_Lockbox_Tenant: w.tenantB,
    "X-Lockbox-User": "mallory",
    x_lockbox_ticket: "FAKE-1",
    "X-Lockbox_Request": "not-the-request",
    "x-lockbox-role": "admin",
    connection: "keep-alive",
  });
  assert.equal(ok.status, 200, ok.body);
  assert.deepEqual(lockboxHeadersSeen(seen.at(-1)!.rawHeaders), [
    ["x-lockbox-request", id],
    ["x-lockbox-tenant", w.tenantA],
    ["x-lockbox-ticket", "CASE-9"],
    ["x-lockbox-user", w.engineer.user.id],
  ]);
  assert.equal(seen.at(-1)!.headers.authorization, undefined);
});

test("gateway: only GET and HEAD are reads; method overrides get 400, other methods 405 (findings 7 and 2)", async () => {
  const read = await grantToken({ services: ["mail"], accessLevel: "read" });
  const auth = { authorization: `Lockbox ${read.token}`, "x-lockbox-tenant": w.tenantA };
  const before = seen.length;
  for (const name of ["X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override", "X_HTTP_Method_Override", "x-http-method-override"]) {
    const res = await raw("GET", "/mailboxes/ceo", { ...auth, [name]: "DELETE" });
    assert.equal(res.status, 400, name);
    assertEnvelope(res, "invalid_request");
  }
  for (const query of ["?_method=DELETE", "?folder=inbox&_method=delete", "?%5Fmethod=DELETE", "?_METHOD=PUT", "?_method[]=DELETE"]) {
    const res = await raw("GET", `/mailboxes/ceo${query}`, auth);
    assert.equal(res.status, 400, query);
    assertEnvelope(res, "invalid_request");
  }
  for (const method of ["OPTIONS", "M-SEARCH", "PROPFIND", "TRACE", "PURGE"]) {
    const res = await raw(method, "/mailboxes/ceo", auth);
    assert.equal(res.status, 405, method);
    assertEnvelope(res, "method_not_allowed");
    assert.equal(res.headers.allow, "GET, HEAD, POST, PUT, PATCH, DELETE");
  }
  // With a write grant too: M-SEARCH never reaches the upstream.
  const write = await grantToken({ services: ["mail"], accessLevel: "write" });
  const mSearch = await raw("M-SEARCH", "/mailboxes/ceo", { authorization: `Lockbox ${write.token}`, "x-lockbox-tenant": w.tenantA });
  assert.equal(mSearch.status, 405);
  assert.equal(seen.length, before, "no override hint and no other method reaches the upstream");

  const head = await raw("HEAD", "/mailboxes/ceo", auth);
  assert.equal(head.status, 200, "HEAD is a read");
  assert.equal(seen.at(-1)!.method, "HEAD");

  // The refused attempt is on the customer's record, not lost (an M-SEARCH once sank a whole batch).
  await gw.verifier.flush();
  const rows = await operatorEvents(write.id);
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!.operation, "operator.denied");
  const d = JSON.parse(rows[0]!.details);
  assert.deepEqual([d.refused, d.operation, d.method, d.status], ["method_not_allowed", "m-search", "M-SEARCH", 405]);
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

test("gateway: fails closed, a call whose activity cannot be recorded is not served after --max-unrecorded-seconds (finding 2)", async () => {
  // A relay in front of the server that can refuse activity while the rest (JWKS, revocations) works.
  let refuseActivity = true;
  const relay = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      if (refuseActivity && req.url!.startsWith("/v1/activity")) {
        res.writeHead(503, { "content-type": "application/json" });
        return res.end(JSON.stringify({ error: { code: "unavailable", message: "down for maintenance", requestId: "r" } }));
      }
      const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined;
      const r = await fetch(`${server}${req.url}`, {
        method: req.method!,
        headers: { authorization: String(req.headers.authorization ?? ""), "content-type": String(req.headers["content-type"] ?? "application/json") },
        ...(body ? { body } : {}),
      });
      res.writeHead(r.status, { "content-type": r.headers.get("content-type") ?? "application/json" });
      res.end(Buffer.from(await r.arrayBuffer()));
    });
  });
  await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", resolve));
  const token = (await t.request("POST", "/v1/service-credentials", w.providerAdmin.as, { name: "fail-closed-gateway" })).body.token;
  const guarded = await startGateway({
    server: `http://127.0.0.1:${(relay.address() as AddressInfo).port}`,
    service: "mail",
    upstream: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
    port: 0,
    token,
    issuer: "http://lockbox.test",
    logLevel: "silent",
    maxUnrecordedSeconds: 30,
    now: () => t.clock.now(),
  });
  try {
    await gw.verifier.flush();
    const { id, token: grant } = await grantToken({ services: ["mail"], accessLevel: "read" });
    const auth = { authorization: `Lockbox ${grant}`, "x-lockbox-tenant": w.tenantA };
    assert.equal((await raw("GET", "/mailboxes/dana", auth, guarded.url)).status, 200);
    await guarded.verifier.flush();
    assert.equal(guarded.verifier.activityStats().pending, 1, "the unrecorded call is held, not dropped");
    t.clock.advanceMs(20_000);
    assert.equal((await raw("GET", "/mailboxes/dana/2", auth, guarded.url)).status, 200, "within the limit: still served");

    t.clock.advanceMs(11_000);
    const before = seen.length;
    const refused = await raw("GET", "/mailboxes/dana/3", auth, guarded.url);
    assert.equal(refused.status, 503);
    assertEnvelope(refused, "audit_unavailable");
    assert.equal(seen.length, before, "not served while its activity cannot be recorded");

    refuseActivity = false;
    await guarded.verifier.flush();
    assert.equal(guarded.verifier.activityStats().pending, 0);
    assert.equal((await raw("GET", "/mailboxes/dana/4", auth, guarded.url)).status, 200, "recording works again: served again");
    await guarded.verifier.flush();
    const rows = await operatorEvents(id);
    assert.deepEqual(
      rows.map((r) => [r.operation, JSON.parse(r.details).path, JSON.parse(r.details).refused ?? null]),
      [
        ["operator.get", "/mailboxes/dana", null],
        ["operator.get", "/mailboxes/dana/2", null],
        ["operator.denied", "/mailboxes/dana/3", "audit_unavailable"],
        ["operator.get", "/mailboxes/dana/4", null],
      ],
    );
  } finally {
    await guarded.close();
    await new Promise((r) => relay.close(r));
  }
});

test("gateway: its own answers are the Lockbox error envelope (upstream down, no token, headers too large)", async () => {
  const token = (await t.request("POST", "/v1/service-credentials", w.providerAdmin.as, { name: "dead-upstream-gateway" })).body.token;
  const closed = http.createServer();
  await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
  const deadPort = (closed.address() as AddressInfo).port;
  await new Promise((r) => closed.close(r));
  const dead = await startGateway({ server, service: "mail", upstream: `http://127.0.0.1:${deadPort}`, port: 0, token, issuer: "http://lockbox.test", logLevel: "silent", now: () => t.clock.now() });
  try {
    const { token: grant } = await grantToken({ services: ["mail"], accessLevel: "read" });
    const down = await raw("GET", "/mailboxes/x", { authorization: `Lockbox ${grant}`, "x-lockbox-tenant": w.tenantA }, dead.url);
    assert.equal(down.status, 502);
    assertEnvelope(down, "upstream_unavailable");
    assertEnvelope(await raw("GET", "/x", {}, dead.url), "unauthenticated");
    const huge = await raw("GET", "/x", { "x-padding": "p".repeat(20_000) }, dead.url);
    assert.equal(huge.status, 431);
    assertEnvelope(huge, "headers_too_large");
  } finally {
    await dead.close();
  }
});
