/**
 * `npm run bench:activity` — operator activity ingestion (a benchmark, not a test; it prints
 * numbers). For SQLite and, when a server answers at LOCKBOX_TEST_PG_URL, PostgreSQL:
 *   1. one chain: BENCH_ACTIVITY_BATCHES (default 20) batches of 1000 events, one after another,
 *      all for one grant, so all into one tenant chain;
 *   2. fifty chains at once: 50 tenants, one batch of 1000 events per tenant, all 50 sent
 *      concurrently (50,000 events).
 * Each batch is a real `POST /v1/activity` through the app's full HTTP stack (Fastify inject:
 * routing, service-credential auth, validation, judging, the bulk append with the Merkle tree,
 * commit), in this process. Events/s = events recorded ÷ wall time.
 */
import assert from "node:assert/strict";
import { allowDecisionsWithoutStepUp } from "../test/support/step-up.js";
import { startTestApp, type TestApp } from "../test/support/test-app.js";
import { postgresReachable } from "../test/support/on-postgres.js";

const BATCHES = Number(process.env.BENCH_ACTIVITY_BATCHES ?? 20);
const CHAINS = Number(process.env.BENCH_ACTIVITY_CHAINS ?? 50);
const BATCH = 1000;
const rate = (n: number, ms: number) => Math.round((n * 1000) / ms).toLocaleString("en-US");

async function tenantWithRequest(t: TestApp, n: number, engineer: { token: string }): Promise<string> {
  const admin = { token: t.adminToken };
  const tenant = await t.request("POST", "/v1/tenants", admin, { name: `Bench ${n}`, adminEmail: `admin${n}@bench.test` });
  assert.equal(tenant.status, 201, JSON.stringify(tenant.body));
  const tenantId = tenant.body.tenant.id as string;
  // Settings changes need step-up in a new tenant; the bench measures activity, not step-up.
  await allowDecisionsWithoutStepUp(t, tenantId);
  const { token } = await t.user(["global_admin"], tenantId);
  for (const setting of [{ auditingEnabled: true }, { lockboxEnabled: true }]) {
    const res = await t.request("PATCH", `/v1/tenants/${tenantId}/settings`, { token }, setting);
    assert.equal(res.status, 200, JSON.stringify(res.body));
  }
  const req = await t.request("POST", "/v1/requests", engineer, {
    tenantId,
    ticket: `CASE-${n}`,
    reason: "Bench: mailbox search fails",
    services: ["mail"],
    accessLevel: "read",
    requestedMinutes: 60,
  });
  assert.equal(req.status, 201, JSON.stringify(req.body));
  return req.body.id as string;
}

function batch(requestId: string, from: number) {
  return Array.from({ length: BATCH }, (_, i) => ({ requestId, operation: "read", target: `mailbox/alice/msg-${from + i}`, details: { method: "GET", status: 200 } }));
}

async function run(kind: "sqlite" | "postgres"): Promise<void> {
  process.env.LOCKBOX_TEST_DATABASE = kind;
  const t = await startTestApp({ LOCKBOX_LOG_LEVEL: "warn" });
  try {
    const admin = { token: t.adminToken };
    assert.equal((await t.request("POST", "/v1/services", admin, { key: "mail", name: "Mail", description: "Mail content" })).status, 201);
    const engineer = { token: (await t.user(["engineer"], null, "Erin Engineer")).token };
    const svc = { token: (await t.request("POST", "/v1/service-credentials", admin, { name: "bench" })).body.token as string };
    const requests: string[] = [];
    for (let n = 0; n < CHAINS; n++) requests.push(await tenantWithRequest(t, n, engineer));

    const post = async (events: unknown[]) => {
      const res = await t.request("POST", "/v1/activity", svc, { events });
      assert.equal(res.status, 200, JSON.stringify(res.body).slice(0, 300));
      assert.equal(res.body.items.length, events.length);
    };
    await post(batch(requests[0]!, 0)); // warm-up
    let t0 = performance.now();
    for (let b = 0; b < BATCHES; b++) await post(batch(requests[0]!, (b + 1) * BATCH));
    const oneMs = performance.now() - t0;
    t0 = performance.now();
    await Promise.all(requests.map((id) => post(batch(id, 0))));
    const manyMs = performance.now() - t0;
    console.log(
      `${kind.padEnd(8)}  one chain: ${rate(BATCHES * BATCH, oneMs)} events/s (${BATCHES} × ${BATCH} in ${Math.round(oneMs)} ms)` +
        `   ${CHAINS} chains at once: ${rate(CHAINS * BATCH, manyMs)} events/s (${CHAINS} × ${BATCH} in ${Math.round(manyMs)} ms)`,
    );
  } finally {
    await t.close();
  }
}

console.log(`bench:activity — batches of ${BATCH}; node ${process.version}`);
await run("sqlite");
if (await postgresReachable("bench:activity on PostgreSQL")) await run("postgres");
else console.log("postgres  skipped: no PostgreSQL server answers");
