import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { after, before, test } from "node:test";
import { WEB_DIST } from "../src/http/web-routes.js";
import { assertWebBuilt } from "../web/testing/browser.js";
import { startTestApp, type TestApp } from "./support/test-app.js";

/** How the server hands out the admin center next to the API: the SPA fallback and its limits. */

let t: TestApp;
before(async () => {
  assertWebBuilt();
  t = await startTestApp();
});
after(() => t.close());

const html = { accept: "text/html,application/xhtml+xml,*/*;q=0.8" };

test("a browser asking for any page path gets the admin center, with a strict CSP", async () => {
  for (const path of ["/", "/requests", "/requests/abc123", "/settings", "/accept-invitation"]) {
    const res = await t.request("GET", path, null, undefined, html);
    assert.equal(res.status, 200, path);
    assert.match(String(res.headers["content-type"]), /text\/html/);
    assert.match(String(res.body), /<div id="root"><\/div>/);
    assert.match(String(res.headers["content-security-policy"]), /default-src 'self'.*connect-src 'self'/);
    assert.equal(res.headers["cache-control"], "no-cache");
  }
});

test("built assets are served and cached for good", async () => {
  const [asset] = readdirSync(`${WEB_DIST}assets`).filter((f) => f.endsWith(".js"));
  assert.ok(asset, "the build produced a script");
  const res = await t.request("GET", `/assets/${asset}`, null);
  assert.equal(res.status, 200);
  assert.match(String(res.headers["content-type"]), /javascript/);
  assert.match(String(res.headers["cache-control"]), /immutable/);
});

test("API paths and missing assets keep the JSON 404 envelope (a page path is a page whatever the Accept)", async () => {
  for (const [path, headers] of [
    ["/v1/nope", html],
    ["/v1", html],
    ["/docs/nope/deeper", html],
    ["/.well-known/nope", html],
    ["/assets/missing.js", {}],
  ] as const) {
    const res = await t.request("GET", path, null, undefined, headers);
    assert.equal(res.status, 404, path);
    assert.equal(res.body.error.code, "not_found", path);
    assert.ok(res.body.error.requestId, path);
  }
  const post = await t.request("POST", "/requests", null, {}, html);
  assert.equal(post.status, 404);
  assert.equal(post.body.error.code, "not_found");
});

test("the API is unchanged next to the admin center", async () => {
  const me = await t.request("GET", "/v1/me", null, undefined, html);
  assert.equal(me.status, 401);
  assert.equal(me.body.error.code, "unauthenticated");
  const health = await t.request("GET", "/healthz", null, undefined, html);
  assert.equal(health.status, 200);
});
