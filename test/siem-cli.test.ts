import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import type net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { type SiemReceiver, startSiemReceiver } from "./support/siem-receivers.js";
import { startTestApp, type TestApp } from "./support/test-app.js";
import { buildWorld, type World } from "./support/world.js";

/** `lockbox sinks …` as a real subprocess against a live server on a real port. */
let t: TestApp;
let w: World;
let rx: SiemReceiver;
let server: string;
let home: string;
const repoRoot = path.resolve(import.meta.dirname, "..");

before(async () => {
  rx = await startSiemReceiver();
  t = await startTestApp({ LOCKBOX_WEBHOOK_ALLOW_PRIVATE: "1" });
  w = await buildWorld(t);
  await t.app.server.listen({ port: 0, host: "127.0.0.1" });
  server = `http://127.0.0.1:${(t.app.server.server.address() as net.AddressInfo).port}`;
  home = fs.mkdtempSync(path.join(os.tmpdir(), "lockbox-sinks-cli-"));
});
after(async () => {
  await t.close();
  await rx.close();
  fs.rmSync(home, { recursive: true, force: true });
});

function lockbox(token: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? "", HOME: home, XDG_CONFIG_HOME: path.join(home, "config"), NO_COLOR: "1", TZ: "UTC", LOCKBOX_SERVER: server, LOCKBOX_TOKEN: token, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

test("lockbox sinks create|list|status|delete for the tenant's global admin; the token comes from the environment, never the command line", async () => {
  const token = "hec-token-from-env-0f9e8d7c";
  rx.setToken("/cli-hec", token);
  const created = await lockbox(
    w.a.admin.token,
    ["sinks", "create", "--type", "splunk_hec", "--url", `${rx.base}/cli-hec`, "--format", "ocsf", "--json"],
    { LOCKBOX_SINK_TOKEN: token },
  );
  assert.equal(created.code, 0, created.stderr);
  const sink = JSON.parse(created.stdout);
  assert.equal(sink.tenantId, w.tenantA, "a tenant admin's default scope is its own tenant");
  assert.equal(sink.hasToken, true);
  assert.ok(!created.stdout.includes(token));

  await t.app.auditStreamer.runOnce();
  assert.ok(rx.at("/cli-hec").length > 0, "the HEC receiver accepted the token");
  const listed = await lockbox(w.a.admin.token, ["sinks", "list"]);
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, /^ID\s+TYPE\s+FORMAT\s+URL\s+CREATED/);
  assert.ok(listed.stdout.includes(sink.id) && listed.stdout.includes("splunk_hec"));
  const status = await lockbox(w.a.admin.token, ["sinks", "status", sink.id]);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /lag\s+0 events/);
  assert.match(status.stdout, /last error\s+none/);

  const refused = await lockbox(w.b.admin.token, ["sinks", "status", sink.id, "--tenant", w.tenantA]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /^lockbox: .*not found/m);
  const usage = await lockbox(w.a.admin.token, ["sinks", "create", "--type", "kafka", "--url", "x", "--format", "ocsf"]);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /--type/);

  const deleted = await lockbox(w.a.admin.token, ["sinks", "delete", sink.id]);
  assert.equal(deleted.code, 0, deleted.stderr);
  const empty = await lockbox(w.a.admin.token, ["sinks", "list", "--json"]);
  assert.deepEqual(JSON.parse(empty.stdout).items, []);
});

test("the provider admin manages the provider's sinks by default", async () => {
  const tokenFile = path.join(home, "token.txt");
  fs.writeFileSync(tokenFile, "bearer-from-file\n");
  rx.setToken("/cli-http", "bearer-from-file");
  const created = await lockbox(t.adminToken, ["sinks", "create", "--type", "http", "--url", `${rx.base}/cli-http`, "--format", "lockbox", "--token-file", tokenFile]);
  assert.equal(created.code, 0, created.stderr);
  assert.match(created.stdout, /^Created \S+: http .*cli-http \(lockbox, token stored encrypted\)\.\n$/);
  const listed = JSON.parse((await lockbox(t.adminToken, ["sinks", "list", "--provider", "--json"])).stdout);
  assert.equal(listed.items.length, 1);
  assert.equal(listed.items[0].chain, "provider");
  await t.app.auditStreamer.runOnce();
  assert.ok(rx.at("/cli-http").every((r) => r.record.chain === "provider") && rx.at("/cli-http").length > 0);
});
