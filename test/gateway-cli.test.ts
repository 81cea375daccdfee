import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { startTestApp, type TestApp } from "./support/test-app.js";
import { buildWorld, fileRequest, type World } from "./support/world.js";

// `lockbox gateway` as a real subprocess, on real time (tokens must be valid for the real clock).
let t: TestApp;
let w: World;
let upstream: http.Server;
let child: ChildProcess | undefined;
let gatewayUrl: string;

before(async () => {
  t = await startTestApp();
  t.clock.set(new Date().toISOString());
  w = await buildWorld(t);
  await t.app.server.listen({ port: 0, host: "127.0.0.1" });
  const server = `http://127.0.0.1:${(t.app.server.server.address() as AddressInfo).port}`;
  upstream = http.createServer((req, res) => {
    res.writeHead(200, { "content-type": "text/plain" });
    res.end(`upstream saw ${req.method} ${req.url}`);
  });
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
  const token = (await t.request("POST", "/v1/service-credentials", w.providerAdmin.as, { name: "cli-gateway" })).body.token;
  const proc = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "src/cli/main.ts",
      "gateway",
      "--server",
      server,
      "--service",
      "mail",
      "--upstream",
      `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
      "--port",
      "0",
      "--issuer",
      "http://lockbox.test",
      "--max-unrecorded-seconds",
      "30",
    ],
    { env: { ...process.env, LOCKBOX_TOKEN: token }, stdio: ["ignore", "pipe", "pipe"] },
  );
  child = proc;
  gatewayUrl = await new Promise<string>((resolve, reject) => {
    let out = "";
    proc.stdout!.on("data", (c: Buffer) => {
      out += c.toString();
      const m = /on (http:\/\/[^\s]+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    proc.stderr!.on("data", (c: Buffer) => (out += c.toString()));
    proc.on("exit", (code) => reject(new Error(`gateway exited ${code}: ${out}`)));
  });
});
after(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child!.once("exit", r));
    child.kill("SIGTERM");
    await exited;
  }
  await new Promise((r) => upstream.close(r));
  await t.close();
});

test("lockbox gateway (CLI): 401 without a grant, 200 with one, 403 after revoke", async () => {
  const id = await fileRequest(w);
  await t.request("POST", `/v1/requests/${id}/approve`, w.manager.as, {});
  await t.request("POST", `/v1/requests/${id}/approve`, w.a.approver.as, {});
  const token = (await t.request("GET", `/v1/requests/${id}/token`, w.engineer.as)).body.token as string;
  const call = () => fetch(`${gatewayUrl}/mailboxes/1`, { headers: { authorization: `Lockbox ${token}`, "x-lockbox-tenant": w.tenantA } });

  assert.equal((await fetch(`${gatewayUrl}/mailboxes/1`, { headers: { "x-lockbox-tenant": w.tenantA } })).status, 401);
  const ok = await call();
  assert.equal(ok.status, 200);
  assert.equal(await ok.text(), "upstream saw GET /mailboxes/1");

  await t.request("POST", `/v1/requests/${id}/revoke`, w.a.approver.as, {});
  const started = Date.now();
  let status = 200;
  while (status === 200 && Date.now() - started < 5000) {
    await new Promise((r) => setTimeout(r, 100));
    status = (await call()).status;
  }
  assert.equal(status, 403, "revoked grant still passing after 5 s");
});

test("lockbox gateway (CLI): refuses to start without a service credential", async () => {
  const proc = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "gateway", "--server", "http://x", "--service", "mail", "--upstream", "http://y", "--port", "0"], {
    env: { ...process.env, LOCKBOX_TOKEN: "" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let err = "";
  proc.stderr.on("data", (c: Buffer) => (err += c.toString()));
  const code = await new Promise((r) => proc.on("exit", r));
  assert.equal(code, 1);
  assert.match(err, /LOCKBOX_TOKEN must hold a service credential/);
});

test("lockbox gateway (CLI): --max-unrecorded-seconds must be a whole number of seconds, 1 or more", async () => {
  for (const value of ["0", "-5", "abc", "1.5"]) {
    const proc = spawn(
      process.execPath,
      ["--import", "tsx", "src/cli/main.ts", "gateway", "--server", "http://x", "--service", "mail", "--upstream", "http://y", "--port", "0", "--max-unrecorded-seconds", value],
      { env: { ...process.env, LOCKBOX_TOKEN: "lbs_x" }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let err = "";
    proc.stderr.on("data", (c: Buffer) => (err += c.toString()));
    const code = await new Promise((r) => proc.on("exit", r));
    assert.equal(code, 1, value);
    assert.match(err, /--max-unrecorded-seconds must be/, value);
  }
});

test("lockbox gateway (CLI): a spoofed tenant header never reaches the upstream (finding 1)", async () => {
  const id = await fileRequest(w);
  await t.request("POST", `/v1/requests/${id}/approve`, w.manager.as, {});
  await t.request("POST", `/v1/requests/${id}/approve`, w.a.approver.as, {});
  const token = (await t.request("GET", `/v1/requests/${id}/token`, w.engineer.as)).body.token as string;
  const status = await new Promise<number>((resolve, reject) => {
    const req = http.request(
      `${gatewayUrl}/mailboxes/1`,
      { agent: false, headers: { authorization: `Lockbox ${token}`, "x-lockbox-tenant": w.tenantA, connection: "X-Lockbox-Tenant", X_Lockbox_Tenant: w.tenantB } },
      (res) => {
        res.resume();
        resolve(res.statusCode!);
      },
    );
    req.on("error", reject);
    req.end();
  });
  assert.equal(status, 400);
});
