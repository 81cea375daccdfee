import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import SQLite from "better-sqlite3";

/**
 * Issue 19 item 1 / SPEC 20: the provider admin is never locked out. A first start that cannot
 * bind its port creates nothing; a later LOCKBOX_ADMIN_PASSWORD is reported as ignored, with the
 * way back in: `lockbox admin reset-password`.
 */
const run = promisify(execFile);
const cli = ["--import", "tsx", "src/cli/main.ts"];
const repoRoot = path.resolve(import.meta.dirname, "..");
let dataDir: string;

before(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "lockbox-first-start-"));
});
after(() => fs.rmSync(dataDir, { recursive: true, force: true }));

const baseEnv = () => ({
  PATH: process.env.PATH ?? "",
  HOME: os.tmpdir(),
  LOCKBOX_DATA_DIR: dataDir,
  LOCKBOX_LOG_LEVEL: "warn",
});

/** Starts `lockbox serve`, waits for its banner, returns the process and what it printed. */
async function start(env: Record<string, string>): Promise<{ child: ChildProcess; out: () => string; err: () => string }> {
  const child = spawn(process.execPath, [...cli, "serve"], { cwd: repoRoot, env: { ...baseEnv(), LOCKBOX_PORT: "0", ...env } });
  let out = "";
  let err = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (err += d));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start: ${out} ${err}`)), 30_000);
    const check = () => {
      if (out.includes("Sign in")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on("data", check);
    child.on("exit", (code) => reject(new Error(`exited ${code}: ${out} ${err}`)));
  });
  return { child, out: () => out, err: () => err };
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.on("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}

function users(): { email: string }[] {
  const db = new SQLite(path.join(dataDir, "lockbox.db"), { readonly: true });
  try {
    return db.prepare("select email from users").all() as { email: string }[];
  } finally {
    db.close();
  }
}

async function signIn(port: number, email: string, password: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password }),
  });
  return res.status;
}

const portOf = (out: string) => Number(/running at http:\/\/localhost:(\d+)/.exec(out)?.[1] ?? /127\.0\.0\.1:(\d+)/.exec(out)?.[1]);

test("a first start on a busy port creates no admin and says which port, suggesting LOCKBOX_PORT", async () => {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
  const port = (blocker.address() as net.AddressInfo).port;
  try {
    const res = await run(process.execPath, [...cli, "serve"], { cwd: repoRoot, env: { ...baseEnv(), LOCKBOX_PORT: String(port) } }).catch((e) => e);
    assert.notEqual(res.code, 0);
    const lines = String(res.stderr).trim().split("\n");
    assert.equal(lines.length, 1, res.stderr);
    assert.match(lines[0]!, new RegExp(`^lockbox: Port ${port} .*already in use.*LOCKBOX_PORT`));
    assert.doesNotMatch(String(res.stdout), /password/i, "no password was generated, so none can be lost");
    assert.equal(fs.existsSync(path.join(dataDir, "lockbox.db")) ? users().length : 0, 0, "nothing was created");
  } finally {
    blocker.close();
  }
});

test("the next start creates the admin, prints its password once and tells where to open the admin center", async () => {
  const first = await start({});
  const password = /with password (\S+)/.exec(first.out())?.[1];
  try {
    assert.ok(password && password.length >= 12, first.out());
    assert.match(first.out(), /Open the admin center in a browser: http:\/\/localhost:\d+\//);
    assert.equal(users().length, 1);
  } finally {
    await stop(first.child);
  }
  fs.writeFileSync(path.join(dataDir, "first-password"), password!);
});

test("LOCKBOX_ADMIN_PASSWORD on a later start is reported as ignored, with the way to reset it", async () => {
  const later = await start({ LOCKBOX_ADMIN_PASSWORD: "a brand new password" });
  try {
    assert.doesNotMatch(later.out(), /with password/);
    const said = later.out() + later.err();
    assert.match(said, /LOCKBOX_ADMIN_PASSWORD is set but was ignored/);
    assert.match(said, /npx lockbox admin reset-password --email admin@lockbox\.local/);
    const port = portOf(later.out());
    assert.equal(await signIn(port, "admin@lockbox.local", "a brand new password"), 401);
  } finally {
    await stop(later.child);
  }
});

test("admin reset-password: sets LOCKBOX_ADMIN_PASSWORD or prints a generated one once, ends sessions, audited", async () => {
  const server = await start({});
  const port = portOf(server.out());
  const oldPassword = fs.readFileSync(path.join(dataDir, "first-password"), "utf8");
  try {
    const login = await fetch(`http://127.0.0.1:${port}/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "admin@lockbox.local", password: oldPassword }),
    });
    assert.equal(login.status, 200);
    const cookie = login.headers.get("set-cookie")!.split(";")[0]!;
    const me = () => fetch(`http://127.0.0.1:${port}/v1/me`, { headers: { cookie } }).then((r) => r.status);
    assert.equal(await me(), 200);

    const chosen = await run(process.execPath, [...cli, "admin", "reset-password", "--email", "ADMIN@lockbox.local"], {
      cwd: repoRoot,
      env: { ...baseEnv(), LOCKBOX_ADMIN_PASSWORD: "the chosen new password" },
    });
    assert.match(chosen.stdout, /password of admin@lockbox\.local was reset to the one in LOCKBOX_ADMIN_PASSWORD/i);
    assert.match(chosen.stdout, /1 session/);
    assert.doesNotMatch(chosen.stdout, /the chosen new password/);
    assert.equal(await me(), 401, "the reset ended the session");
    assert.equal(await signIn(port, "admin@lockbox.local", oldPassword), 401);
    assert.equal(await signIn(port, "admin@lockbox.local", "the chosen new password"), 200);

    const generated = await run(process.execPath, [...cli, "admin", "reset-password", "--email", "admin@lockbox.local"], {
      cwd: repoRoot,
      env: baseEnv(),
    });
    const newPassword = /New password \(shown once\): (\S+)/.exec(generated.stdout)?.[1];
    assert.ok(newPassword && newPassword.length >= 12, generated.stdout);
    assert.equal(await signIn(port, "admin@lockbox.local", newPassword), 200);

    const unknown = await run(process.execPath, [...cli, "admin", "reset-password", "--email", "nobody@lockbox.local"], {
      cwd: repoRoot,
      env: baseEnv(),
    }).catch((e) => e);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^lockbox: No user with the email nobody@lockbox\.local\.[^\n]*\n$/);

    const db = new SQLite(path.join(dataDir, "lockbox.db"), { readonly: true });
    const ops = db.prepare("select operation, actor from audit_events where chain = 'provider' order by seq").all() as { operation: string; actor: string }[];
    db.close();
    const resets = ops.filter((o) => o.operation === "user.password_reset");
    assert.equal(resets.length, 2);
    assert.equal(JSON.parse(resets[0]!.actor).type, "system");
  } finally {
    await stop(server.child);
  }
});

test("a bad LOCKBOX_PORT reads as a sentence naming the variable", async () => {
  const res = await run(process.execPath, [...cli, "serve"], { cwd: repoRoot, env: { ...baseEnv(), LOCKBOX_PORT: "eighty" } }).catch((e) => e);
  assert.equal(res.code, 2);
  assert.equal(String(res.stderr).trim(), 'lockbox: invalid configuration: LOCKBOX_PORT must be a port number from 0 to 65535, not "eighty".');
});
