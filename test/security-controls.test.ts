import assert from "node:assert/strict";
import { createHmac, randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import ts from "typescript";
import { providerChain, tenantChain } from "../src/audit/audit-event.js";
import { INVITATION_ATTEMPTS, TOKENS_PER_HOUR } from "../src/identity/identity-routes.js";
import { SESSION_IDLE_MINUTES, SESSION_MINUTES } from "../src/identity/sessions.js";
import { API_CSP, DOCS_CSP, HSTS } from "../src/http/security-headers.js";
import { WEB_CSP } from "../src/http/web-routes.js";
import { safeEqual } from "../src/ids.js";
import { startTestApp, type TestApp } from "./support/test-app.js";
import { buildWorld, fileRequest, type World } from "./support/world.js";
import { baseUrlOf, CHROMIUM, launchChromium, watchContext } from "../web/testing/browser.js";

const MASTER_SECRET = "security-controls-master-secret-0123456789abcdef";

let t: TestApp;
let w: World;
before(async () => {
  t = await startTestApp({ LOCKBOX_WEBHOOK_ALLOW_PRIVATE: "1", LOCKBOX_SECRET: MASTER_SECRET });
  w = await buildWorld(t);
});
after(() => t.close());

let ipCounter = 0;
/** A fresh client address per call site, so one test's failures never brake another's. */
const freshIp = () => `10.77.${Math.floor(++ipCounter / 250)}.${(ipCounter % 250) + 1}`;

async function login(email: string, password: string, ip = freshIp()) {
  const res = await t.app.server.inject({ method: "POST", url: "/v1/auth/login", payload: { email, password }, remoteAddress: ip });
  const cookie = res.cookies.find((c) => c.name === "lockbox_session")?.value;
  return { status: res.statusCode, body: res.json(), headers: res.headers, cookie: cookie!, csrf: res.json().csrfToken as string };
}

async function chainEvents(chain: string) {
  const rows = await t.app.deps.db.selectFrom("audit_events").selectAll().where("chain", "=", chain).orderBy("seq").execute();
  return rows.map((r) => ({ ...r, actor: JSON.parse(r.actor), details: JSON.parse(r.details) }));
}

function assertEnvelope429(res: { status: number; body: any; headers: Record<string, unknown> }) {
  assert.equal(res.status, 429);
  assert.equal(res.body.error.code, "too_many_attempts");
  assert.equal(typeof res.body.error.message, "string");
  assert.equal(typeof res.body.error.requestId, "string");
  const retry = Number(res.headers["retry-after"]);
  assert.ok(Number.isInteger(retry) && retry > 0, `Retry-After ${String(res.headers["retry-after"])}`);
  return retry;
}

describe("security headers", () => {
  const common = (h: Record<string, unknown>, what: string) => {
    assert.equal(h["x-content-type-options"], "nosniff", what);
    assert.equal(h["referrer-policy"], "no-referrer", what);
    assert.equal(h["x-frame-options"], "DENY", what);
    assert.match(String(h["content-security-policy"]), /frame-ancestors 'none'/, what);
    assert.equal(h["strict-transport-security"], undefined, `${what}: no HSTS on an http public URL`);
  };

  test("every API answer (success, 401, 404, 400) carries them, with a locked-down CSP and no-store", async () => {
    const answers = [
      ["GET /v1/me", await t.request("GET", "/v1/me", w.engineer.as)],
      ["GET /v1/requests", await t.request("GET", "/v1/requests", w.engineer.as)],
      ["401", await t.request("GET", "/v1/me", null)],
      ["404 route", await t.request("GET", "/v1/nothing-here", w.engineer.as)],
      ["404 id", await t.request("GET", `/v1/requests/${randomUUID()}`, w.engineer.as)],
      ["400", await t.request("POST", "/v1/requests", w.engineer.as, { nope: 1 })],
      ["400 from the router (bad URL)", await t.request("GET", "/v1/requests/%ff%fe", w.engineer.as)],
    ] as const;
    for (const [what, res] of answers) {
      common(res.headers, what);
      assert.equal(res.headers["content-security-policy"], API_CSP, what);
      assert.equal(res.headers["cache-control"], "no-store", what);
    }
    assert.equal((await t.request("GET", "/v1/me", w.engineer.as)).status, 200);
  });

  test("machine endpoints outside /v1 carry them too", async () => {
    for (const url of ["/healthz", "/openapi.json", "/.well-known/jwks.json"]) {
      const res = await t.request("GET", url, null);
      assert.equal(res.status, 200, url);
      common(res.headers, url);
      assert.equal(res.headers["content-security-policy"], API_CSP, url);
    }
  });

  test("/docs still renders under its own CSP (Swagger UI's inline styles, nothing from elsewhere)", async () => {
    const page = await t.request("GET", "/docs/", null);
    assert.equal(page.status, 200);
    assert.match(String(page.headers["content-type"]), /text\/html/);
    assert.match(String(page.body), /swagger/i);
    common(page.headers, "/docs/");
    assert.equal(page.headers["content-security-policy"], DOCS_CSP);
    assert.doesNotMatch(DOCS_CSP, /https?:|\*/, "no other origin is allowed");
    const init = await t.request("GET", "/docs/static/swagger-initializer.js", null);
    assert.equal(init.status, 200, "the UI's own script loads from this server");
  });

  test("the admin center keeps its strict CSP (not overwritten), on the SPA route and the static page", async (tt) => {
    if (!fs.existsSync(path.join(import.meta.dirname, "../web/dist/index.html"))) return tt.skip("admin center not built");
    for (const url of ["/", "/requests/some-id"]) {
      const res = await t.request("GET", url, null, undefined, { accept: "text/html" });
      assert.equal(res.status, 200, url);
      common(res.headers, url);
      assert.equal(res.headers["content-security-policy"], WEB_CSP, url);
      assert.doesNotMatch(WEB_CSP, /unsafe-inline|unsafe-eval|https?:|\*/);
      assert.match(WEB_CSP, /script-src 'self'/);
    }
    const html = await t.request("GET", "/index.html", null);
    assert.equal(html.status, 200);
    assert.equal(html.headers["content-security-policy"], WEB_CSP);
    assert.equal(html.headers["x-content-type-options"], "nosniff");
  });

  test("in a real browser, /docs and the admin center render under their CSPs without a single violation", async (tt) => {
    if (!fs.existsSync(CHROMIUM)) return tt.skip(`no Chromium at ${CHROMIUM}`);
    await t.app.server.listen({ port: 0, host: "127.0.0.1" });
    const origin = baseUrlOf(t.app.server.server.address());
    const browser = await launchChromium();
    try {
      const context = await browser.newContext();
      const problems = watchContext(context, origin);
      const violations: string[] = [];
      const page = await context.newPage();
      page.on("console", (msg) => {
        if (/Content Security Policy|Refused to/i.test(msg.text())) violations.push(msg.text());
      });
      await page.goto(`${origin}/docs/`);
      await page.getByText("/v1/auth/login").first().waitFor({ timeout: 20_000 });
      if (fs.existsSync(path.join(import.meta.dirname, "../web/dist/index.html"))) {
        await page.goto(`${origin}/`);
        await page.getByRole("button", { name: "Sign in", exact: true }).waitFor({ timeout: 20_000 });
      }
      assert.deepEqual(violations, []);
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
    }
  });

  test("HSTS is sent when LOCKBOX_PUBLIC_URL is https", async () => {
    const secure = await startTestApp({ LOCKBOX_PUBLIC_URL: "https://lockbox.example" });
    try {
      for (const url of ["/v1/me", "/healthz", "/docs/"]) {
        const res = await secure.request("GET", url, { token: secure.adminToken });
        assert.equal(res.headers["strict-transport-security"], HSTS, url);
      }
      assert.match(HSTS, /max-age=31536000/);
    } finally {
      await secure.close();
    }
  });
});

describe("sessions", () => {
  test("every sign-in makes a new session id; the older one lives until its own sign-out", async () => {
    const { user, password } = await t.user(["engineer"], null);
    const first = await login(user.email, password);
    const second = await login(user.email, password);
    assert.equal(first.status, 200);
    assert.equal(second.status, 200);
    assert.notEqual(first.cookie, second.cookie);
    assert.notEqual(first.csrf, second.csrf);
    const stored = await t.app.deps.db.selectFrom("sessions").select("id_hash").where("user_id", "=", user.id).execute();
    assert.equal(stored.length, 2);
    assert.ok(stored.every((s) => s.id_hash !== first.cookie && s.id_hash !== second.cookie), "only hashes are stored");
    assert.equal((await t.request("GET", "/v1/me", { cookie: first.cookie })).status, 200);
    // The first session's CSRF token does not work with the second session's cookie.
    assert.equal((await t.request("POST", "/v1/tokens", { cookie: second.cookie, csrf: first.csrf }, { name: "x" })).status, 403);
    assert.equal((await t.request("POST", "/v1/auth/logout", { cookie: first.cookie, csrf: first.csrf })).status, 204);
    assert.equal((await t.request("GET", "/v1/me", { cookie: first.cookie })).status, 401);
    assert.equal((await t.request("GET", "/v1/me", { cookie: second.cookie })).status, 200, "the other session is untouched");
  });

  test(`a session unused for ${SESSION_IDLE_MINUTES} minutes ends; use keeps it alive`, async () => {
    const { user, password } = await t.user(["engineer"], null);
    const s = await login(user.email, password);
    t.clock.advanceMinutes(SESSION_IDLE_MINUTES - 1);
    assert.equal((await t.request("GET", "/v1/me", { cookie: s.cookie })).status, 200);
    t.clock.advanceMinutes(SESSION_IDLE_MINUTES - 1);
    assert.equal((await t.request("GET", "/v1/me", { cookie: s.cookie })).status, 200, "the last use restarted the idle timer");
    t.clock.advanceMinutes(SESSION_IDLE_MINUTES);
    const idle = await t.request("GET", "/v1/me", { cookie: s.cookie });
    assert.equal(idle.status, 401);
    assert.equal(idle.body.error.code, "unauthenticated");
    assert.equal((await t.request("POST", "/v1/tokens", { cookie: s.cookie, csrf: s.csrf }, { name: "x" })).status, 401, "nor for writes");
  });

  test("last use is written at most once a minute", async () => {
    const { user, password } = await t.user(["engineer"], null);
    const s = await login(user.email, password);
    const seen = async () =>
      (await t.app.deps.db.selectFrom("sessions").select("last_seen_at").where("user_id", "=", user.id).executeTakeFirstOrThrow())
        .last_seen_at;
    const signedInAt = await seen();
    assert.equal(signedInAt, t.clock.now().toISOString());
    t.clock.advanceMs(30_000);
    for (let i = 0; i < 5; i++) assert.equal((await t.request("GET", "/v1/me", { cookie: s.cookie })).status, 200);
    assert.equal(await seen(), signedInAt, "no write within the minute");
    t.clock.advanceMs(31_000);
    await Promise.all(Array.from({ length: 5 }, () => t.request("GET", "/v1/me", { cookie: s.cookie })));
    assert.equal(await seen(), t.clock.now().toISOString(), "written once the minute is over");
  });

  test(`a session ends ${SESSION_MINUTES / 60} hours after sign-in however busy it is`, async () => {
    const { user, password } = await t.user(["engineer"], null);
    const s = await login(user.email, password);
    for (let minutes = 20; minutes < SESSION_MINUTES; minutes += 20) {
      t.clock.advanceMinutes(20);
      assert.equal((await t.request("GET", "/v1/me", { cookie: s.cookie })).status, 200, `after ${minutes} minutes`);
    }
    t.clock.advanceMinutes(20);
    assert.equal((await t.request("GET", "/v1/me", { cookie: s.cookie })).status, 401, "absolute expiry");
  });

  test("sign-out everywhere ends every session of the caller, audited, and nobody else's", async () => {
    const { user, password, token } = await t.user(["lockbox_approver"], w.tenantA);
    const other = await t.user(["lockbox_approver"], w.tenantA);
    const laptop = await login(user.email, password);
    const phone = await login(user.email, password);
    const someoneElse = await login(other.user.email, other.password);
    const noCsrf = await t.request("POST", "/v1/auth/logout-all", { cookie: laptop.cookie });
    assert.equal(noCsrf.status, 403, "a cookie caller needs the CSRF header");
    assert.equal((await t.request("GET", "/v1/me", { cookie: phone.cookie })).status, 200, "nothing ended by the refused call");

    const out = await t.request("POST", "/v1/auth/logout-all", { cookie: laptop.cookie, csrf: laptop.csrf });
    assert.equal(out.status, 200);
    assert.deepEqual(out.body, { sessionsEnded: 2 });
    assert.match(String(out.headers["set-cookie"]), /lockbox_session=;/);
    assert.equal((await t.request("GET", "/v1/me", { cookie: laptop.cookie })).status, 401);
    assert.equal((await t.request("GET", "/v1/me", { cookie: phone.cookie })).status, 401);
    assert.equal((await t.request("GET", "/v1/me", { cookie: someoneElse.cookie })).status, 200);
    assert.equal((await t.request("GET", "/v1/me", { token })).status, 200, "personal tokens are separate");
    const events = (await chainEvents(tenantChain(w.tenantA))).filter((e) => e.operation === "user.signed_out_everywhere");
    assert.equal(events.length, 1);
    assert.equal(events[0]!.actor.id, user.id);
    assert.deepEqual(events[0]!.details, { sessionsEnded: 2 });
  });

  test("sign-out everywhere is in the OpenAPI document with a response schema", async () => {
    const doc = (await t.request("GET", "/openapi.json", null)).body;
    const op = doc.paths["/v1/auth/logout-all"]?.post;
    assert.ok(op);
    assert.ok(op.responses["200"].content["application/json"].schema.properties.sessionsEnded);
  });
});

describe("rate limits", () => {
  test("sign-in: repeated failures get 429 with Retry-After in the error envelope", async () => {
    const { user } = await t.user(["auditor"], w.tenantA);
    const ip = freshIp();
    for (let i = 0; i < 10; i++) assert.equal((await login(user.email, "wrong password!!", ip)).status, 401);
    assertEnvelope429(await login(user.email, "wrong password!!", ip));
  });

  test("invitation acceptance: invalid tokens from one address are refused with 429, even a valid one then", async () => {
    const created = await t.request("POST", "/v1/users", w.a.admin.as, { email: "invitee.rl@alpha.test", name: "Invitee", roles: ["auditor"] });
    assert.equal(created.status, 201);
    const valid = created.body.invitation.token as string;
    const accept = (token: string, ip: string) =>
      t.app.server
        .inject({ method: "POST", url: "/v1/invitations/accept", payload: { token, password: "a long enough password" }, remoteAddress: ip })
        .then((r) => ({ status: r.statusCode, body: r.json(), headers: r.headers }));
    const ip = freshIp();
    for (let i = 0; i < INVITATION_ATTEMPTS; i++) assert.equal((await accept(`inv_guess${i}`, ip)).status, 410, `guess ${i}`);
    assertEnvelope429(await accept("inv_guess-more", ip));
    assertEnvelope429(await accept(valid, ip));
    const stillInvited = await t.app.deps.db.selectFrom("users").select("status").where("email", "=", "invitee.rl@alpha.test").executeTakeFirstOrThrow();
    assert.equal(stillInvited.status, "invited", "the refused call changed nothing");
    assert.equal((await accept(valid, freshIp())).status, 200, "another address is not braked");
  });

  test("invitation acceptance: one token tried from many addresses is refused too, until the window passes", async () => {
    const ips = Array.from({ length: INVITATION_ATTEMPTS + 1 }, freshIp);
    const accept = (ip: string) =>
      t.app.server.inject({
        method: "POST",
        url: "/v1/invitations/accept",
        payload: { token: "inv_one-token-many-addresses", password: "a long enough password" },
        remoteAddress: ip,
      });
    for (const ip of ips.slice(0, -1)) assert.equal((await accept(ip)).statusCode, 410);
    const refused = await accept(ips.at(-1)!);
    const retry = assertEnvelope429({ status: refused.statusCode, body: refused.json(), headers: refused.headers });
    assert.ok(retry <= 15 * 60);
    t.clock.advanceMinutes(16);
    assert.equal((await accept(ips.at(-1)!)).statusCode, 410, "the brake lifts after the window");
  });

  test(`personal token creation: at most ${TOKENS_PER_HOUR} an hour per user`, async () => {
    const me = await t.user(["engineer"], null);
    const you = await t.user(["engineer"], null);
    for (let i = 0; i < TOKENS_PER_HOUR; i++) {
      assert.equal((await t.request("POST", "/v1/tokens", { token: me.token }, { name: `t${i}` })).status, 201, `token ${i}`);
    }
    const before = await t.app.deps.db.selectFrom("api_tokens").select("id").where("user_id", "=", me.user.id).execute();
    const refused = await t.request("POST", "/v1/tokens", { token: me.token }, { name: "one too many" });
    assert.ok(assertEnvelope429(refused) <= 3600);
    const afterRefusal = await t.app.deps.db.selectFrom("api_tokens").select("id").where("user_id", "=", me.user.id).execute();
    assert.equal(afterRefusal.length, before.length, "no token was created");
    assert.equal((await t.request("POST", "/v1/tokens", { token: you.token }, { name: "mine" })).status, 201, "per user");
    t.clock.advanceMinutes(61);
    assert.equal((await t.request("POST", "/v1/tokens", { token: me.token }, { name: "next hour" })).status, 201);
  });

  test("one limiter class: sign-in, invitations and tokens all use LoginThrottle", () => {
    const routes = fs.readFileSync(path.join(import.meta.dirname, "../src/identity/identity-routes.ts"), "utf8");
    assert.equal((routes.match(/new LoginThrottle\(/g) ?? []).length, 2);
    const src = fs.readdirSync(path.join(import.meta.dirname, "../src"), { recursive: true, encoding: "utf8" });
    const limiters = src.filter((f) => f.endsWith(".ts") && /class \w*(Limit|Throttle)\w*/.test(fs.readFileSync(path.join(import.meta.dirname, "../src", f), "utf8")));
    assert.deepEqual(limiters, [path.join("identity", "login-throttle.ts")]);
  });
});

describe("failed sign-ins", () => {
  test("a failed sign-in of a tenant account is audited (auditing on) with the IP and never the password", async () => {
    const { user } = await t.user(["auditor"], w.tenantA);
    const ip = freshIp();
    const wrong = "Wr0ng-but-plausible-password";
    assert.equal((await login(user.email, wrong, ip)).status, 401);
    const events = (await chainEvents(tenantChain(w.tenantA))).filter((e) => e.operation === "user.sign_in_failed" && e.actor.id === user.id);
    assert.equal(events.length, 1);
    assert.deepEqual(events[0]!.actor, { type: "user", id: user.id, name: user.name, ip });
    assert.deepEqual(JSON.parse(events[0]!.target), { type: "user", id: user.id });
    assert.ok(!JSON.stringify(events[0]).includes(wrong));
    assert.ok(!t.logs.join("").includes(wrong));
  });

  test("a tenant with auditing off records nothing; provider staff always", async () => {
    const { user } = await t.user(["auditor"], w.tenantB);
    const before = (await chainEvents(tenantChain(w.tenantB))).length;
    assert.equal((await login(user.email, "wrong password!!")).status, 401);
    assert.equal((await chainEvents(tenantChain(w.tenantB))).length, before);

    const staff = await t.user(["engineer"], null);
    assert.equal((await login(staff.user.email, "wrong password!!")).status, 401);
    const events = (await chainEvents(providerChain)).filter((e) => e.operation === "user.sign_in_failed" && e.actor.id === staff.user.id);
    assert.equal(events.length, 1);
  });

  test("an unknown account lands in no chain, only in an info log line without the password", async () => {
    const count = async () => (await t.app.deps.db.selectFrom("audit_events").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow()).n;
    const before = Number(await count());
    const logsBefore = t.logs.length;
    const secret = "Unknown-account-secret-9f8e7d";
    assert.equal((await login("nobody.at.all@example.test", secret)).status, 401);
    assert.equal(Number(await count()), before);
    const lines = t.logs.slice(logsBefore).map((l) => JSON.parse(l));
    const line = lines.find((l) => /unknown account/.test(l.msg));
    assert.ok(line, "logged");
    assert.equal(line.level, 30, "info");
    assert.equal(line.email, "nobody.at.all@example.test");
    assert.ok(!t.logs.slice(logsBefore).join("").includes(secret));
  });
});

describe("constant-time comparison of secrets", () => {
  test("safeEqual: equal, unequal, different lengths and empty strings, never throwing", () => {
    assert.equal(safeEqual("abc", "abc"), true);
    assert.equal(safeEqual("abc", "abd"), false);
    assert.equal(safeEqual("abc", "abcd"), false);
    assert.equal(safeEqual("", ""), true);
    assert.equal(safeEqual("", "x"), false);
  });

  test("a CSRF token of any length is refused with 403, not an error", async () => {
    const { user, password } = await t.user(["engineer"], null);
    const s = await login(user.email, password);
    for (const csrf of ["x", s.csrf.slice(0, -1), `${s.csrf}x`, "é".repeat(500)]) {
      const res = await t.request("POST", "/v1/tokens", { cookie: s.cookie, csrf }, { name: "x" });
      assert.equal(res.status, 403, `csrf of length ${csrf.length}`);
    }
  });

  test("no secret in src/ is compared with ===/!==: secrets are looked up by SHA-256 or compared with safeEqual", () => {
    // Names that hold secrets; comparisons with a literal, typeof, .length or null are not comparisons of a secret.
    const secretName = /(token|secret|password|csrf|cookie|signature|hmac|digest|apikey|credential)$/i;
    const root = path.join(import.meta.dirname, "../src");
    const offenders: string[] = [];
    const nameOf = (e: ts.Expression): string | undefined =>
      ts.isIdentifier(e) ? e.text : ts.isPropertyAccessExpression(e) ? e.name.text : ts.isElementAccessExpression(e) && ts.isStringLiteral(e.argumentExpression) ? e.argumentExpression.text : undefined;
    const benign = (e: ts.Expression) =>
      ts.isLiteralExpression(e) || e.kind === ts.SyntaxKind.NullKeyword || e.kind === ts.SyntaxKind.UndefinedKeyword || ts.isTypeOfExpression(e) || (ts.isIdentifier(e) && e.text === "undefined");
    const files = fs.readdirSync(root, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts"));
    assert.ok(files.length > 50);
    for (const file of files) {
      const text = fs.readFileSync(path.join(root, file), "utf8");
      const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
      const visit = (node: ts.Node) => {
        if (ts.isBinaryExpression(node)) {
          const op = node.operatorToken.kind;
          const equality = [ts.SyntaxKind.EqualsEqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsEqualsToken, ts.SyntaxKind.EqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsToken];
          if (equality.includes(op) && !benign(node.left) && !benign(node.right)) {
            const names = [nameOf(node.left), nameOf(node.right)].filter((n): n is string => n !== undefined);
            if (names.some((n) => secretName.test(n))) {
              const { line } = source.getLineAndCharacterOfPosition(node.getStart());
              offenders.push(`${file}:${line + 1}: ${node.getText()}`);
            }
          }
        }
        ts.forEachChild(node, visit);
      };
      visit(source);
    }
    assert.deepEqual(offenders, []);
  });
});

describe("no secret in a log line or an error", () => {
  test("driving every route of /openapi.json with secrets in bodies and headers leaks none of them", async () => {
    // The secrets: a password, a personal token, a service credential, a webhook secret, a session
    // cookie and its CSRF token, invitation tokens, the master secret and the signing key.
    const PASSWORD = "Quartz-Violin-Harbor-2931!";
    const invite = await t.request("POST", "/v1/users", w.a.admin.as, { email: "secret.keeper@alpha.test", name: "Keeper", roles: ["global_admin"] });
    const usedInvitation = invite.body.invitation.token as string;
    assert.equal((await t.request("POST", "/v1/invitations/accept", null, { token: usedInvitation, password: PASSWORD })).status, 200);
    const pending = await t.request("POST", "/v1/users", w.a.admin.as, { email: "pending.person@alpha.test", name: "Pending", roles: ["auditor"] });
    const pendingInvitation = pending.body.invitation.token as string;
    const keeper = await login("secret.keeper@alpha.test", PASSWORD);
    assert.equal(keeper.status, 200);
    const lbx = (await t.request("POST", "/v1/tokens", { token: t.adminToken }, { name: "scan" })).body.token as string;
    const lbs = (await t.request("POST", "/v1/service-credentials", { token: t.adminToken }, { name: "scan" })).body.token as string;
    const hook = await t.request("POST", `/v1/tenants/${w.tenantA}/webhooks`, w.a.admin.as, { url: "http://127.0.0.1:9/hook" });
    assert.equal(hook.status, 201, JSON.stringify(hook.body));
    const webhookSecret = hook.body.secret as string;
    const signingKey = (await t.app.deps.keys.signer()).privateKey.export({ format: "jwk" }).d as string;
    const requestId = await fileRequest(w);
    let session = { cookie: keeper.cookie, csrf: keeper.csrf };

    const secrets = new Map<string, string>([
      ["password", PASSWORD],
      ["lbx token", lbx],
      ["lbs credential", lbs],
      ["webhook secret", webhookSecret],
      ["session cookie", session.cookie],
      ["csrf token", session.csrf],
      ["used invitation token", usedInvitation],
      ["pending invitation token", pendingInvitation],
      ["master secret", MASTER_SECRET],
      ["signing key", signingKey],
      ["admin token", t.adminToken],
      ["engineer token", w.engineer.token],
      ["tenant admin token", w.a.admin.token],
    ]);
    for (const [name, value] of secrets) assert.ok(value && value.length >= 20, name);
    const logsFrom = t.logs.length;

    const doc = (await t.request("GET", "/openapi.json", null)).body;
    const ids: Record<string, string> = {
      "/v1/tenants/{id}": w.tenantA,
      "/v1/requests/{id}": requestId,
      "/v1/tenants/{id}/webhooks": w.tenantA,
      "/v1/tenants/{id}/webhooks/{whId}": w.tenantA,
    };
    // A valid-looking value for a schema, with every secret-named field holding a secret.
    const sample = (schema: any, name = ""): unknown => {
      if (/password/i.test(name)) return PASSWORD;
      if (/^token$/i.test(name)) return pendingInvitation;
      if (/secret/i.test(name)) return webhookSecret;
      if (/email/i.test(name) && !/emails/i.test(name)) return "secret.keeper@alpha.test";
      if (!schema) return "x";
      const branch = schema.anyOf ?? schema.oneOf;
      if (branch) return sample(branch.find((b: any) => b.type !== "null") ?? branch[0], name);
      if (schema.enum) return schema.enum[0];
      if ("const" in schema) return schema.const;
      const type = Array.isArray(schema.type) ? schema.type.find((x: string) => x !== "null") : schema.type;
      switch (type) {
        case "object":
          return Object.fromEntries(Object.entries(schema.properties ?? {}).map(([k, v]) => [k, sample(v, k)]));
        case "array":
          return Array.from({ length: Math.max(1, schema.minItems ?? 1) }, () => sample(schema.items, name));
        case "integer":
        case "number":
          return Math.max(schema.minimum ?? 1, schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : 1);
        case "boolean":
          return false;
        default:
          if (schema.format === "email") return "someone@example.test";
          if (schema.format === "uuid" || /id$/i.test(name)) return name === "tenantId" ? w.tenantA : randomUUID();
          if (schema.format === "date-time" || name === "at") return t.clock.now().toISOString();
          if (schema.format === "uri" || name === "url") return "http://127.0.0.1:9/hook";
          return "x".repeat(Math.max(1, schema.minLength ?? 1));
      }
    };
    const signature = `t=1700000000,v1=${createHmac("sha256", webhookSecret).update("1700000000.{}").digest("hex")}`;
    const extraHeaders = () => ({
      "x-api-key": webhookSecret,
      "lockbox-signature": signature,
      "x-lockbox-tenant": w.tenantA,
      "x-invitation": pendingInvitation,
    });
    const variants = () =>
      [
        ["personal token", { authorization: `Bearer ${lbx}`, cookie: `lockbox_session=${session.cookie}`, "x-csrf-token": session.csrf }],
        ["session cookie", { cookie: `lockbox_session=${session.cookie}`, "x-csrf-token": session.csrf }],
        ["engineer token", { authorization: `Bearer ${w.engineer.token}` }],
        ["tenant admin token", { authorization: `Bearer ${w.a.admin.token}` }],
        ["service credential", { authorization: `Bearer ${lbs}` }],
        ["password as bearer", { authorization: `Bearer ${PASSWORD}` }],
        ["basic auth", { authorization: `Basic ${Buffer.from(`secret.keeper@alpha.test:${PASSWORD}`).toString("base64")}` }],
        ["wrong csrf", { cookie: `lockbox_session=${session.cookie}`, "x-csrf-token": webhookSecret }],
        ["nobody", {}],
      ] as const;

    const fresh: { value: string; from: number }[] = [];
    const collectFresh = (value: unknown, key: string, from: number) => {
      if (typeof value === "string" && /^(token|secret|csrfToken|url)$/.test(key) && value.length >= 20) {
        fresh.push({ value: key === "url" ? (value.split("#token=")[1] ?? "") : value, from });
      } else if (value && typeof value === "object") {
        for (const [k, v] of Object.entries(value)) collectFresh(v, k, from);
      }
    };
    const answers: { what: string; status: number; body: string }[] = [];
    const routes: [string, string, any][] = [];
    for (const [p, ops] of Object.entries<any>(doc.paths)) for (const [m, op] of Object.entries<any>(ops)) routes.push([m.toUpperCase(), p, op]);
    // Sign-outs last, so the session stays usable for the other routes.
    routes.sort((a, b) => Number(a[1].includes("logout")) - Number(b[1].includes("logout")));
    assert.ok(routes.length >= 40, `${routes.length} routes`);

    for (const [method, p, op] of routes) {
      const url = p.replace(/\{(\w+)\}/g, (_m, name: string) => (name === "id" && ids[p] ? ids[p] : name === "whId" ? hook.body.id : randomUUID()));
      const bodySchema = op.requestBody?.content?.["application/json"]?.schema;
      const valid = method === "GET" || method === "DELETE" ? undefined : (sample(bodySchema ?? { type: "object", properties: { comment: {} } }) as Record<string, unknown>);
      const bodies = valid === undefined ? [undefined] : [valid, { ...valid, password: PASSWORD, token: lbx, secret: webhookSecret, csrfToken: session.csrf, credential: lbs }];
      for (const body of bodies) {
        for (const [variant, headers] of variants()) {
          const res = await t.app.server.inject({
            method: method as "GET",
            url,
            headers: { ...headers, ...extraHeaders() },
            ...(body === undefined ? {} : { payload: body }),
            remoteAddress: freshIp(),
          });
          const what = `${method} ${p} as ${variant}${body && "credential" in body ? " (secrets in body)" : ""}`;
          assert.ok(res.statusCode < 500, `${what}: ${res.statusCode} ${res.body}`);
          const index = answers.length;
          answers.push({ what, status: res.statusCode, body: res.body });
          // (GET /v1/me hands a cookie session its own CSRF token back: not a new secret.)
          const json = (res.headers["content-type"] ?? "").toString().startsWith("application/json");
          if (res.statusCode < 300 && json && !(method === "GET" && p === "/v1/me")) {
            collectFresh(res.json(), "", index);
          }
          if (p.includes("logout") && res.statusCode < 300) {
            const again = await login("secret.keeper@alpha.test", PASSWORD);
            session = { cookie: again.cookie, csrf: again.csrf };
            secrets.set(`session cookie ${answers.length}`, again.cookie);
            secrets.set(`csrf token ${answers.length}`, again.csrf);
          }
        }
      }
    }
    assert.ok(answers.filter((a) => a.status < 300).length > 30, "the drive reached the routes, not only their refusals");

    const leaks: string[] = [];
    for (const [i, a] of answers.entries()) {
      for (const [name, value] of secrets) {
        // GET /v1/me answers a cookie session with that session's own CSRF token, by design.
        if (/csrf/.test(name) && a.what.startsWith("GET /v1/me ")) continue;
        if (a.body.includes(value)) leaks.push(`${a.what} answered the ${name}`);
      }
      for (const f of fresh) if (f.value && f.from !== i && a.body.includes(f.value)) leaks.push(`${a.what} repeated a secret first shown by ${answers[f.from]!.what}`);
    }
    const logText = t.logs.slice(logsFrom).join("");
    assert.ok(t.logs.length - logsFrom > answers.length, "every request was logged");
    for (const [name, value] of secrets) if (logText.includes(value)) leaks.push(`a log line holds the ${name}`);
    for (const f of fresh) if (f.value && logText.includes(f.value)) leaks.push(`a log line holds a secret shown by ${answers[f.from]!.what}`);
    assert.ok(fresh.length >= 5, `fresh secrets seen: ${fresh.length}`);
    assert.deepEqual(leaks, []);
    // The scan itself finds a planted secret.
    assert.ok(`${logText}{"x":"${lbx}"}`.includes(lbx));
  });
});
