import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import fc from "fast-check";
import { sql } from "kysely";
import { isPostgres } from "../src/db/dialect.js";
import {
  badCredentials,
  type FuzzBody,
  type FuzzQuery,
  fieldMutations,
  fieldsOf,
  type Hints,
  type JsonSchema,
  objectBranch,
  oddHeaders,
  oddIds,
  type QueryParam,
  queryMutations,
  shapeMutations,
  validValue,
  wireBodies,
} from "./support/fuzz-inputs.js";
import { type As, startTestApp, type TestApp } from "./support/test-app.js";
import { buildWorld, fileRequest, type World } from "./support/world.js";

/**
 * Fuzzes every route listed in /openapi.json (issue 9) with malformed bodies, parameters, query
 * strings, headers, encodings and sizes, sent as the provider admin, an engineer, a tenant admin,
 * a service credential, a cookie session and nobody. For every answer:
 * - never a 5xx;
 * - every error in the one envelope `{error: {code, message, requestId}}` (requestId = the
 *   x-request-id header);
 * - input that is certainly invalid for the route's schema is never answered 2xx;
 * - a bad credential is answered 401 (a real session without its CSRF token: 403 `csrf`);
 * - a refused call (4xx) changes nothing in the database: row counts of every table, the content
 *   of the domain tables and every audit chain head are compared before and after each call.
 */

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);
/** Routes that answer without credentials (config.auth false). */
const PUBLIC = new Set(["POST /v1/auth/login", "POST /v1/invitations/accept", "GET /.well-known/jwks.json", "GET /v1/audit/jwks.json"]);
/**
 * The only state a refused call may leave: a failed sign-in or invitation attempt may be audited
 * (and counted by a throttle that keeps its attempts in a table). Anything else is a finding.
 */
const REFUSAL_AUDIT = /fail|refus|denied|lock|throttl/i;
const ATTEMPT_TABLES = /attempt|throttl|rate_limit/i;

interface Route {
  method: string;
  path: string;
  params: string[];
  query: QueryParam[];
  body?: JsonSchema;
  service: boolean;
}

interface Sender {
  name: string;
  as: As;
  headers?: Record<string, string>;
}

let t: TestApp;
let w: World;
let routes: Route[] = [];
const senders: Record<string, Sender> = {};
const ids: Record<string, string> = {};
let cookieUser: { email: string; password: string };
let session = { cookie: "", csrf: "" };
const stats = { calls: 0, refused: 0, auditedRefusals: 0 };

before(async () => {
  t = await startTestApp();
  w = await buildWorld(t);
  const admin = w.providerAdmin.as;
  const must = async (method: string, url: string, as: As, body: unknown, status = 201) => {
    const res = await t.request(method, url, as, body);
    assert.equal(res.status, status, `${method} ${url}: ${JSON.stringify(res.body)}`);
    return res.body;
  };
  ids.token = (await must("POST", "/v1/tokens", admin, { name: "spare, for DELETE" })).id;
  ids.credential = (await must("POST", "/v1/service-credentials", admin, { name: "spare, for DELETE" })).id;
  const service = await must("POST", "/v1/service-credentials", admin, { name: "fuzz service" });
  ids.user = (await t.user(["engineer"], null, "Spare Engineer")).user.id;
  ids.tenantWebhook = (await must("POST", `/v1/tenants/${w.tenantA}/webhooks`, w.a.admin.as, { url: "https://93.184.215.14/hook" })).id;
  ids.providerWebhook = (await must("POST", "/v1/webhooks", admin, { url: "https://93.184.215.14/provider-hook" })).id;
  ids.tenantSink = (await must("POST", `/v1/tenants/${w.tenantA}/audit-sinks`, w.a.admin.as, { type: "http", url: "https://93.184.215.14/siem", format: "ocsf" })).id;
  ids.providerSink = (await must("POST", "/v1/audit-sinks", admin, { type: "http", url: "https://93.184.215.14/siem", format: "lockbox" })).id;
  // A policy no fuzzed request fits (its tickets are CASE-…), so approvals stay as they were.
  ids.policy = (await must("POST", `/v1/tenants/${w.tenantA}/policies`, w.a.admin.as, { name: "fuzz", services: ["mail"], accessLevel: "read", maxMinutes: 30, ticketPattern: "NEVER-*" })).id;
  ids.pending = await fileRequest(w);
  ids.pending2 = await fileRequest(w);
  ids.pending3 = await fileRequest(w);
  ids.approved = await fileRequest(w, { tenantId: w.tenantB, services: ["mail", "files"], accessLevel: "write", requestedMinutes: 240 });
  await must("POST", `/v1/requests/${ids.approved}/approve`, w.manager.as, {}, 200);
  ids.approved2 = await fileRequest(w, { tenantId: w.tenantB, requestedMinutes: 240 });
  await must("POST", `/v1/requests/${ids.approved2}/approve`, w.manager.as, {}, 200);
  // SPEC 17: a question and an extension to name in /questions/{qid} and /extensions/{eid}.
  ids.question = (await must("POST", `/v1/requests/${ids.pending}/questions`, w.a.admin.as, { text: "Why?" }, 201)).id;
  ids.extension = (await must("POST", `/v1/requests/${ids.approved}/extensions`, w.engineer.as, { minutes: 5, reason: "more" }, 201)).id;

  const cookieActor = await t.user(["provider_admin"], null, "Cookie Admin");
  cookieUser = { email: cookieActor.user.email, password: cookieActor.password };
  await signInCookie();
  Object.assign(senders, {
    admin: { name: "provider admin", as: admin },
    engineer: { name: "engineer", as: w.engineer.as },
    manager: { name: "manager", as: w.manager.as },
    tenantAdmin: { name: "tenant A admin", as: w.a.admin.as },
    anonymous: { name: "anonymous", as: null },
    service: { name: "service credential", as: { token: service.token as string } },
  });

  const doc = (await t.request("GET", "/openapi.json", null)).body as {
    paths: Record<string, Record<string, { parameters?: { in: string; name: string; schema: JsonSchema; required?: boolean }[]; requestBody?: { content: Record<string, { schema: JsonSchema }> }; security?: unknown[] }>>;
  };
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      routes.push({
        method: method.toUpperCase(),
        path,
        params: (op.parameters ?? []).filter((p) => p.in === "path").map((p) => p.name),
        query: (op.parameters ?? []).filter((p) => p.in === "query").map((p) => ({ name: p.name, schema: p.schema, required: p.required })),
        body: op.requestBody?.content["application/json"]?.schema,
        service: JSON.stringify(op.security ?? []).includes("service"),
      });
    }
  }
  // Hidden from the document but served: the health endpoints.
  for (const path of ["/healthz", "/readyz", "/metrics"]) routes.push({ method: "GET", path, params: [], query: [], service: false });
  // Failed sign-ins slow down and then lock the client's address: fuzz those two routes last, so
  // the cookie session the other cases use can still be (re)established.
  const last = (r: Route) => (r.path === "/v1/auth/login" || r.path === "/v1/invitations/accept" ? 1 : 0);
  routes.sort((a, b) => last(a) - last(b));
});
after(() => t.close());

async function signInCookie() {
  const res = await t.request("POST", "/v1/auth/login", null, cookieUser);
  assert.equal(res.status, 200, `cookie sign-in: ${JSON.stringify(res.body)}`);
  const setCookie = String(res.headers["set-cookie"]);
  session = { cookie: /lockbox_session=([^;]+)/.exec(setCookie)![1]!, csrf: res.body.csrfToken as string };
}

// --- the database snapshot ----------------------------------------------------------------------

/** Tables whose rows may legitimately be touched by reads: compared by identity only. */
const IDENTITY_ONLY: Record<string, string[]> = { sessions: ["id_hash", "user_id"], api_tokens: ["id", "user_id"] };
/** Tables too big to read whole on every call: compared by row count (the audit heads cover the chains). */
const COUNT_ONLY = new Set(["audit_events", "outbox", "webhook_deliveries", "audit_checkpoints"]);

let tables: string[] = [];
async function listTables(): Promise<string[]> {
  const db = t.app.deps.db;
  const rows = isPostgres(db)
    ? await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(db)
    : await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`.execute(db);
  return rows.rows.map((r) => r.name).filter((n) => !/^kysely_/.test(n)).sort();
}

type Snapshot = Record<string, string>;
async function snapshot(): Promise<Snapshot> {
  const db = t.app.deps.db;
  if (tables.length === 0) tables = await listTables();
  const out: Snapshot = {};
  for (const table of tables) {
    const name = sql.table(table);
    if (COUNT_ONLY.has(table)) {
      const r = await sql<{ n: string | number }>`select count(*) as n from ${name}`.execute(db);
      out[table] = `count ${Number(r.rows[0]!.n)}`;
      continue;
    }
    const cols = IDENTITY_ONLY[table];
    const r = cols
      ? await sql<Record<string, unknown>>`select ${sql.join(cols.map((c) => sql.ref(c)))} from ${name}`.execute(db)
      : await sql<Record<string, unknown>>`select * from ${name}`.execute(db);
    out[table] = r.rows.map((row) => JSON.stringify(row)).sort().join("\n");
  }
  return out;
}

async function maxAuditPos(): Promise<number> {
  const r = await t.app.deps.db.selectFrom("audit_events").select((eb) => eb.fn.max("pos").as("m")).executeTakeFirst();
  return Number(r?.m ?? 0);
}

/** Differences between two snapshots that a refusal of this route is allowed to leave. */
async function unexplainedChanges(route: Route, before: Snapshot, beforePos: number, now: Snapshot): Promise<string[]> {
  const changed = Object.keys(now).filter((k) => now[k] !== before[k]);
  if (changed.length === 0) return [];
  const attempt = route.path === "/v1/auth/login" || route.path === "/v1/invitations/accept";
  if (!attempt) return changed;
  const rest = changed.filter((k) => k !== "audit_events" && k !== "audit_heads" && !ATTEMPT_TABLES.test(k));
  const ops = await t.app.deps.db.selectFrom("audit_events").select("operation").where("pos", ">", beforePos).execute();
  const unexpected = ops.filter((o) => !REFUSAL_AUDIT.test(o.operation)).map((o) => `audit ${o.operation}`);
  if (ops.length > 0 && unexpected.length === 0) stats.auditedRefusals += 1;
  return [...rest, ...unexpected];
}

// --- sending one case ---------------------------------------------------------------------------

interface Case {
  label: string;
  sender: Sender;
  params?: Record<string, string>;
  query?: FuzzQuery;
  body?: FuzzBody;
  /** Certainly invalid input: never 2xx. */
  invalid?: boolean;
  /** A credential that names nobody: exactly 401 (or 403 csrf for a real session without CSRF). */
  expect?: { status: number; code?: string };
  /** Extra headers sent with the sender's own. */
  headers?: Record<string, string>;
}

let current: Snapshot | undefined;
let currentPos = 0;

/** Sends one case and returns what is wrong with the answer (empty when all is well) and its status. */
async function send(route: Route, c: Case): Promise<string[]> {
  return (await sendCase(route, c)).problems;
}

async function sendCase(route: Route, c: Case): Promise<{ problems: string[]; status: number }> {
  current ??= await snapshot();
  currentPos = currentPos || (await maxAuditPos());
  const params = { ...realParams(route), ...c.params };
  let url = route.path.replace(/\{(\w+)\}/g, (_, name: string) => params[name] ?? "x");
  if (c.query) url += `?${c.query.query}`;
  const headers: Record<string, string> = Object.fromEntries(Object.entries({ ...c.sender.headers, ...c.headers }).map(([k, v]) => [k, fill(v)]));
  const as: As = c.sender.as && "cookie" in c.sender.as ? { cookie: fill(c.sender.as.cookie), ...(c.sender.as.csrf ? { csrf: fill(c.sender.as.csrf) } : {}) } : c.sender.as;
  const usesSession = JSON.stringify([c.sender.as, c.sender.headers ?? {}]).includes(SESSION);
  let payload: string | Buffer | undefined;
  if (c.body) {
    payload = c.body.payload;
    if (c.body.contentType) headers["content-type"] = c.body.contentType;
  }
  const res = await t.request(route.method, url, as, payload, headers);
  stats.calls += 1;
  const problems: string[] = [];
  const e = res.body?.error;
  if (res.status >= 500) problems.push(`answered ${res.status}`);
  if (res.status >= 400) {
    const ok = typeof e?.code === "string" && typeof e?.message === "string" && typeof e?.requestId === "string";
    if (!ok) problems.push(`no error envelope: ${String(res.headers["content-type"])} ${JSON.stringify(res.body).slice(0, 200)}`);
    else if (e.requestId !== res.headers["x-request-id"]) problems.push(`requestId ${e.requestId} is not the x-request-id header ${String(res.headers["x-request-id"])}`);
  }
  if (c.invalid && res.status < 400) problems.push(`invalid input answered ${res.status}`);
  if (c.expect && (res.status !== c.expect.status || (c.expect.code && e?.code !== c.expect.code))) {
    problems.push(`expected ${c.expect.status}${c.expect.code ? ` ${c.expect.code}` : ""}, got ${res.status} ${e?.code ?? ""}`);
  }
  const after = await snapshot();
  if (res.status >= 400) {
    stats.refused += 1;
    const changed = await unexplainedChanges(route, current, currentPos, after);
    if (changed.length > 0) problems.push(`refused (${res.status}) but changed: ${changed.join(", ")}`);
  }
  current = after;
  currentPos = await maxAuditPos();
  // A sign-out through the session ends it: sign in again for the cases that follow.
  if (usesSession && res.status < 300 && /logout|sessions/.test(route.path)) {
    await signInCookie();
    current = await snapshot();
    currentPos = await maxAuditPos();
  }
  return { status: res.status, problems: problems.map((p) => `${route.method} ${url.slice(0, 120)} as ${c.sender.name} [${c.label}]: ${p}`) };
}

/** Real ids for a route's path parameters: objects the primary sender may act on. */
function realParams(route: Route): Record<string, string> {
  const p = route.path;
  const id = p.startsWith("/v1/tokens/")
    ? ids.token
    : p.startsWith("/v1/users/")
      ? ids.user
      : p.startsWith("/v1/tenants/")
        ? w.tenantA
        : p.startsWith("/v1/service-credentials/")
          ? ids.credential
          : p.endsWith("/approve")
            ? ids.pending
            : p.endsWith("/deny")
              ? ids.pending2
              : p.endsWith("/cancel")
                ? ids.pending3
                : p.endsWith("/complete")
                  ? ids.approved2
                  : ids.approved;
  const own = p.startsWith("/v1/tenants/");
  // `org` (/v1/orgs/{org}/sso): an id that is no org, so fuzzed bodies never reach an IdP.
  return {
    id: id!,
    org: id!,
    whId: (own ? ids.tenantWebhook : ids.providerWebhook)!,
    sinkId: (own ? ids.tenantSink : ids.providerSink)!,
    qid: ids.question!,
    eid: ids.extension!,
    policyId: ids.policy!,
  };
}

/** The sender that may call the route, so input gets past authentication into validation and the use case. */
function primarySender(route: Route): Sender {
  const key = `${route.method} ${route.path}`;
  if (route.service) return senders.service!;
  if (PUBLIC.has(key)) return senders.anonymous!;
  if (key === "POST /v1/requests" || /\/(cancel|complete|token)$/.test(route.path)) return senders.engineer!;
  if (/\/(approve|deny|revoke)$/.test(route.path)) return senders.manager!;
  if (route.path.startsWith("/v1/tenants/{id}/") && route.path !== "/v1/tenants/{id}/settings") return senders.tenantAdmin!;
  if (key === "PATCH /v1/tenants/{id}/settings") return senders.tenantAdmin!;
  return senders.admin!;
}

function hintsFor(): Hints {
  return {
    tenantId: w.tenantA,
    services: ["mail"],
    service: "mail",
    requestedMinutes: 30,
    userId: w.engineer.user.id,
    requestId: ids.approved,
    url: "https://93.184.215.14/fuzz",
    operation: "read_mail",
    key: "fuzzsvc",
    roles: ["engineer"],
  };
}

/** A few values from each arbitrary, reproducibly. */
const draw = <T>(arb: fc.Arbitrary<T>, n: number, seed: number): T[] => fc.sample(arb, { numRuns: n, seed });

/** Every case for one route: senders, credentials, bodies, query strings, path parameters. */
function casesFor(route: Route, seed: number, isPublic: boolean): Case[] {
  const primary = primarySender(route);
  const schema = route.body;
  const base = schema ? validValue(objectBranch(schema), "", hintsFor()) : undefined;
  const baseBody: FuzzBody | undefined = schema ? { label: "valid", payload: JSON.stringify(base), contentType: "application/json", invalid: false } : undefined;
  const cases: Case[] = [];

  // Every sender, with a well-formed input.
  for (const sender of [...Object.values(senders), cookieSender(true)]) cases.push({ label: "well-formed", sender, body: baseBody });
  // Odd headers that are not credentials.
  for (const odd of oddHeaders()) {
    if (odd.unsafeOnly && !UNSAFE.has(route.method)) continue;
    cases.push({ label: odd.label, sender: primary, headers: odd.headers, body: baseBody ?? { label: "{}", payload: "{}", contentType: "application/json", invalid: false }, invalid: odd.invalid });
  }
  // Credentials that name nobody.
  for (const bad of badCredentials(SESSION)) {
    const strict = !isPublic && !(bad.csrfOnly && !UNSAFE.has(route.method));
    const expect = strict ? (bad.csrfOnly ? { status: 403, code: "csrf" } : { status: 401 }) : undefined;
    cases.push({ label: bad.label, sender: { name: "bad credentials", as: null, headers: bad.headers }, body: baseBody, ...(expect ? { expect } : {}) });
  }
  // Bodies.
  if (UNSAFE.has(route.method)) {
    const nullable = schema ? (schema.anyOf?.some((s) => s.type === "null") ?? false) : true;
    const bodies: FuzzBody[] = [...wireBodies(schema !== undefined, base, nullable)];
    if (schema) {
      bodies.push(...shapeMutations(base, schema));
      fieldsOf(schema).forEach((field, i) => {
        for (const arb of fieldMutations(base, field)) bodies.push(...draw(arb, 2, seed + i));
      });
    }
    for (const body of bodies) cases.push({ label: body.label, sender: primary, body, invalid: body.invalid });
  }
  // Query strings.
  for (const [i, arb] of queryMutations(route.query).entries()) {
    for (const query of draw(arb, 2, seed + i)) cases.push({ label: `query: ${query.label}`, sender: primary, query, body: baseBody, invalid: query.invalid });
  }
  // Path parameters.
  const real = realParams(route);
  for (const param of route.params) {
    for (const odd of draw(oddIds(real[param]!), 14, seed)) {
      cases.push({ label: `${param}: ${odd.label}`, sender: primary, params: { [param]: odd.segment }, body: baseBody, invalid: true });
    }
  }
  return cases;
}

/** Placeholders for the cookie session, filled in at send time (a sign-out case signs in again). */
const SESSION = "{session}";
const CSRF = "{csrf}";
function cookieSender(withCsrf: boolean): Sender {
  return { name: withCsrf ? "cookie session" : "cookie session without CSRF", as: { cookie: SESSION, ...(withCsrf ? { csrf: CSRF } : {}) } };
}
const fill = (v: string) => v.replaceAll(SESSION, session.cookie).replaceAll(CSRF, session.csrf);

test("the OpenAPI document lists the routes the fuzzer drives", () => {
  assert.ok(routes.length >= 40, `only ${routes.length} routes`);
  for (const key of ["POST /v1/requests", "POST /v1/requests/{id}/approve", "POST /v1/access/check", "PATCH /v1/tenants/{id}/settings", "POST /v1/activity"]) {
    assert.ok(routes.some((r) => `${r.method} ${r.path}` === key), key);
  }
});

test("fuzzing every route: no 5xx, always the envelope, invalid input refused, refusals change nothing", { timeout: 15 * 60_000 }, async (tt) => {
  const failures: string[] = [];
  for (const [index, route] of routes.entries()) {
    await tt.test(`${route.method} ${route.path}`, async () => {
      // A route is public when nobody is answered something other than 401 (sign-in, invitations,
      // JWKS, health); a bad credential on any other route must be answered 401.
      const probe = await sendCase(route, { label: "anonymous probe", sender: senders.anonymous! });
      const isPublic = PUBLIC.has(`${route.method} ${route.path}`) || probe.status !== 401;
      const found: string[] = [...probe.problems];
      for (const c of casesFor(route, 9000 + index, isPublic)) found.push(...(await send(route, c)));
      // Then random combinations, with fast-check reporting the seed of any failure.
      const pool = casesFor(route, 4000 + index, isPublic);
      const sendersList = [...Object.values(senders), cookieSender(true), cookieSender(false)];
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...pool), fc.constantFrom(...sendersList), async (c, sender) => {
          // A random sender keeps the input's validity expectation but not a credential expectation.
          const problems = await send(route, { ...c, sender, expect: undefined });
          assert.deepEqual(problems, []);
        }),
        { numRuns: 8, seed: 1000 + index, includeErrorInReport: true, endOnFailure: true },
      ).catch((err: unknown) => found.push(String(err instanceof Error ? err.message : err).split("\n").slice(0, 8).join(" | ")));
      failures.push(...found);
      assert.deepEqual(found, [], `${found.length} findings:\n${found.slice(0, 15).join("\n")}`);
    });
  }
  console.log(`# fuzz: ${routes.length} routes, ${stats.calls} calls, ${stats.refused} refused, ${stats.auditedRefusals} audited refusals, ${failures.length} findings`);
});
