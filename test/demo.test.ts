import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { freePort } from "./support/browser.js";

/**
 * Issue 19 item 14: `lockbox demo` keeps its terminal for people (warnings and the walk-through,
 * full JSON logs in a file), says how to start over, `--reset` does, and the walk-through never
 * describes a grant that has since ended.
 */
const repoRoot = path.resolve(import.meta.dirname, "..");
let dataDir: string;

before(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "lockbox-demo-"));
});
after(() => fs.rmSync(dataDir, { recursive: true, force: true }));

interface Started {
  child: ChildProcess;
  out: string;
  err: string;
}

/** Runs `lockbox demo` until its walk-through (or its note about it) is printed. */
async function startDemo(args: string[] = [], port = 0): Promise<Started> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "demo", ...args], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? "", HOME: os.tmpdir(), LOCKBOX_DATA_DIR: dataDir, LOCKBOX_PORT: String(port) },
  });
  const started: Started = { child, out: "", err: "" };
  child.stderr!.on("data", (d) => (started.err += d));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`no walk-through: ${started.out} ${started.err}`));
    }, 60_000);
    child.stdout!.on("data", (d) => {
      started.out += d;
      // The last line of either the walk-through or the note that replaces it.
      if (/requestId=\S+\n|npm run demo -- --reset\n\n/.test(started.out.slice(started.out.indexOf("Sample mailbox")))) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on("exit", (code) => reject(new Error(`demo exited ${code}: ${started.out} ${started.err}`)));
  });
  return started;
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.on("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}

/** Cookies per host, as a browser keeps them across the redirects of a sign-in. */
class Browser {
  private readonly jars = new Map<string, Map<string, string>>();
  async go(url: URL, init: RequestInit = {}): Promise<Response> {
    const jar = this.jars.get(url.host) ?? new Map<string, string>();
    this.jars.set(url.host, jar);
    const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
    const res = await fetch(url, { ...init, redirect: "manual", headers: { ...(init.headers as Record<string, string>), cookie } });
    for (const line of res.headers.getSetCookie()) {
      const pair = line.split(";")[0]!;
      jar.set(pair.slice(0, pair.indexOf("=")).trim(), pair.slice(pair.indexOf("=") + 1));
    }
    return res;
  }
  cookie(host: string, name: string): string | undefined {
    return this.jars.get(host)?.get(name);
  }
}

/**
 * "Sign in with your organization" over HTTP, the way a browser walks it: Lockbox's start, the
 * demo IdP's login form, its redirects, Lockbox's callback. Returns the Lockbox session cookie.
 */
async function signInThroughIdp(server: string, email: string, password: string): Promise<{ session?: string; loginStatus: number }> {
  const b = new Browser();
  let res = await b.go(new URL(`${server}/v1/auth/sso/start?email=${encodeURIComponent(email)}`));
  let next = new URL(res.headers.get("location")!, server);
  for (let hop = 0; hop < 10 && !next.pathname.startsWith("/interaction/"); hop++) {
    res = await b.go(next);
    next = new URL(res.headers.get("location")!, next);
  }
  const form = await b.go(next);
  const html = await form.text();
  assert.match(html, new RegExp(`value="${email.replaceAll(".", "\\.")}"`), "the login form starts with the email typed at Lockbox");
  const action = new URL(/action="([^"]+)"/.exec(html)![1]!, next);
  res = await b.go(action, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ email, password }).toString() });
  if (res.status !== 303 && res.status !== 302) return { loginStatus: res.status };
  const loginStatus = res.status;
  next = new URL(res.headers.get("location")!, action);
  for (let hop = 0; hop < 10 && !next.href.startsWith(server); hop++) {
    res = await b.go(next);
    next = new URL(res.headers.get("location")!, next);
  }
  assert.equal(next.pathname, "/v1/auth/sso/callback");
  res = await b.go(next);
  assert.equal(res.headers.get("location"), "/?sso=signed_in");
  return { session: b.cookie(new URL(server).host, "lockbox_session"), loginStatus };
}

const serverOf = (out: string) => /Lockbox is running at (http:\/\/localhost:\d+)/.exec(out)![1]!;
const passwordOf = (out: string, email: string) => new RegExp(`${email.replaceAll(".", "\\.")}\\s+(\\S+)`).exec(out)![1]!;

test("demo: quiet terminal with a log file; a second start says how to start over; --reset does; the walk-through follows the request's state", async () => {
  const first = await startDemo([], await freePort());
  let adam: string;
  try {
    assert.match(first.out, /Demo users \(passwords shown once\)/);
    assert.match(first.out, /Eddie's CASE-1003 is approved/);
    assert.doesNotMatch(first.out + first.err, /"level":\d+/, "no JSON log lines in the demo's terminal");
    assert.match(first.out, new RegExp(`Full logs \\(JSON\\): ${path.join(dataDir, "lockbox.log").replaceAll("/", "\\/")}`));
    const logLines = fs.readFileSync(path.join(dataDir, "lockbox.log"), "utf8").trim().split("\n");
    assert.ok(logLines.length > 0);
    for (const line of logLines) assert.equal(typeof JSON.parse(line).level, "number");

    // Adam (Contoso's approver) revokes CASE-1003 while the demo runs.
    const server = serverOf(first.out);
    adam = passwordOf(first.out, "adam@contoso.example");
    const login = await fetch(`${server}/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "adam@contoso.example", password: adam }),
    });
    assert.equal(login.status, 200);
    const { csrfToken } = (await login.json()) as { csrfToken: string };
    const cookie = login.headers.get("set-cookie")!.split(";")[0]!;
    const list = (await (await fetch(`${server}/v1/requests?ticket=CASE-1003`, { headers: { cookie } })).json()) as { items: { id: string }[] };
    const post = (url: string, body: unknown) =>
      fetch(`${server}${url}`, {
        method: "POST",
        headers: { cookie, "x-csrf-token": csrfToken, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const revoke = await post(`/v1/requests/${list.items[0]!.id}/revoke`, { comment: "Demo over" });
    assert.equal(revoke.status, 200);

    // Contoso's own identity provider, in the demo: the printed password signs Adam in, and
    // Nina, whom Lockbox has never seen, gets an account as an approver from her group.
    assert.match(first.out, /Sign in through Contoso's own identity provider \(a demo OpenID provider at http:\/\/127\.0\.0\.1:\d+\)/);
    const idpPassword = /the demo IdP asks for its password: (\S+)/.exec(first.out)![1]!;
    assert.equal((await signInThroughIdp(server, "nina@contoso.example", `${idpPassword}x`)).loginStatus, 401, "a wrong password stops at the IdP");
    const nina = await signInThroughIdp(server, "nina@contoso.example", idpPassword);
    assert.ok(nina.session, "the callback started a session");
    const me = (await (await fetch(`${server}/v1/me`, { headers: { cookie: `lockbox_session=${nina.session}` } })).json()) as { user: { email: string; roles: string[]; tenantId: string } };
    assert.equal(me.user.email, "nina@contoso.example");
    assert.deepEqual(me.user.roles, ["lockbox_approver"]);
    const adamSso = await signInThroughIdp(server, "adam@contoso.example", idpPassword);
    const adamMe = (await (await fetch(`${server}/v1/me`, { headers: { cookie: `lockbox_session=${adamSso.session}` } })).json()) as { user: { email: string; tenantId: string } };
    assert.equal(adamMe.user.email, "adam@contoso.example");
    assert.equal(adamMe.user.tenantId, me.user.tenantId);
  } finally {
    await stop(first.child);
  }

  const second = await startDemo();
  try {
    assert.match(second.out, /Demo data already present/);
    assert.match(second.out, /npm run demo -- --reset/);
    assert.doesNotMatch(second.out, /Eddie's CASE-1003 is approved/);
    assert.match(second.out, /CASE-1003, which is no longer approved \(it is revoked\)/);
  } finally {
    await stop(second.child);
  }

  const reset = await startDemo(["--reset"]);
  try {
    assert.match(reset.out, /Demo data in .* deleted; seeding afresh/);
    assert.match(reset.out, /Demo users \(passwords shown once\)/);
    assert.notEqual(passwordOf(reset.out, "adam@contoso.example"), adam!);
    assert.match(reset.out, /Eddie's CASE-1003 is approved/);
  } finally {
    await stop(reset.child);
  }
});

test("demo --reset refuses a LOCKBOX_DATA_DIR the demo did not seed", async () => {
  const foreign = fs.mkdtempSync(path.join(os.tmpdir(), "lockbox-not-demo-"));
  fs.writeFileSync(path.join(foreign, "lockbox.db"), "");
  try {
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "demo", "--reset"], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? "", HOME: os.tmpdir(), LOCKBOX_DATA_DIR: foreign, LOCKBOX_PORT: "0" },
    });
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    const code = await new Promise((resolve) => child.on("exit", resolve));
    assert.equal(code, 2);
    assert.match(err, /refusing to delete it/);
    assert.ok(fs.existsSync(path.join(foreign, "lockbox.db")));
  } finally {
    fs.rmSync(foreign, { recursive: true, force: true });
  }
});
