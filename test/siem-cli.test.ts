import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { type CliRun, type CliWorld, runLockbox, startCliWorld } from "./support/cli.js";
import { type SiemReceiver, startSiemReceiver } from "./support/siem-receivers.js";
import type { TestApp } from "./support/test-app.js";
import type { World } from "./support/world.js";

/** `lockbox sinks …` as a real subprocess against a live server on a real port. */
let t: TestApp;
let w: World;
let rx: SiemReceiver;
let server: string;
let home: string;
let cli: CliWorld;

before(async () => {
  rx = await startSiemReceiver();
  cli = await startCliWorld("lockbox-sinks-cli-", { LOCKBOX_WEBHOOK_ALLOW_PRIVATE: "1" });
  ({ t, w, server, home } = cli);
});
after(async () => {
  await cli.close();
  await rx.close();
});

function lockbox(token: string, args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return runLockbox(args, { home, env: { LOCKBOX_SERVER: server, LOCKBOX_TOKEN: token, ...env } });
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
