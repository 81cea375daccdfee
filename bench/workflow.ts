/**
 * `npm run bench:workflow` — complete request lifecycles per second (a benchmark, not a test):
 * create → manager approve → customer approve → access check (allowed) → release (four audited
 * steps; the check is not audited), over real HTTP with BENCH_WORKERS concurrent clients (default 8) for BENCH_SECONDS
 * (default 10) per setup. Each Lockbox instance is a real `lockbox serve` process; this process
 * only seeds users (through an idle app on the same database) and generates load. Setups:
 * SQLite; PostgreSQL with one instance; PostgreSQL with two instances sharing the database,
 * clients alternating between them. The PostgreSQL setups are skipped, with a line saying so,
 * when no server answers at LOCKBOX_TEST_PG_URL.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import os from "node:os";
import pg from "pg";
import { startTestApp, type TestApp } from "../test/support/test-app.js";
import { pgAdminUrl } from "../test/support/test-database.js";
import { buildWorld, type World } from "../test/support/world.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WORKERS = Number(process.env.BENCH_WORKERS ?? 8);

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
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "serve"], {
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
  for (let i = 0; i < 200; i++) {
    const ok = await fetch(`${base}/readyz`).then((r) => r.ok, () => false);
    if (ok) return base;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("lockbox serve did not start");
}

async function call(base: string, token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json()) as any;
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

async function run(label: string, seed: TestApp, instances: number) {
  const w: World = await buildWorld(seed);
  const children: ChildProcess[] = [];
  const bases: string[] = [];
  for (let i = 0; i < instances; i++) bases.push(await serveProcess(seed, children));
  const service = await call(bases[0]!, w.providerAdmin.token, "POST", "/v1/service-credentials", { name: "bench" });
  const latencies: number[] = [];
  const deadline = Date.now() + SECONDS * 1000;
  let n = 0;
  const worker = async (i: number) => {
    while (Date.now() < deadline) {
      const base = bases[(n + i) % bases.length]!;
      const t0 = performance.now();
      const r = await call(base, w.engineer.token, "POST", "/v1/requests", {
        tenantId: w.tenantA,
        ticket: `BENCH-${i}`,
        reason: "benchmark",
        services: ["mail"],
        accessLevel: "read",
        requestedMinutes: 30,
      });
      await call(bases[(n + i + 1) % bases.length]!, w.manager.token, "POST", `/v1/requests/${r.id}/approve`, {});
      await call(base, w.a.approver.token, "POST", `/v1/requests/${r.id}/approve`, {});
      const check = await call(bases[(n + i + 1) % bases.length]!, service.token, "POST", "/v1/access/check", {
        userId: w.engineer.user.id,
        tenantId: w.tenantA,
        service: "mail",
        accessLevel: "read",
      });
      if (!check.allowed) throw new Error("check refused an approved grant");
      await call(base, w.engineer.token, "POST", `/v1/requests/${r.id}/complete`);
      latencies.push(performance.now() - t0);
      n += 1;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: WORKERS }, (_, i) => worker(i)));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const p = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!.toFixed(0);
  for (const child of children) child.kill("SIGTERM");
  await Promise.all(children.map((c) => (c.exitCode === null ? once(c, "exit") : undefined)));
  console.log(
    `${label.padEnd(34)} ${(n / seconds).toFixed(1).padStart(7)} lifecycles/s   p50 ${p(0.5)} ms   p99 ${p(0.99)} ms   (${n} in ${seconds.toFixed(1)} s, 4 audited steps each)`,
  );
}

async function postgresUp(): Promise<boolean> {
  const c = new pg.Client({ connectionString: pgAdminUrl, connectionTimeoutMillis: 2000 });
  return c.connect().then(
    () => c.end().then(() => true),
    () => false,
  );
}

console.log(`node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${WORKERS} clients, ${SECONDS} s each`);
const setups: [string, "sqlite" | "postgres", number][] = [
  ["SQLite, one instance", "sqlite", 1],
  ["PostgreSQL, one instance", "postgres", 1],
  ["PostgreSQL, two instances", "postgres", 2],
];
const withPostgres = await postgresUp();
for (const [label, kind, instances] of setups) {
  if (kind === "postgres" && !withPostgres) continue;
  process.env.LOCKBOX_TEST_DATABASE = kind;
  const seed = await startTestApp({ LOCKBOX_SECRET: SECRET });
  await run(label, seed, instances);
  await seed.close();
}
if (!withPostgres) {
  console.log(`PostgreSQL setups skipped: no server at ${pgAdminUrl}`);
}
