/**
 * `npm run bench:soak` — a soak benchmark (not a test): a mixed load of complete request
 * lifecycles (create → manager approve → customer approve → access check → release; four of the
 * five calls are audited, the check is not) and access checks against a real `lockbox serve` process for BENCH_SOAK_MINUTES
 * (default 2). Every 15 s it prints throughput (lifecycles/s, checks/s), p99 latency of
 * lifecycle steps and of checks, and the server's RSS (from /proc/<pid>/status VmRSS) and V8
 * heap (written to a temp file by bench/soak-probe.ts, preloaded into the server process: the
 * server exposes nothing new). At the end it says whether memory stayed flat: the last quarter's
 * average against the second quarter's (the first quarter is warm-up).
 *
 * Knobs: BENCH_SOAK_MINUTES (default 2), BENCH_SOAK_WORKERS lifecycle clients (default 4),
 * BENCH_SOAK_CHECKERS check clients (default 4). SQLite by default; LOCKBOX_TEST_DATABASE=postgres
 * runs it on a fresh database at LOCKBOX_TEST_PG_URL. Only 127.0.0.1; every loop is bounded.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import fs from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { startTestApp } from "../test/support/test-app.js";
import { buildWorld } from "../test/support/world.js";

const MINUTES = Number(process.env.BENCH_SOAK_MINUTES ?? 2);
const WORKERS = Number(process.env.BENCH_SOAK_WORKERS ?? 4);
const CHECKERS = Number(process.env.BENCH_SOAK_CHECKERS ?? 4);
const REPORT_MS = 15_000;
const SAMPLE_MS = 5_000;
/** Memory counts as flat when the last quarter averages at most this much above the second. */
const FLAT_TOLERANCE = 0.1;
const SECRET = "soak-secret-shared-by-seed-and-server-0123456789";
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");

if (!(MINUTES > 0 && MINUTES <= 24 * 60)) throw new Error("BENCH_SOAK_MINUTES must be between 0 and 1440");

async function freePort(): Promise<number> {
  const probe = createServer().listen(0, "127.0.0.1");
  await once(probe, "listening");
  const { port } = probe.address() as AddressInfo;
  probe.close();
  await once(probe, "close");
  return port;
}

function rssOf(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
  return kb ? Number(kb) * 1024 : NaN;
}

function heapOf(file: string): { heapUsed: number; heapTotal: number } | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as { heapUsed: number; heapTotal: number };
  } catch {
    return undefined;
  }
}

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
const p99 = (values: number[]) => {
  if (values.length === 0) return "—";
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(0.99 * sorted.length))]!.toFixed(1);
};
const average = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

const seed = await startTestApp({ LOCKBOX_SECRET: SECRET });
const children: ChildProcess[] = [];
try {
  const w = await buildWorld(seed);
  const port = await freePort();
  const probeFile = path.join(seed.database.dataDir, "soak-probe.json");
  const child = spawn(process.execPath, ["--import", "tsx", "--import", "./bench/soak-probe.ts", "src/cli/main.ts", "serve"], {
    cwd: root,
    env: {
      ...process.env,
      LOCKBOX_PORT: String(port),
      LOCKBOX_HOST: "127.0.0.1",
      LOCKBOX_DATA_DIR: seed.database.dataDir,
      LOCKBOX_SECRET: SECRET,
      LOCKBOX_LOG_LEVEL: "warn",
      SOAK_PROBE_FILE: probeFile,
      ...(seed.database.databaseUrl ? { LOCKBOX_DATABASE_URL: seed.database.databaseUrl } : {}),
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  children.push(child);
  const base = `http://127.0.0.1:${port}`;
  let ready = false;
  for (let i = 0; i < 300 && !ready; i++) {
    ready = await fetch(`${base}/readyz`).then((r) => r.ok, () => false);
    if (!ready) await sleep(100);
  }
  if (!ready) throw new Error("lockbox serve did not start");

  const call = async (token: string, method: string, p: string, body?: unknown) => {
    const res = await fetch(`${base}${p}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await res.json()) as any;
    if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const service = await call(w.providerAdmin.token, "POST", "/v1/service-credentials", { name: "soak" });
  // A long grant for the second engineer, so half the checks are allowed all along.
  const standing = await call(w.engineer2.token, "POST", "/v1/requests", {
    tenantId: w.tenantA,
    ticket: "SOAK-STANDING",
    reason: "soak benchmark: checks that are allowed",
    services: ["mail"],
    accessLevel: "read",
    requestedMinutes: 240,
  });
  await call(w.manager.token, "POST", `/v1/requests/${standing.id}/approve`, {});
  await call(w.a.approver.token, "POST", `/v1/requests/${standing.id}/approve`, {});

  const started = Date.now();
  const deadline = started + MINUTES * 60_000;
  let lifecycles = 0;
  let checks = 0;
  let stepLatencies: number[] = [];
  let checkLatencies: number[] = [];
  const timed = async <T>(into: () => number[], fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const out = await fn();
    into().push(performance.now() - t0);
    return out;
  };

  const lifecycleWorker = async (i: number) => {
    for (let n = 0; Date.now() < deadline && n < 10_000_000; n++) {
      const steps = () => stepLatencies;
      const r = await timed(steps, () =>
        call(w.engineer.token, "POST", "/v1/requests", {
          tenantId: w.tenantA,
          ticket: `SOAK-${i}-${n}`,
          reason: "soak benchmark",
          services: ["mail"],
          accessLevel: "read",
          requestedMinutes: 30,
        }),
      );
      await timed(steps, () => call(w.manager.token, "POST", `/v1/requests/${r.id}/approve`, {}));
      await timed(steps, () => call(w.a.approver.token, "POST", `/v1/requests/${r.id}/approve`, {}));
      const check = await timed(steps, () =>
        call(service.token, "POST", "/v1/access/check", { userId: w.engineer.user.id, tenantId: w.tenantA, service: "mail", accessLevel: "read" }),
      );
      if (!check.allowed) throw new Error("the check refused an approved grant");
      await timed(steps, () => call(w.engineer.token, "POST", `/v1/requests/${r.id}/complete`));
      lifecycles += 1;
    }
  };
  const checkWorker = async (i: number) => {
    for (let n = 0; Date.now() < deadline && n < 100_000_000; n++) {
      const allowedCase = (n + i) % 2 === 0;
      const check = await timed(
        () => checkLatencies,
        () =>
          call(service.token, "POST", "/v1/access/check", {
            userId: allowedCase ? w.engineer2.user.id : w.manager.user.id,
            tenantId: w.tenantA,
            service: "mail",
            accessLevel: "read",
          }),
      );
      if (check.allowed !== allowedCase) throw new Error(`check answered ${check.allowed} for an ${allowedCase ? "allowed" : "refused"} case`);
      checks += 1;
    }
  };

  const samples: { at: number; rss: number; heapUsed: number }[] = [];
  const sample = () => {
    const heap = heapOf(probeFile);
    samples.push({ at: Date.now() - started, rss: rssOf(child.pid!), heapUsed: heap?.heapUsed ?? NaN });
  };
  console.log(
    `node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}; ${seed.database.kind}; ` +
      `${WORKERS} lifecycle clients + ${CHECKERS} check clients for ${MINUTES} min; server pid ${child.pid}`,
  );
  console.log("   time   lifecycles/s   checks/s   p99 step ms   p99 check ms   server RSS MB   heap used/total MB");
  const reporter = (async () => {
    let lastAt = started;
    let lastL = 0;
    let lastC = 0;
    let nextReport = started + REPORT_MS;
    while (Date.now() < deadline) {
      await sleep(Math.max(0, Math.min(SAMPLE_MS, deadline - Date.now())));
      sample();
      if (Date.now() + 100 < nextReport && Date.now() < deadline) continue;
      nextReport += REPORT_MS;
      const now = Date.now();
      const secs = (now - lastAt) / 1000;
      const heap = heapOf(probeFile);
      console.log(
        `${`${((now - started) / 1000).toFixed(0)} s`.padStart(7)}   ${((lifecycles - lastL) / secs).toFixed(1).padStart(12)}   ${((checks - lastC) / secs).toFixed(0).padStart(8)}   ` +
          `${p99(stepLatencies).padStart(11)}   ${p99(checkLatencies).padStart(12)}   ${mb(rssOf(child.pid!)).padStart(13)}   ` +
          `${heap ? `${mb(heap.heapUsed)} / ${mb(heap.heapTotal)}` : "—"}`,
      );
      stepLatencies = [];
      checkLatencies = [];
      lastAt = now;
      lastL = lifecycles;
      lastC = checks;
    }
  })();
  await Promise.all([
    ...Array.from({ length: WORKERS }, (_, i) => lifecycleWorker(i)),
    ...Array.from({ length: CHECKERS }, (_, i) => checkWorker(i)),
    reporter,
  ]);
  const seconds = (Date.now() - started) / 1000;
  console.log(
    `total: ${lifecycles} lifecycles (${(lifecycles / seconds).toFixed(1)}/s, ${lifecycles * 4} audited calls), ${checks} checks (${(checks / seconds).toFixed(0)}/s) in ${seconds.toFixed(0)} s`,
  );

  const span = MINUTES * 60_000;
  const quarter = (q: number) => samples.filter((s) => s.at > (q - 1) * (span / 4) && s.at <= q * (span / 4) + 1000);
  const verdict = (label: string, pick: (s: (typeof samples)[number]) => number) => {
    const second = average(quarter(2).map(pick));
    const last = average(quarter(4).map(pick));
    const growth = (last - second) / second;
    const flat = growth <= FLAT_TOLERANCE;
    console.log(
      `${label}: second quarter ${mb(second)} MB, last quarter ${mb(last)} MB (${growth >= 0 ? "+" : ""}${(growth * 100).toFixed(1)}%): ` +
        `${flat ? "FLAT" : "GROWING"} (tolerance +${FLAT_TOLERANCE * 100}%)`,
    );
    return flat;
  };
  const rssFlat = verdict("server RSS", (s) => s.rss);
  const heapFlat = verdict("server heap used", (s) => s.heapUsed);
  console.log(rssFlat && heapFlat ? "memory stayed flat" : "memory did NOT stay flat");
  if (!(rssFlat && heapFlat)) process.exitCode = 1;
} finally {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGTERM");
  await Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null ? once(c, "exit") : undefined)));
  await seed.close();
}
