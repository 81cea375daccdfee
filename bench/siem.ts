/**
 * `npm run bench:siem` — audit streaming figures (a benchmark, not a test; it prints numbers):
 *   1. delivery rate: a tenant chain of BENCH_SIEM_EVENTS events (default 100,000) streamed from
 *      cursor 0 to a local HTTP sink (NDJSON), once in the `lockbox` form and once as OCSF, and to
 *      a local Splunk HEC stand-in (OCSF), in events/s;
 *   2. lag under load: for BENCH_SIEM_SECONDS (default 30) the soak benchmark's mix — 4 clients
 *      running whole request lifecycles (create, manager approve, customer approve, access check,
 *      release) and 4 clients running access checks — while the streamer runs as `serve` runs
 *      it (its 1 s poll). Every 250 ms the chain head is sampled; its lag is the time until the
 *      sink has received that seq. Prints p50/p99/max lag in ms.
 * In one process, like one `lockbox serve`. SQLite by default; LOCKBOX_TEST_DATABASE=postgres
 * runs it on a fresh database at LOCKBOX_TEST_PG_URL. Only 127.0.0.1.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { appendAudit } from "../src/audit/append-audit.js";
import { tenantChain } from "../src/audit/audit-event.js";
import { startTestApp, type TestApp } from "../test/support/test-app.js";
import { buildWorld, type World } from "../test/support/world.js";

const EVENTS = Number(process.env.BENCH_SIEM_EVENTS ?? 100_000);
const SECONDS = Number(process.env.BENCH_SIEM_SECONDS ?? 30);
const rate = (n: number, ms: number) => Math.round((n * 1000) / ms).toLocaleString("en-US");

/** A receiver that parses what it gets (NDJSON or HEC envelopes) and remembers when each seq arrived. */
async function startReceiver() {
  const arrived = new Map<string, { count: number; maxSeq: number; at: Map<number, number> }>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const now = performance.now();
      const path = (req.url ?? "/").replace(/\/services\/collector\/event$/, "");
      const slot = arrived.get(path) ?? { count: 0, maxSeq: 0, at: new Map() };
      arrived.set(path, slot);
      for (const line of Buffer.concat(chunks).toString("utf8").split("\n")) {
        if (!line) continue;
        const parsed = JSON.parse(line);
        const record = parsed.event ?? parsed;
        const seq = Number(record.unmapped?.seq ?? record.seq);
        slot.count += 1;
        if (seq > slot.maxSeq) {
          slot.maxSeq = seq;
          slot.at.set(seq, now);
        }
      }
      res.writeHead(path.includes("hec") ? 200 : 204, { "content-type": "application/json" }).end(path.includes("hec") ? '{"text":"Success","code":0}' : "");
    });
  });
  server.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, arrived, close: () => new Promise((r) => server.close(r)) };
}

async function fillChain(t: TestApp, chain: string, n: number) {
  const started = performance.now();
  for (let done = 0; done < n; done += 1000) {
    await t.app.deps.db.transaction().execute(async (trx) => {
      for (let i = done; i < Math.min(n, done + 1000); i++) {
        await appendAudit(trx, {
          chain,
          at: t.clock.now(),
          operation: "operator.read_mailbox",
          actor: { type: "user", id: "u-bench", name: "Erin Engineer", ip: "203.0.113.7" },
          target: { type: "mailbox", id: `mbx-${i}` },
          details: { requestId: "r-bench", ticket: "CASE-1", operation: "read_mailbox", service: "mail" },
        });
      }
    });
  }
  console.log(`chain filled: ${n.toLocaleString("en-US")} events in ${Math.round(performance.now() - started)} ms`);
}

async function deliveryRates(t: TestApp, w: World, rx: Awaited<ReturnType<typeof startReceiver>>) {
  const chain = tenantChain(w.tenantA);
  await fillChain(t, chain, EVENTS);
  for (const [type, path, format] of [
    ["http", "/ndjson-lockbox", "lockbox"],
    ["http", "/ndjson-ocsf", "ocsf"],
    ["splunk_hec", "/hec-ocsf", "ocsf"],
  ] as const) {
    const res = await t.request("POST", `/v1/tenants/${w.tenantA}/audit-sinks`, w.a.admin.as, {
      type,
      url: `${rx.base}${path}`,
      format,
      ...(type === "splunk_hec" ? { token: "bench-token" } : {}),
    });
    if (res.status !== 201) throw new Error(`sink: ${res.status} ${JSON.stringify(res.body)}`);
    const started = performance.now();
    await t.app.auditStreamer.runOnce();
    const ms = performance.now() - started;
    const got = rx.arrived.get(path);
    const status = (await t.request("GET", `/v1/tenants/${w.tenantA}/audit-sinks/${res.body.id}/status`, w.a.admin.as)).body;
    console.log(`${type.padEnd(10)} ${format.padEnd(7)} ${rate(got?.count ?? 0, ms).padStart(8)} events/s  (${got?.count} events in ${Math.round(ms)} ms, lag after: ${status.lag})`);
    await t.request("DELETE", `/v1/tenants/${w.tenantA}/audit-sinks/${res.body.id}`, w.a.admin.as);
  }
}

async function lagUnderLoad(t: TestApp, w: World, rx: Awaited<ReturnType<typeof startReceiver>>) {
  const chain = tenantChain(w.tenantA);
  const head = async () => Number((await t.app.deps.db.selectFrom("audit_heads").select("seq").where("chain", "=", chain).executeTakeFirstOrThrow()).seq);
  const call = async (token: string, method: string, url: string, body?: unknown) => {
    const res = await t.request(method, url, { token }, body);
    if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  // Start the sink caught up with the chain, as a sink running for a while would be.
  const sink = await call(w.a.admin.token, "POST", `/v1/tenants/${w.tenantA}/audit-sinks`, { type: "http", url: `${rx.base}/load`, format: "ocsf" });
  await t.app.auditStreamer.runOnce();
  const service = await call(w.providerAdmin.token, "POST", "/v1/service-credentials", { name: "siem-bench" });
  t.app.auditStreamer.start();
  const deadline = Date.now() + SECONDS * 1000;
  let lifecycles = 0;
  let checks = 0;
  const lifecycleWorker = async (i: number) => {
    for (let n = 0; Date.now() < deadline && n < 10_000_000; n++) {
      const r = await call(w.engineer.token, "POST", "/v1/requests", {
        tenantId: w.tenantA,
        ticket: `SIEM-${i}-${n}`,
        reason: "siem benchmark",
        services: ["mail"],
        accessLevel: "read",
        requestedMinutes: 30,
      });
      await call(w.manager.token, "POST", `/v1/requests/${r.id}/approve`, {});
      await call(w.a.approver.token, "POST", `/v1/requests/${r.id}/approve`, {});
      await call(service.token, "POST", "/v1/access/check", { userId: w.engineer.user.id, tenantId: w.tenantA, service: "mail", accessLevel: "read" });
      await call(w.engineer.token, "POST", `/v1/requests/${r.id}/complete`);
      lifecycles += 1;
    }
  };
  const checkWorker = async () => {
    for (let n = 0; Date.now() < deadline && n < 100_000_000; n++) {
      await call(service.token, "POST", "/v1/access/check", { userId: w.manager.user.id, tenantId: w.tenantA, service: "mail", accessLevel: "read" });
      checks += 1;
    }
  };
  const samples: { seq: number; at: number }[] = [];
  const sampler = async () => {
    while (Date.now() < deadline) {
      samples.push({ seq: await head(), at: performance.now() });
      await sleep(250);
    }
  };
  await Promise.all([sampler(), ...[0, 1, 2, 3].map(lifecycleWorker), ...[0, 1, 2, 3].map(checkWorker)]);
  // Let the streamer drain what the last seconds wrote (bounded).
  const last = await head();
  for (let i = 0; i < 100 && (rx.arrived.get("/load")?.maxSeq ?? 0) < last; i++) await sleep(100);
  await t.app.auditStreamer.stop();
  const arrivals = [...(rx.arrived.get("/load")?.at.entries() ?? [])].sort((a, b) => a[0] - b[0]);
  const lags: number[] = [];
  for (const s of samples) {
    const first = arrivals.find(([seq]) => seq >= s.seq);
    if (first) lags.push(Math.max(0, first[1] - s.at));
  }
  lags.sort((a, b) => a - b);
  const pct = (p: number) => Math.round(lags[Math.min(lags.length - 1, Math.floor((lags.length * p) / 100))] ?? NaN);
  const status = await call(w.a.admin.token, "GET", `/v1/tenants/${w.tenantA}/audit-sinks/${sink.id}/status`);
  console.log(
    `load for ${SECONDS} s: ${rate(lifecycles, SECONDS * 1000)} lifecycles/s, ${rate(checks, SECONDS * 1000)} checks/s, ${last} events in the chain`,
  );
  console.log(`lag (head sampled every 250 ms → seen at the sink): p50 ${pct(50)} ms, p99 ${pct(99)} ms, max ${pct(100)} ms over ${lags.length} samples; lag after drain: ${status.lag} events`);
}

const rx = await startReceiver();
const t = await startTestApp({ LOCKBOX_WEBHOOK_ALLOW_PRIVATE: "1", LOCKBOX_LOG_LEVEL: "warn" });
try {
  const w = await buildWorld(t);
  console.log(`database: ${t.database.kind}`);
  await deliveryRates(t, w, rx);
  await lagUnderLoad(t, w, rx);
} finally {
  await t.close();
  await rx.close();
}
