/**
 * Crash safety: a real `lockbox serve` process is killed with SIGKILL in the middle of a write
 * load (creates, approvals, denials, cancels, revokes, releases over real HTTP) and restarted on
 * the same database. Every change answered 2xx must be there (with the answered status or a later
 * one), no request may be half-done (its status always matches its last audit event), and every
 * audit chain must verify. On SQLite, and on PostgreSQL when a server answers.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createServer, type AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { terminalStatuses } from "../src/requests/request-lifecycle.js";
import { verifyAllChains } from "./support/chains.js";
import { postgresReachable } from "./support/on-postgres.js";
import { ADMIN_PASSWORD, startTestApp } from "./support/test-app.js";
import { buildWorld, type World } from "./support/world.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SECRET = "crash-safety-secret-shared-by-both-lives-0123456789";
const WORKERS = 12;
/**
 * The kill comes after this many answered changes, however long they take: counting answers, not
 * milliseconds, keeps the test the same on a fast machine and on a loaded one (where a fixed 2.5 s
 * once got only 44 answers from PostgreSQL and failed a ">= 50" check).
 */
const KILL_AFTER_ANSWERS = 120;

async function freePort(): Promise<number> {
  const probe = createServer().listen(0, "127.0.0.1");
  await once(probe, "listening");
  const { port } = probe.address() as AddressInfo;
  probe.close();
  await once(probe, "close");
  return port;
}

/** Starts `lockbox serve` on the database; resolves once /readyz answers. */
async function serveChild(dataDir: string, databaseUrl: string | undefined): Promise<{ child: ChildProcess; base: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "serve"], {
    cwd: ROOT,
    env: {
      ...process.env,
      LOCKBOX_PORT: String(port),
      LOCKBOX_HOST: "127.0.0.1",
      LOCKBOX_DATA_DIR: dataDir,
      LOCKBOX_SECRET: SECRET,
      LOCKBOX_ADMIN_PASSWORD: ADMIN_PASSWORD,
      LOCKBOX_LOG_LEVEL: "warn",
      ...(databaseUrl ? { LOCKBOX_DATABASE_URL: databaseUrl } : {}),
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`lockbox serve exited ${child.exitCode}: ${stderr}`);
    if (await fetch(`${base}/readyz`).then((r) => r.ok, () => false)) return { child, base };
    await sleep(100);
  }
  child.kill("SIGKILL");
  throw new Error(`lockbox serve did not start: ${stderr}`);
}

type Step = "create" | "manager_approve" | "approve" | "deny" | "reject" | "cancel" | "revoke" | "complete";
/** Where a status sits in the lifecycle: a later status has a higher rank; terminal ones are final. */
const rank = (status: string) =>
  (terminalStatuses as readonly string[]).includes(status) ? 3 : ({ pending_manager: 0, pending_customer: 1, approved: 2 } as Record<string, number>)[status]!;

async function crashRun(kind: "sqlite" | "postgres"): Promise<string> {
  process.env.LOCKBOX_TEST_DATABASE = kind;
  const seed = await startTestApp({ LOCKBOX_SECRET: SECRET });
  const children: ChildProcess[] = [];
  try {
    const w: World = await buildWorld(seed);
    const { dataDir, databaseUrl } = seed.database;
    const first = await serveChild(dataDir, databaseUrl);
    children.push(first.child);

    /** Every 2xx answer: request id → the statuses answered, in order. */
    const answered = new Map<string, string[]>();
    let ok = 0;
    let refusedAfterKill = 0;
    let killed = false;
    let enoughAnswered!: () => void;
    const enough = new Promise<void>((resolve) => (enoughAnswered = resolve));
    const call = async (token: string, method: string, path: string, body?: unknown) => {
      const res = await fetch(`${first.base}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const json = (await res.json()) as any;
      if (res.status >= 500) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
      if (res.ok) {
        ok += 1;
        if (ok >= KILL_AFTER_ANSWERS) enoughAnswered();
        const list = answered.get(json.id) ?? [];
        list.push(json.status);
        answered.set(json.id, list);
      }
      return { status: res.status, body: json };
    };
    const step = async (s: Step, id: string) => {
      const paths: Record<Exclude<Step, "create">, [string, string]> = {
        manager_approve: [w.manager.token, "approve"],
        reject: [w.manager.token, "deny"],
        approve: [w.a.approver.token, "approve"],
        deny: [w.a.approver.token, "deny"],
        cancel: [w.engineer.token, "cancel"],
        revoke: [w.a.approver.token, "revoke"],
        complete: [w.engineer.token, "complete"],
      };
      const [token, action] = paths[s as Exclude<Step, "create">];
      return call(token, "POST", `/v1/requests/${id}/${action}`, s === "complete" ? undefined : { comment: `crash ${s}` });
    };
    const worker = async (i: number) => {
      for (let n = 0; !killed && n < 10_000; n++) {
        try {
          const created = await call(w.engineer.token, "POST", "/v1/requests", {
            tenantId: w.tenantA,
            ticket: `CRASH-${i}-${n}`,
            reason: "crash safety load",
            services: ["mail"],
            accessLevel: "read",
            requestedMinutes: 60,
          });
          assert.equal(created.status, 201);
          const id = created.body.id as string;
          const path: Step[] = [
            ["manager_approve", "approve", "revoke"],
            ["manager_approve", "approve", "complete"],
            ["manager_approve", "deny"],
            ["reject"],
            ["cancel"],
            ["manager_approve", "cancel"],
          ][(i + n) % 6] as Step[];
          for (const s of path) assert.ok((await step(s, id)).status < 300, `${s} ${id}`);
        } catch (err) {
          if (!killed) throw err;
          refusedAfterKill += 1;
          return;
        }
      }
    };
    const load = Promise.all(Array.from({ length: WORKERS }, (_, i) => worker(i)));
    // A worker failing before the kill fails the test at once instead of waiting for answers.
    await Promise.race([enough, load.then(() => assert.fail(`${kind}: the load ended after ${ok} answers, before the kill`))]);
    killed = true;
    const exited = once(first.child, "exit");
    first.child.kill("SIGKILL");
    await load;
    await exited;
    assert.ok(ok >= KILL_AFTER_ANSWERS, `${kind}: only ${ok} answered changes before the kill`);
    assert.ok(refusedAfterKill > 0, `${kind}: the kill landed in the middle of the load`);

    const second = await serveChild(dataDir, databaseUrl);
    children.push(second.child);
    const db = seed.app.deps.db;

    // 1. Every change answered 2xx is there, with the answered status or a later one.
    for (const [id, statuses] of answered) {
      const res = await fetch(`${second.base}/v1/requests/${id}`, { headers: { authorization: `Bearer ${w.manager.token}` } });
      assert.equal(res.status, 200, `${kind}: request ${id} answered ${statuses.join(" → ")} is gone`);
      const stored = ((await res.json()) as any).status as string;
      const last = statuses.at(-1)!;
      if (rank(last) === 3) assert.equal(stored, last, `${kind}: ${id} was answered ${last}`);
      else assert.ok(rank(stored) >= rank(last), `${kind}: ${id} answered ${last}, stored ${stored}`);
    }

    // 2. Nothing half-done: every request's status is the one its last audit event recorded.
    const rows = await db.selectFrom("access_requests").select(["id", "status", "approval_count"]).execute();
    assert.ok(rows.length >= answered.size);
    const events = await db
      .selectFrom("audit_events")
      .select(["request_id", "operation", "details"])
      .where("request_id", "is not", null)
      .orderBy("pos")
      .execute();
    const lastStatus = new Map<string, string>();
    for (const e of events) {
      const details = JSON.parse(e.details) as { status?: string };
      if (e.operation.startsWith("request.") && details.status) lastStatus.set(e.request_id!, details.status);
    }
    const approvals = await db.selectFrom("request_approvals").select("request_id").execute();
    for (const row of rows) {
      assert.equal(lastStatus.get(row.id), row.status, `${kind}: request ${row.id} is ${row.status} but its audit says ${lastStatus.get(row.id)}`);
      assert.equal(approvals.filter((a) => a.request_id === row.id).length, row.approval_count, `${kind}: approvals of ${row.id}`);
    }

    // 3. Every chain verifies, and the restarted server carries on.
    const counts = await verifyAllChains(seed);
    assert.ok((counts[`tenant:${w.tenantA}`] ?? 0) > rows.length, `${kind}: tenant chain has the workflow events`);
    const after = await fetch(`${second.base}/v1/requests`, {
      method: "POST",
      headers: { authorization: `Bearer ${w.engineer.token}`, "content-type": "application/json" },
      body: JSON.stringify({ tenantId: w.tenantA, ticket: "AFTER", reason: "after restart", services: ["mail"], accessLevel: "read", requestedMinutes: 15 }),
    });
    assert.equal(after.status, 201);
    return `${kind}: ${ok} changes answered before SIGKILL (${answered.size} requests), ${rows.length} requests stored, chains ${JSON.stringify(counts)}`;
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    await Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null ? once(c, "exit") : undefined)));
    await seed.close();
    delete process.env.LOCKBOX_TEST_DATABASE;
  }
}

test("SQLite: SIGKILL in the middle of a write load loses no answered change and leaves nothing half-done", { timeout: 90_000 }, async (t) => {
  t.diagnostic(await crashRun("sqlite"));
});

if (await postgresReachable("crash safety on PostgreSQL")) {
  test("PostgreSQL: SIGKILL in the middle of a write load loses no answered change and leaves nothing half-done", { timeout: 90_000 }, async (t) => {
    t.diagnostic(await crashRun("postgres"));
  });
}
