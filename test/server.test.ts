import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { loadConfig } from "../src/config.js";
import { ADMIN_PASSWORD, startTestApp, type TestApp } from "./support/test-app.js";

const run = promisify(execFile);
const cli = ["--import", "tsx", "src/cli/main.ts"];

describe("configuration", () => {
  test("defaults", () => {
    const c = loadConfig({});
    assert.equal(c.port, 8080);
    assert.equal(c.managerWindowMinutes, 720);
    assert.equal(c.maxAccessMinutes, 240);
    assert.equal(c.maxApprovalWindowMinutes, 720);
    assert.equal(c.publicUrl, "http://localhost:8080");
    assert.equal(c.databaseUrl, undefined);
  });

  test("a bad value stops start-up with one line naming the variable", async () => {
    for (const [name, value] of [
      ["LOCKBOX_PORT", "eighty"],
      ["LOCKBOX_MAX_ACCESS_MINUTES", "5"],
      ["LOCKBOX_DATABASE_URL", "mysql://x"],
      ["LOCKBOX_ADMIN_PASSWORD", "short"],
    ]) {
      const res = await run(process.execPath, [...cli, "serve"], { env: { ...process.env, [name!]: value } }).catch((e) => e);
      assert.equal(res.code, 2, name);
      const lines = String(res.stderr).trim().split("\n");
      assert.equal(lines.length, 1, `${name}: ${res.stderr}`);
      assert.match(lines[0]!, new RegExp(`^lockbox: invalid configuration: ${name}\\b`));
    }
  });
});

describe("the HTTP edge", () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  test("health, readiness, request id", async () => {
    const h = await t.request("GET", "/healthz", null);
    assert.equal(h.status, 200);
    assert.ok(h.headers["x-request-id"]);
    assert.equal((await t.request("GET", "/readyz", null)).body.status, "ready");
  });

  test("metrics in Prometheus text: answers by route pattern, the grant index, process figures", async () => {
    await t.request("GET", "/healthz", null);
    await t.request("GET", "/v1/requests/some-id", null);
    const res = await t.request("GET", "/metrics", null);
    assert.equal(res.status, 200);
    assert.match(String(res.headers["content-type"]), /^text\/plain/);
    const text = res.body as string;
    assert.match(text, /lockbox_http_requests_total\{method="GET",route="\/healthz",status_code="200"\} [1-9]/);
    assert.match(text, /route="\/v1\/requests\/:id",status_code="401"/, "route patterns, never raw ids");
    assert.ok(!text.includes("some-id"));
    assert.match(text, /^lockbox_active_grants 0$/m);
    assert.match(text, /^lockbox_process_resident_memory_bytes \d+/m);
  });

  test("the OpenAPI 3.1 document is generated from the route schemas", async () => {
    const doc = await t.request("GET", "/openapi.json", null);
    assert.equal(doc.status, 200);
    assert.equal(doc.body.openapi, "3.1.0");
    const create = doc.body.paths["/v1/requests"].post;
    const body = create.requestBody.content["application/json"].schema;
    // The ticket is required only for customer-initiated support (SPEC 17): the route says so.
    assert.deepEqual(body.required.sort(), ["accessLevel", "reason", "requestedMinutes", "services", "tenantId"]);
    assert.equal(body.properties.ticket.maxLength, 64);
    assert.deepEqual(body.properties.reasonType.enum.sort(), ["customer_initiated_support", "legal_request", "production_incident", "provider_initiated_review"]);
    assert.ok(doc.body.paths["/v1/requests/{id}/approve"]);
    assert.ok(doc.body.paths["/v1/audit/export"]);
    const docs = await t.request("GET", "/docs/", null);
    assert.equal(docs.status, 200);
    assert.match(String(docs.headers["content-type"]), /html/);
  });

  test("passwords, tokens and cookies never reach a log line", async () => {
    const login = await t.app.server.inject({ method: "POST", url: "/v1/auth/login", payload: { email: t.admin.email, password: ADMIN_PASSWORD } });
    const cookie = login.cookies[0]!.value;
    const made = await t.request("POST", "/v1/tokens", { token: t.adminToken }, { name: "log-check" });
    await t.request("GET", "/v1/me", { token: made.body.token });
    await t.request("GET", "/v1/me", { cookie });
    const logs = t.logs.join("");
    assert.ok(logs.includes("/v1/me"), "requests are logged");
    for (const secret of [ADMIN_PASSWORD, t.adminToken, made.body.token, cookie, login.json().csrfToken]) {
      assert.ok(!logs.includes(secret), "a secret leaked into the logs");
    }
  });
});

test("lockbox serve starts on an empty data folder, prints the generated admin password once, and stops on SIGTERM", async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "lockbox-serve-"));
  const child = spawn(process.execPath, [...cli, "serve"], {
    env: { ...process.env, LOCKBOX_DATA_DIR: dataDir, LOCKBOX_PORT: "0", LOCKBOX_LOG_LEVEL: "warn", LOCKBOX_ADMIN_PASSWORD: "" },
  });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start: ${out}`)), 20_000);
      child.stdout.on("data", () => {
        if (out.includes("Sign in")) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    const password = /with password (\S+)/.exec(out)?.[1];
    assert.ok(password && password.length >= 12, out);
    assert.ok(fs.existsSync(path.join(dataDir, "lockbox.db")));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    child.kill("SIGTERM");
    assert.equal(await exited, 0, "graceful shutdown exits 0");
  } finally {
    child.kill("SIGKILL");
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
