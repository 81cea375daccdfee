import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";

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
async function startDemo(args: string[] = []): Promise<Started> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "demo", ...args], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? "", HOME: os.tmpdir(), LOCKBOX_DATA_DIR: dataDir, LOCKBOX_PORT: "0" },
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

const serverOf = (out: string) => /Lockbox is running at (http:\/\/localhost:\d+)/.exec(out)![1]!;
const passwordOf = (out: string, email: string) => new RegExp(`${email.replaceAll(".", "\\.")}\\s+(\\S+)`).exec(out)![1]!;

test("demo: quiet terminal with a log file; a second start says how to start over; --reset does; the walk-through follows the request's state", async () => {
  const first = await startDemo();
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
    const revoke = await fetch(`${server}/v1/requests/${list.items[0]!.id}/revoke`, {
      method: "POST",
      headers: { cookie, "x-csrf-token": csrfToken, "content-type": "application/json" },
      body: JSON.stringify({ comment: "Demo over" }),
    });
    assert.equal(revoke.status, 200);
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
