import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startTestApp, type TestApp } from "./support/test-app.js";
import { buildWorld, type World } from "./support/world.js";

// Issue 19 item 16: every message is written for a person. Validation names the field in the
// API's own spelling (never `body.ticket`) and says what is allowed, never zod's raw words.

let t: TestApp;
let w: World;
before(async () => {
  t = await startTestApp();
  w = await buildWorld(t);
});
after(() => t.close());

const base = { tenantId: "", ticket: "CASE-1", reason: "Why", services: ["mail"], accessLevel: "read", requestedMinutes: 30 };

test("validation errors: one field form, a human message, no zod wording", async () => {
  const cases: [Record<string, unknown>, string, string][] = [
    [{ ticket: "" }, "ticket", "ticket: must not be empty"],
    [{ ticket: "x".repeat(65) }, "ticket", "ticket: must be at most 64 characters"],
    [{ requestedMinutes: "thirty" }, "requestedMinutes", "requestedMinutes: must be a number"],
    [{ accessLevel: "admin" }, "accessLevel", "accessLevel: must be one of read, write"],
    [{ services: [] }, "services", "services: must name at least one"],
    [{ surprise: 1 }, "surprise", "surprise: is not a known field"],
    [{ reason: undefined }, "reason", "reason: is required"],
  ];
  for (const [patch, field, message] of cases) {
    const res = await t.request("POST", "/v1/requests", w.engineer.as, { ...base, tenantId: w.tenantA, ...patch });
    assert.equal(res.status, 400, JSON.stringify(patch));
    assert.equal(res.body.error.code, "invalid_request");
    assert.equal(res.body.error.details[0].field, field, JSON.stringify(res.body.error));
    assert.equal(res.body.error.message, message);
    assert.doesNotMatch(JSON.stringify(res.body.error), /Too small|Too big|Invalid input|expected string|body\./);
  }
  // A query string and a path parameter read the same way.
  const query = await t.request("GET", "/v1/requests?limit=0", w.engineer.as);
  assert.equal(query.body.error.message, "limit: must be at least 1");
  const param = await t.request("GET", `/v1/requests/${"x".repeat(65)}`, w.engineer.as);
  assert.equal(param.body.error.message, "id: must be at most 64 characters");
});

test("the server's own messages start as sentences do", async () => {
  const missing = await t.request("GET", "/v1/requests/no-such-request", w.engineer.as);
  assert.equal(missing.body.error.message, "Request not found");
  const forbidden = await t.request("POST", "/v1/services", w.engineer.as, { key: "x", name: "X", description: "d" });
  assert.match(forbidden.body.error.message, /^[A-Z]/);
  const anonymous = await t.request("GET", "/v1/me", null);
  assert.match(anonymous.body.error.message, /^[A-Z]/);
});
