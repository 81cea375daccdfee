import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type CliRun, type CliWorld, runLockbox, startCliWorld } from "./support/cli.js";
import type { TestApp } from "./support/test-app.js";
import type { World } from "./support/world.js";

/**
 * SPEC 17 from the terminal: `requests create --reason-type --start-at`, `requests list
 * --reason-type`, `requests ask|answer|extend`, `requests extension approve|deny` and what
 * `requests show` prints, as real subprocesses against a live server.
 */
let t: TestApp;
let w: World;
let server: string;
let home: string;
let cli: CliWorld;
before(async () => {
  cli = await startCliWorld("lockbox-cli-workflow-");
  ({ t, w, server, home } = cli);
});
after(() => cli.close());

function lockbox(token: string, args: string[]): Promise<CliRun> {
  return runLockbox(args, { home, env: { LOCKBOX_SERVER: server, LOCKBOX_TOKEN: token } });
}
async function json(token: string, args: string[]): Promise<any> {
  const run = await lockbox(token, [...args, "--json"]);
  assert.equal(run.code, 0, `${args.join(" ")}: exit ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

test("reason type, scheduled start, a question, an extension: all from the CLI", async () => {
  const startAt = new Date(t.clock.now().getTime() + 30 * 60_000).toISOString();
  const created = await json(w.engineer.token, [
    "requests", "create", "--tenant", w.tenantA, "--reason-type", "production_incident", "--start-at", startAt,
    "--reason", "Queue stuck", "--services", "mail", "--minutes", "60",
  ]);
  assert.equal(created.reasonType, "production_incident");
  assert.equal(created.startAt, startAt);
  const id = created.id as string;
  const bad = await lockbox(w.engineer.token, ["requests", "create", "--tenant", w.tenantA, "--reason-type", "curiosity", "--reason", "x", "--services", "mail", "--minutes", "5"]);
  assert.notEqual(bad.code, 0);

  const listed = await json(w.a.admin.token, ["requests", "list", "--reason-type", "production_incident"]);
  assert.deepEqual(listed.items.map((i: { id: string }) => i.id), [id]);

  await json(w.manager.token, ["requests", "approve", id]);
  const q = await json(w.a.approver.token, ["requests", "ask", id, "--text", "Which queue?"]);
  assert.equal(q.text, "Which queue?");
  const a = await json(w.engineer.token, ["requests", "answer", id, q.id, "--text", "The outbound one"]);
  assert.equal(a.answer, "The outbound one");
  const approved = await json(w.a.approver.token, ["requests", "approve", id]);
  assert.equal(approved.accessStartsAt, startAt);

  const ext = await json(w.engineer.token, ["requests", "extend", id, "--minutes", "15", "--reason", "Almost there"]);
  assert.equal(ext.status, "pending");
  const done = await json(w.a.approver2.token, ["requests", "extension", "approve", id, ext.id, "--comment", "fine"]);
  assert.equal(done.status, "approved");
  assert.equal(done.accessEndsAt, new Date(Date.parse(startAt) + 75 * 60_000).toISOString());
  const second = await json(w.engineer.token, ["requests", "extend", id, "--minutes", "5", "--reason", "And a bit"]);
  const denied = await json(w.a.approver2.token, ["requests", "extension", "deny", id, second.id]);
  assert.equal(denied.status, "denied");

  const shown = await lockbox(w.a.auditor.token, ["requests", "show", id]);
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, /Purpose\s+production_incident/);
  assert.match(shown.stdout, /Scheduled start/);
  assert.match(shown.stdout, /"Which queue\?"/);
  assert.match(shown.stdout, /"The outbound one"/);
  assert.match(shown.stdout, /\+15m approved/);
  assert.match(shown.stdout, /\+5m denied/);

  // Someone who may not ask: one clear error line, non-zero exit.
  const refused = await lockbox(w.b.approver.token, ["requests", "ask", id, "--text", "hello"]);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /^lockbox: .*not found/);
});
