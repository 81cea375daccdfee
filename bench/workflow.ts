/**
 * `npm run bench:workflow` — complete request lifecycles per second (a benchmark, not a test):
 * create → manager approve → customer approve → access check (allowed) → release (four audited
 * steps; the check is not audited), over real HTTP with BENCH_WORKERS concurrent clients
 * (default 8) for BENCH_SECONDS (default 10) per run. Each Lockbox instance is a real
 * `lockbox serve` process; this process only seeds (through an idle app on the same database)
 * and generates load.
 *
 * Setups: SQLite (synchronous=FULL, the default); PostgreSQL with one instance; PostgreSQL with
 * two instances sharing the database, clients alternating between them. In each, two runs:
 * BENCH_TENANTS tenants (default 50; client i works in tenant i, i + workers, … in turn) and one
 * hot tenant (every lifecycle in the same tenant, so every step appends to one audit chain).
 * Printed per run: lifecycles/s, p50/p99 of each step, and on PostgreSQL the lock-wait share:
 * of the sampled moments a backend of the database was active, the share it spent waiting for a
 * heavyweight lock (pg_stat_activity.wait_event_type = 'Lock', sampled every 10 ms), with the
 * most frequent lock type from pg_locks. The PostgreSQL setups are skipped, with a line saying
 * so, when no server answers at LOCKBOX_TEST_PG_URL.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import fs from "node:fs";
import os from "node:os";
import pg from "pg";
import { allowDecisionsWithoutStepUp } from "../test/support/step-up.js";
import { startTestApp, type TestApp } from "../test/support/test-app.js";
import { pgAdminUrl } from "../test/support/test-database.js";
import { buildWorld, type World } from "../test/support/world.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WORKERS = Number(process.env.BENCH_WORKERS ?? 8);
const TENANTS = Number(process.env.BENCH_TENANTS ?? 50);
const STEPS = ["create", "manager approve", "customer approve", "check", "release"] as const;
type Step = (typeof STEPS)[number];

const SECRET = "bench-secret-shared-by-every-instance-0123456789";

async function freePort(): Promise<number> {
  const probe = createServer().listen(0, "127.0.0.1");
  await once(probe, "listening");
  const { port } = probe.address() as AddressInfo;
  probe.close();
  return port;
}

/** A `lockbox serve` process on the seeding app's database; resolves with its base URL. */
async function serveProcess(seed: TestApp, children: ChildProcess[]): Promise<string> {
  const port = await freePort();
  const { dataDir, databaseUrl } = seed.database;
  // BENCH_PROFILE_DIR: each instance writes a CPU profile there when it stops (node --cpu-prof).
  const profile = process.env.BENCH_PROFILE_DIR ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`] : [];
  const child = spawn(process.execPath, [...profile, "--import", "tsx", "src/cli/main.ts", "serve"], {
    env: {
      ...process.env,
      LOCKBOX_PORT: String(port),
      LOCKBOX_DATA_DIR: dataDir,
      LOCKBOX_SECRET: SECRET,
      LOCKBOX_LOG_LEVEL: "warn",
      ...(databaseUrl ? { LOCKBOX_DATABASE_URL: databaseUrl } : {}),
    },
    stdio: "ignore",
  });
  children.push(child);
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    const ok = await fetch(`${base}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return base;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("lockbox serve did not start");
}

async function call(base: string, token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json()) as any;
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

interface Tenant {
  id: string;
  approverToken: string;
}

/** Tenant A of the world plus `n - 1` more, each with lockbox on and an approver. */
async function seedTenants(seed: TestApp, w: World, n: number): Promise<Tenant[]> {
  const tenants: Tenant[] = [{ id: w.tenantA, approverToken: w.a.approver.token }];
  for (let i = 1; i < n; i++) {
    const res = await seed.request("POST", "/v1/tenants", w.providerAdmin.as, { name: `Bench ${i}`, adminEmail: `admin@bench-${i}.test` });
    if (res.status !== 201) throw new Error(`tenant: ${res.status} ${JSON.stringify(res.body)}`);
    const id = res.body.tenant.id as string;
    await allowDecisionsWithoutStepUp(seed, id);
    const admin = await seed.user(["global_admin"], id);
    const approver = await seed.user(["lockbox_approver"], id);
    for (const settings of [{ auditingEnabled: true }, { lockboxEnabled: true }]) {
      const r = await seed.request("PATCH", `/v1/tenants/${id}/settings`, { token: admin.token }, settings);
      if (r.status !== 200) throw new Error(`settings: ${r.status} ${JSON.stringify(r.body)}`);
    }
    tenants.push({ id, approverToken: approver.token });
  }
  return tenants;
}

/** Samples pg_stat_activity and pg_locks of one database while a run goes on. */
function sampleLocks(databaseUrl: string) {
  const db = new URL(databaseUrl).pathname.slice(1);
  const client = new pg.Client({ connectionString: pgAdminUrl, application_name: "bench-lock-sampler" });
  let active = 0;
  let waiting = 0;
  const lockTypes = new Map<string, number>();
  let stopped = false;
  const loop = (async () => {
    await client.connect();
    while (!stopped) {
      const { rows } = await client.query(
        `select a.wait_event_type = 'Lock' as waiting, l.locktype, l.mode
           from pg_stat_activity a
           left join pg_locks l on l.pid = a.pid and not l.granted
          where a.datname = $1 and a.state = 'active' and a.backend_type = 'client backend' and a.pid <> pg_backend_pid()`,
        [db],
      );
      if (process.env.BENCH_LOCK_DEBUG && rows.some((r) => r.waiting)) {
        const d = await client.query(
          `select l.locktype, l.mode, l.relation::regclass as rel, left(a.query, 160) as query from pg_locks l join pg_stat_activity a on a.pid = l.pid where not l.granted and a.datname = $1`,
          [db],
        );
        for (const x of d.rows) console.error("WAIT", x.locktype, x.mode, x.rel, x.query.replace(/\s+/g, " "));
      }
      for (const r of rows) {
        active += 1;
        if (r.waiting) {
          waiting += 1;
          const key = r.locktype ? `${r.locktype} ${r.mode}` : "other";
          lockTypes.set(key, (lockTypes.get(key) ?? 0) + 1);
        }
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    await client.end();
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      const top = [...lockTypes].sort((a, b) => b[1] - a[1])[0];
      return { share: active ? waiting / active : 0, active, top: top ? `${top[0]} (${top[1]})` : "none" };
    },
  };
}

/** CPU time (user + system) a process has used, in ms, from /proc (Linux); NaN elsewhere. */
function cpuMs(pid: number | undefined): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // clock ticks at USER_HZ = 100
  } catch {
    return NaN;
  }
}

interface RunResult {
  /** CPU the Lockbox instances spent per lifecycle (ms): what bounds the rate once CPU is short. */
  cpuPerLifecycle: number;
  rate: number;
  n: number;
  seconds: number;
  steps: Record<Step, number[]>;
  locks?: { share: number; active: number; top: string };
}

async function run(bases: string[], pids: (number | undefined)[], w: World, service: string, tenants: Tenant[], databaseUrl?: string): Promise<RunResult> {
  const cpuBefore = pids.reduce<number>((sum, pid) => sum + cpuMs(pid), 0);
  const steps = Object.fromEntries(STEPS.map((s) => [s, [] as number[]])) as Record<Step, number[]>;
  const timed = async <T>(step: Step, fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const out = await fn();
    steps[step].push(performance.now() - t0);
    return out;
  };
  const sampler = databaseUrl ? sampleLocks(databaseUrl) : undefined;
  const deadline = Date.now() + SECONDS * 1000;
  let n = 0;
  const worker = async (i: number) => {
    for (let k = 0; Date.now() < deadline; k++) {
      const tenant = tenants[(i + k * WORKERS) % tenants.length]!;
      const here = bases[(i + k) % bases.length]!;
      const there = bases[(i + k + 1) % bases.length]!;
      const r = await timed("create", () =>
        call(here, w.engineer.token, "POST", "/v1/requests", {
          tenantId: tenant.id,
          ticket: `BENCH-${i}-${k}`,
          reason: "benchmark",
          services: ["mail"],
          accessLevel: "read",
          requestedMinutes: 30,
        }),
      );
      await timed("manager approve", () => call(there, w.manager.token, "POST", `/v1/requests/${r.id}/approve`, {}));
      const approved = await timed("customer approve", () => call(here, tenant.approverToken, "POST", `/v1/requests/${r.id}/approve`, {}));
      if (approved.status !== "approved") throw new Error(`customer approval left the request ${approved.status}`);
      const check = await timed("check", () =>
        call(there, service, "POST", "/v1/access/check", { userId: w.engineer.user.id, tenantId: tenant.id, service: "mail", accessLevel: "read" }),
      );
      if (!check.allowed) throw new Error("check refused an approved grant");
      await timed("release", () => call(here, w.engineer.token, "POST", `/v1/requests/${r.id}/complete`));
      n += 1;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: WORKERS }, (_, i) => worker(i)));
  const seconds = (performance.now() - started) / 1000;
  const locks = await sampler?.stop();
  const cpuPerLifecycle = (pids.reduce<number>((sum, pid) => sum + cpuMs(pid), 0) - cpuBefore) / Math.max(1, n);
  return { cpuPerLifecycle, rate: n / seconds, n, seconds, steps, ...(locks ? { locks } : {}) };
}

const pct = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))]! : NaN;
};

async function setup(label: string, kind: "sqlite" | "postgres", instances: number) {
  process.env.LOCKBOX_TEST_DATABASE = kind;
  const seed = await startTestApp({ LOCKBOX_SECRET: SECRET });
  const children: ChildProcess[] = [];
  try {
    const w = await buildWorld(seed);
    const tenants = await seedTenants(seed, w, TENANTS);
    const bases: string[] = [];
    for (let i = 0; i < instances; i++) bases.push(await serveProcess(seed, children));
    const service = (await call(bases[0]!, w.providerAdmin.token, "POST", "/v1/service-credentials", { name: "bench" })).token as string;
    const pids = children.map((c) => c.pid);
    const many = await run(bases, pids, w, service, tenants, seed.database.databaseUrl);
    const hot = await run(bases, pids, w, service, [tenants[0]!], seed.database.databaseUrl);
    return { label, many, hot };
  } finally {
    for (const child of children) child.kill("SIGTERM");
    await Promise.all(children.map((c) => (c.exitCode === null ? once(c, "exit") : undefined)));
    await seed.close();
  }
}

async function postgresUp(): Promise<boolean> {
  const c = new pg.Client({ connectionString: pgAdminUrl, connectionTimeoutMillis: 2000 });
  return c.connect().then(
    () => c.end().then(() => true),
    () => false,
  );
}

console.log(
  `bench:workflow — node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, load average ${os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(" ")}; ${WORKERS} clients, ${SECONDS} s per run, ${TENANTS} tenants vs one hot tenant`,
);
const withPostgres = await postgresUp();
const results = [];
for (const [label, kind, instances] of [
  ["SQLite, one instance", "sqlite", 1],
  ["PostgreSQL, one instance", "postgres", 1],
  ["PostgreSQL, two instances", "postgres", 2],
] as const) {
  if (kind === "postgres" && !withPostgres) continue;
  // BENCH_SETUPS=sqlite,postgres-1,postgres-2 (default all) runs some of them only.
  if (process.env.BENCH_SETUPS && !process.env.BENCH_SETUPS.split(",").includes(kind === "sqlite" ? "sqlite" : `postgres-${instances}`)) continue;
  results.push(await setup(label, kind, instances));
}

const f = (x: number) => x.toFixed(0);
console.log("\nlifecycles/s (four audited steps each)");
console.log(`${"setup".padEnd(28)} ${`${TENANTS} tenants`.padStart(12)} ${"hot tenant".padStart(12)} ${"hot/many".padStart(9)}   lock-wait share (${TENANTS} tenants / hot)`);
for (const r of results) {
  const locks = r.many.locks && r.hot.locks ? `${(100 * r.many.locks.share).toFixed(1)} % / ${(100 * r.hot.locks.share).toFixed(1)} %   top wait: ${r.many.locks.top} / ${r.hot.locks.top}` : "—";
  console.log(`${r.label.padEnd(28)} ${r.many.rate.toFixed(1).padStart(12)} ${r.hot.rate.toFixed(1).padStart(12)} ${(r.hot.rate / r.many.rate).toFixed(2).padStart(9)}   ${locks}`);
}
console.log(`\nLockbox CPU per lifecycle (all instances, ms; the database's own CPU not included): ${results.map((r) => `${r.label} ${r.many.cpuPerLifecycle.toFixed(1)} / hot ${r.hot.cpuPerLifecycle.toFixed(1)}`).join("; ")}`);
const one = results.find((r) => r.label.startsWith("PostgreSQL, one"));
const two = results.find((r) => r.label.startsWith("PostgreSQL, two"));
if (one && two) console.log(`two instances / one (${TENANTS} tenants): ${(two.many.rate / one.many.rate).toFixed(2)}; hot tenant: ${(two.hot.rate / one.hot.rate).toFixed(2)}`);
console.log("\np50 / p99 per step, ms");
console.log(`${"setup, run".padEnd(40)} ${STEPS.map((s) => s.padStart(18)).join("")}`);
for (const r of results) {
  for (const [name, x] of [
    [`${TENANTS} tenants`, r.many],
    ["hot tenant", r.hot],
  ] as const) {
    console.log(`${`${r.label}, ${name}`.padEnd(40)} ${STEPS.map((s) => `${f(pct(x.steps[s], 0.5))} / ${f(pct(x.steps[s], 0.99))}`.padStart(18)).join("")}`);
  }
}
console.log(`\ntargets: SQLite ≥ 500/s; PostgreSQL one instance ≥ 300/s; hot ≥ 0.7 × ${TENANTS} tenants; two instances ≥ 0.9 × one; lock-wait share < 10 %`);
if (!withPostgres) console.log(`PostgreSQL setups skipped: no server at ${pgAdminUrl}`);
