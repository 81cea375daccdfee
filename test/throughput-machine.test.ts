import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { FastifyInstance } from "fastify";
import { startTestApp, type TestApp } from "./support/test-app.js";
import { type Actor, buildWorld, fileRequest, type World } from "./support/world.js";

// SPEC §18: the machine listener (LOCKBOX_MACHINE_PORT) serves the access check, activity and the
// revocations feed, nothing else, under the same credential rules, and answers refusals from
// memory where the grant index proves them — never a wrong refusal after a new grant.

let one: TestApp;
let two: TestApp;
let w: World;
let svc: { token: string };
before(async () => {
  one = await startTestApp({ LOCKBOX_MACHINE_PORT: "0" });
  two = await startTestApp({ LOCKBOX_MACHINE_PORT: "0" }, one.database);
  w = await buildWorld(one);
  svc = { token: (await one.request("POST", "/v1/service-credentials", w.providerAdmin.as, { name: "machine" })).body.token };
});
after(async () => {
  await two.close();
  await one.close();
});

async function machine(app: TestApp, method: "GET" | "POST", url: string, token: string | null, body?: unknown, headers: Record<string, string> = {}) {
  const server = app.app.machineServer as FastifyInstance;
  const res = await server.inject({
    method,
    url,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
  return { status: res.statusCode, body: res.json(), headers: res.headers };
}

async function approvedFor(who: Actor): Promise<string> {
  const id = await fileRequest(w, {}, who);
  await one.request("POST", `/v1/requests/${id}/approve`, w.manager.as, {});
  const c = await one.request("POST", `/v1/requests/${id}/approve`, w.a.approver.as, {});
  assert.equal(c.body.status, "approved", JSON.stringify(c.body));
  return id;
}

const checkOf = (userId: string, service = "mail") => ({ userId, tenantId: w.tenantA, service, accessLevel: "read" });

test("the machine port serves the check, activity and the feed, with the audit written, and nothing else", async () => {
  const id = await approvedFor(w.engineer);
  const allowed = await machine(one, "POST", "/v1/access/check", svc.token, checkOf(w.engineer.user.id));
  assert.equal(allowed.status, 200, JSON.stringify(allowed.body));
  assert.deepEqual({ allowed: allowed.body.allowed, requestId: allowed.body.requestId }, { allowed: true, requestId: id });
  assert.equal(allowed.headers["cache-control"], "no-store");
  assert.equal(allowed.headers["x-content-type-options"], "nosniff");
  const refused = await machine(one, "POST", "/v1/access/check", svc.token, checkOf(w.engineer.user.id, "chat"));
  assert.deepEqual(refused.body, { allowed: false, reason: "service_not_granted" });

  const activity = await machine(one, "POST", "/v1/activity", svc.token, { events: [{ requestId: id, operation: "read", target: "mailbox/alice" }] });
  assert.equal(activity.status, 200, JSON.stringify(activity.body));
  assert.equal(activity.body.recorded, 1);
  const rows = await one.app.deps.db.selectFrom("audit_events").selectAll().where("request_id", "=", id).where("operation", "=", "operator.read").execute();
  assert.equal(rows.length, 1, "the activity is in the tenant's chain");
  assert.equal(JSON.parse(rows[0]!.details).serviceCredential, "machine");

  const head = await machine(one, "GET", "/v1/revocations", svc.token);
  assert.equal(head.status, 200, JSON.stringify(head.body));
  assert.equal((await one.request("POST", `/v1/requests/${id}/revoke`, w.a.approver.as, {})).status, 200);
  const feed = await machine(one, "GET", `/v1/revocations?after=${head.body.nextCursor}&wait=10`, svc.token);
  assert.deepEqual(
    feed.body.items.map((i: { requestId: string }) => i.requestId),
    [id],
  );

  // Everything else is 404, credential or not: no API, no docs, no admin center, no health.
  for (const [method, url] of [
    ["GET", "/v1/requests"],
    ["POST", "/v1/requests"],
    ["GET", `/v1/requests/${id}/token`],
    ["GET", "/v1/service-credentials"],
    ["GET", "/openapi.json"],
    ["GET", "/docs"],
    ["GET", "/healthz"],
    ["GET", "/metrics"],
    ["GET", "/"],
  ] as const) {
    for (const token of [svc.token, w.providerAdmin.token, null]) {
      const res = await machine(one, method, url, token, method === "POST" ? {} : undefined);
      assert.equal(res.status, 404, `${method} ${url}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, "not_found");
    }
  }
});

test("the machine port takes only a valid service credential, and validates as the main port does", async () => {
  const body = checkOf(w.engineer.user.id);
  const cases: [string | null, Record<string, string>][] = [
    [null, {}],
    ["lbs_not-a-real-credential", {}],
    [w.engineer.token, {}], // a person's token is not a service's
    [null, { cookie: "lockbox_session=whatever" }],
    [null, { authorization: `Basic ${Buffer.from("a:b").toString("base64")}` }],
    [`lbs_${"x".repeat(300)}`, {}],
  ];
  for (const [token, headers] of cases) {
    for (const [method, url, b] of [
      ["POST", "/v1/access/check", body],
      ["POST", "/v1/activity", { events: [{}] }],
      ["GET", "/v1/revocations", undefined],
    ] as const) {
      const res = await machine(one, method, url, token, b, headers);
      assert.equal(res.status, 401, `${method} ${url} as ${token ?? JSON.stringify(headers)}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, "unauthenticated");
    }
  }
  // A deleted credential stops working on the machine port too.
  const spare = (await one.request("POST", "/v1/service-credentials", w.providerAdmin.as, { name: "spare" })).body;
  assert.equal((await machine(one, "POST", "/v1/access/check", spare.token, body)).status, 200);
  assert.equal((await one.request("DELETE", `/v1/service-credentials/${spare.id}`, w.providerAdmin.as)).status, 204);
  assert.equal((await machine(one, "POST", "/v1/access/check", spare.token, body)).status, 401);

  // The same validation and the same error envelope as the main listener.
  for (const bad of [{ ...body, accessLevel: "admin" }, { ...body, extra: 1 }, { ...body, userId: "" }, { ...body, service: "x".repeat(65) }, { ...body, tenantId: "a\u0000b" }]) {
    const onMachine = await machine(one, "POST", "/v1/access/check", svc.token, bad);
    const onMain = await one.request("POST", "/v1/access/check", svc, bad);
    assert.equal(onMachine.status, 400, JSON.stringify(bad));
    assert.equal(onMain.status, 400);
    assert.equal(onMachine.body.error.code, "invalid_request");
    assert.deepEqual(onMachine.body.error.details, onMain.body.error.details, JSON.stringify(bad));
  }
  const bigWait = await machine(one, "GET", "/v1/revocations?wait=26", svc.token);
  assert.equal(bigWait.status, 400);
});

test("a refusal the grant index proves is answered from memory; a grant it has not heard of is still found", async () => {
  // Count the check's database fallback on the instance where nothing else is written meanwhile.
  const lookUps = (app: TestApp) => {
    const grants = app.app.deps.grants;
    const original = grants.refreshUser.bind(grants);
    const counter = { n: 0 };
    grants.refreshUser = async (...args) => {
      counter.n += 1;
      return original(...args);
    };
    return counter;
  };
  const onOne = lookUps(one);
  const stranger = await one.user(["engineer"], null, "Sam Stranger");

  // Never a wrong refusal after a new grant: approved on one, checked on two with no pause, many
  // times over. Two hears of the grant by NOTIFY (PostgreSQL) or not at all (SQLite: another
  // process wrote the file); either way it must not refuse.
  for (let round = 0; round < 10; round++) {
    const who = await one.user(["engineer"], null, `Round ${round}`);
    const actor = { user: who.user, token: who.token, as: { token: who.token } };
    const refusedBefore = await machine(two, "POST", "/v1/access/check", svc.token, checkOf(who.user.id));
    assert.equal(refusedBefore.body.allowed, false);
    const id = await approvedFor(actor);
    const res = await machine(two, "POST", "/v1/access/check", svc.token, checkOf(who.user.id));
    assert.deepEqual({ allowed: res.body.allowed, requestId: res.body.requestId }, { allowed: true, requestId: id }, `round ${round}`);
  }

  // Once nothing else writes, a refusal on one is proven by memory and reads nothing. (After
  // the other instance's writes, SQLite's index reloads once; wait for that, bounded.)
  let proven = false;
  for (let i = 0; i < 100 && !proven; i++) {
    const before = onOne.n;
    const res = await machine(one, "POST", "/v1/access/check", svc.token, checkOf(stranger.user.id));
    assert.deepEqual(res.body, { allowed: false, reason: "no_active_grant" });
    proven = onOne.n === before;
    if (!proven) await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(proven, "a refusal the index proves is answered without a database read");
  const before = onOne.n;
  for (let i = 0; i < 20; i++) {
    const res = await machine(one, "POST", "/v1/access/check", svc.token, checkOf(stranger.user.id, i % 2 ? "mail" : "chat"));
    assert.equal(res.body.allowed, false);
  }
  assert.equal(onOne.n, before, "twenty proven refusals, no database read");
});
