import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type CliRun, type CliWorld, runLockbox, startCliWorld } from "./support/cli.js";
import type { TestApp } from "./support/test-app.js";
import { fileRequest, type World } from "./support/world.js";

/**
 * `lockbox users …`, `lockbox invitations …` and `requests show` after a revoke, run as real
 * subprocesses against a live server (the style of cli-client.test.ts).
 */
let t: TestApp;
let w: World;
let server: string;
let cli: CliWorld;

before(async () => {
  cli = await startCliWorld("lockbox-cli-people-");
  ({ t, w, server } = cli);
});
after(() => cli.close());

type Run = CliRun;

function lockbox(args: string[], token: string): Promise<Run> {
  return runLockbox(args, { home: cli.home, env: { LOCKBOX_SERVER: server, LOCKBOX_TOKEN: token } });
}

function ok(run: Run): string {
  assert.equal(run.code, 0, `exit ${run.code}: ${run.stderr}`);
  return run.stdout;
}

test("users list, deactivate, reactivate and remove; the last admin is refused in one line", async () => {
  const leaving = await t.user(["lockbox_approver"], w.tenantA, "Paul Leaving");
  const admin = w.a.admin.token;

  const listed = JSON.parse(ok(await lockbox(["users", "list", "--json"], admin)));
  assert.deepEqual(listed, (await t.request("GET", "/v1/users", w.a.admin.as)).body);
  const table = ok(await lockbox(["users", "list"], admin));
  assert.match(table.split("\n")[0]!, /^ID\s+NAME\s+EMAIL\s+ROLES\s+STATUS\s+CREATED$/);
  assert.match(table, new RegExp(`${leaving.user.id}\\s+Paul Leaving\\s+\\S+\\s+lockbox_approver\\s+active`));

  const off = await lockbox(["users", "deactivate", leaving.user.id], admin);
  assert.match(ok(off), /Paul Leaving <.*> is deactivated: signed out everywhere, API tokens deleted\./);
  assert.equal((await t.request("GET", "/v1/me", { token: leaving.token })).status, 401);
  assert.match(ok(await lockbox(["users", "list"], admin)), new RegExp(`${leaving.user.id}.*deactivated`));
  const on = JSON.parse(ok(await lockbox(["users", "reactivate", leaving.user.id, "--json"], admin)));
  assert.equal(on.status, "active");
  assert.match(ok(await lockbox(["users", "remove", leaving.user.id], admin)), /was removed/);
  assert.doesNotMatch(ok(await lockbox(["users", "list"], admin)), new RegExp(leaving.user.id));

  const last = await lockbox(["users", "deactivate", w.b.admin.user.id], w.b.admin.token);
  assert.equal(last.code, 1);
  assert.match(last.stderr, /^lockbox: Cannot deactivate the last active global admin[^\n]*\n$/);
  const gone = await lockbox(["users", "remove", "no-such-user"], admin);
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, /^lockbox: [^\n]*not found[^\n]*\n$/i);
});

test("invitations list, resend and revoke", async () => {
  const admin = w.a.admin.token;
  const created = await t.request("POST", "/v1/users", w.a.admin.as, { email: "cli-invitee@alpha.test", name: "Cleo Invitee", roles: ["auditor"] });
  assert.equal(created.status, 201);
  const listed = JSON.parse(ok(await lockbox(["invitations", "list", "--json"], admin)));
  const item = listed.items.find((i: { email: string }) => i.email === "cli-invitee@alpha.test");
  assert.ok(item);
  const table = ok(await lockbox(["invitations", "list"], admin));
  assert.match(table, new RegExp(`${item.id}\\s+Cleo Invitee\\s+cli-invitee@alpha\\.test`));

  const resent = ok(await lockbox(["invitations", "resend", item.id], admin));
  const url = /(http:\/\/lockbox\.test\/accept-invitation#token=inv_\S+)/.exec(resent)?.[1];
  assert.ok(url, resent);
  assert.equal((await t.request("POST", "/v1/invitations/check", null, { token: created.body.invitation.token })).status, 410);
  const token = url.split("#token=")[1]!;
  assert.equal((await t.request("POST", "/v1/invitations/check", null, { token })).status, 200);

  const fresh = JSON.parse(ok(await lockbox(["invitations", "list", "--json"], admin))).items.find(
    (i: { email: string }) => i.email === "cli-invitee@alpha.test",
  );
  assert.match(ok(await lockbox(["invitations", "revoke", fresh.id], admin)), /revoked; its link no longer works/);
  assert.equal((await t.request("POST", "/v1/invitations/check", null, { token })).status, 410);
  const again = await lockbox(["invitations", "revoke", fresh.id], admin);
  assert.equal(again.code, 1);
});

test("requests show after a revoke: who ended it, when, why, the comment, and the real end", async () => {
  const id = await fileRequest(w, { ticket: "CASE-SHOW-END" });
  await t.request("POST", `/v1/requests/${id}/approve`, w.manager.as, {});
  assert.equal((await t.request("POST", `/v1/requests/${id}/approve`, w.a.approver.as, {})).body.status, "approved");
  t.clock.advanceMinutes(1);
  const revoked = await t.request("POST", `/v1/requests/${id}/revoke`, w.a.admin.as, { comment: "Customer finished the check" });
  assert.equal(revoked.status, 200);
  const shown = ok(await lockbox(["requests", "show", id], w.engineer.token));
  assert.match(shown, /Status\s+revoked: ended .* by /);
  assert.match(shown, /Access ended\s+.*\(revoked early; planned until /);
  assert.match(shown, new RegExp(`Ended\\s+.* by ${w.a.admin.user.name}`));
  assert.match(shown, /Comment\s+Customer finished the check/);
  assert.doesNotMatch(shown, /Access until/);
  assert.doesNotMatch(shown, /\(in \d+/, "no countdown to an end that already happened");
});
