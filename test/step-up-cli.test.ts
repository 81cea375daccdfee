import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import type net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { type StepUpFactor, stepUp } from "./support/step-up.js";
import { softAuthenticator } from "./support/soft-authenticator.js";
import { startTestApp, type TestApp } from "./support/test-app.js";
import { buildWorld, fileRequest, type World } from "./support/world.js";

/**
 * The CLI and step-up (SPEC 14), as real subprocesses against a live server: with tenant A asking
 * for step-up, a decision without a code is refused with a line that says what to do; `--otp`
 * retries it once with the code; on a terminal (a pseudo-terminal from util-linux `script`) the
 * CLI asks for the code and retries; a wrong code and a passkey-only person get clear lines.
 */
let t: TestApp;
let w: World;
let server: string;
let home: string;
let factor: StepUpFactor;

const repoRoot = path.resolve(import.meta.dirname, "..");

before(async () => {
  t = await startTestApp();
  w = await buildWorld(t);
  // The shared world switched step-up off for its tenants; this suite is about it, so A asks again.
  await t.app.deps.db.updateTable("tenants").set({ require_mfa_for_decisions: 1 }).where("id", "=", w.tenantA).execute();
  factor = await stepUp(t, w.a.approver);
  await t.app.server.listen({ port: 0, host: "127.0.0.1" });
  server = `http://127.0.0.1:${(t.app.server.server.address() as net.AddressInfo).port}`;
  home = fs.mkdtempSync(path.join(os.tmpdir(), "lockbox-stepup-cli-"));
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

/** Runs `command` with `args`, a clean environment and `input` on stdin. */
function run(command: string, args: string[], token: string, input = ""): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? "", HOME: home, NO_COLOR: "1", TZ: "UTC", LOCKBOX_SERVER: server, LOCKBOX_TOKEN: token },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

const lockbox = (args: string[], token: string) => run(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], token);

/** The CLI on a pseudo-terminal: `script` gives it a TTY for stdin and stderr, fed from `input`. */
const onTerminal = (args: string[], token: string, input: string) =>
  run("script", ["-qec", [process.execPath, "--import", "tsx", "src/cli/main.ts", ...args].map((a) => `'${a}'`).join(" "), "/dev/null"], token, input);

async function statusOf(id: string): Promise<string> {
  return (await t.request("GET", `/v1/requests/${id}`, w.a.approver.as)).body.status;
}

async function pending(ticket: string): Promise<string> {
  const id = await fileRequest(w, { ticket });
  assert.equal((await t.request("POST", `/v1/requests/${id}/approve`, w.manager.as, {})).status, 200);
  return id;
}

test("without a code and without a terminal: one line saying to pass --otp, exit 3, nothing changed", async () => {
  const id = await pending("CASE-S1");
  const res = await lockbox(["requests", "approve", id], w.a.approver.token);
  assert.equal(res.code, 3, res.stderr);
  assert.equal(res.stdout, "");
  assert.match(res.stderr, /^lockbox: [^\n]*--otp CODE[^\n]*\n$/);
  assert.equal(await statusOf(id), "pending_customer");
});

test("--otp retries the refused call once with the code", async () => {
  const id = await pending("CASE-S2");
  const res = await lockbox(["requests", "approve", id, "--otp", factor.otp()], w.a.approver.token);
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stdout, /approved/i);
  assert.equal(await statusOf(id), "approved");
});

test("a wrong --otp is refused in one line, exit 1, nothing changed", async () => {
  t.clock.advanceMinutes(6); // the verification from the test before has run out
  const id = await pending("CASE-S3");
  const res = await lockbox(["requests", "deny", id, "--otp", "000000"], w.a.approver.token);
  assert.equal(res.code, 1, res.stderr);
  assert.match(res.stderr, /^lockbox: X-Lockbox-OTP: [^\n]+\n$/);
  assert.equal(await statusOf(id), "pending_customer");
});

test("on a terminal the CLI asks for the code and retries", async () => {
  const id = await pending("CASE-S4");
  const res = await onTerminal(["requests", "deny", id], w.a.approver.token, `${factor.otp()}\n`);
  assert.equal(res.code, 0, res.stdout + res.stderr);
  assert.match(res.stdout, /code from your authenticator app/);
  assert.equal(await statusOf(id), "denied");
});

test("a person whose only factor is a passkey is told to add an authenticator app for the CLI", async () => {
  const keyOnly = await t.user(["lockbox_approver"], w.tenantA, "Kay Keyonly");
  await softAuthenticator(t, keyOnly.user.id);
  const id = await pending("CASE-S5");
  const res = await lockbox(["requests", "deny", id], keyOnly.token);
  assert.equal(res.code, 3, res.stderr);
  assert.match(res.stderr, /passkey[^\n]*authenticator app/);
  assert.equal(await statusOf(id), "pending_customer");
});
