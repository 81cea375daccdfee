import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import type net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { startTestApp, type TestApp } from "./support/test-app.js";
import { buildWorld, fileRequest, type World } from "./support/world.js";

/**
 * `lockbox users …`, `lockbox invitations …` and `requests show` after a revoke, run as real
 * subprocesses against a live server (the style of cli-client.test.ts).
 */
let t: TestApp;
let w: World;
let server: string;
let home: string;

before(async () => {
  t = await startTestApp();
  w = await buildWorld(t);
  await t.app.server.listen({ port: 0, host: "127.0.0.1" });
  server = `http://127.0.0.1:${(t.app.server.server.address() as net.AddressInfo).port}`;
  home = fs.mkdtempSync(path.join(os.tmpdir(), "lockbox-cli-people-"));
});
after(async () => {
  await t.close();
  fs.rmSync(home, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

const repoRoot = path.resolve(import.meta.dirname, "..");

function lockbox(args: string[], token: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
      cwd: repoRoot,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: home,
        XDG_CONFIG_HOME: path.join(home, "config"),
        NO_COLOR: "1",
        TZ: "UTC",
        LOCKBOX_SERVER: server,
        LOCKBOX_TOKEN: token,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
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
