/**
 * `npx tsx bench/chain-lock.ts` — how long one request step holds its tenant's chain-head lock on
 * PostgreSQL (a measurement, not a test). Runs BENCH_LIFECYCLES (default 20) lifecycles one after
 * another through the real app (create → manager approve → customer approve → release; the
 * access check writes nothing and is left out) on a fresh database at LOCKBOX_TEST_PG_URL, and
 * times every statement each step's transaction sends, by wrapping the pg client's `query`.
 * Per step it prints: statements between BEGIN and COMMIT, how many of them run after the
 * `SELECT … FOR UPDATE` on `audit_heads` (they all run while other writers to the chain wait),
 * how long the lock is held (from that SELECT to the end of COMMIT) and how long COMMIT takes.
 * One client, so no step waits for another: the hold times are the floor of what concurrent
 * steps of one tenant queue behind. The first lifecycle is warm-up and not counted.
 */
import pg from "pg";

process.env.LOCKBOX_TEST_DATABASE = "postgres";
const { startTestApp } = await import("../test/support/test-app.js");
const { buildWorld } = await import("../test/support/world.js");

interface Sent {
  sql: string;
  startMs: number;
  endMs: number;
}

let sent: Sent[] = [];
const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
// Only this process's statements are timed; the server's own behaviour is unchanged.
(pg.Client.prototype as { query: (...args: unknown[]) => unknown }).query = function (this: pg.Client, ...args: unknown[]) {
  const first = args[0] as string | { text?: string } | undefined;
  const entry: Sent = { sql: typeof first === "string" ? first : (first?.text ?? ""), startMs: performance.now(), endMs: 0 };
  sent.push(entry);
  const result = query.apply(this, args);
  const end = () => {
    entry.endMs = performance.now();
  };
  if (result instanceof Promise) return result.finally(end);
  end();
  return result;
};

interface StepFigures {
  statements: number;
  afterLock: number;
  heldMs: number;
  commitMs: number;
}

const figures = new Map<string, StepFigures[]>();

async function step(name: string, send: () => Promise<{ status: number; body: any }>): Promise<any> {
  sent = [];
  const res = await send();
  if (res.status >= 300) throw new Error(`${name}: ${res.status} ${JSON.stringify(res.body)}`);
  const begin = sent.findIndex((q) => /^\s*begin/i.test(q.sql));
  const commit = sent.findIndex((q, i) => i > begin && /^\s*commit/i.test(q.sql));
  const tx = sent.slice(begin, commit + 1);
  const lock = tx.findIndex((q) => /audit_heads/.test(q.sql) && /for update/i.test(q.sql));
  if (begin < 0 || commit < 0 || lock < 0) throw new Error(`${name}: no transaction with a chain-head lock seen`);
  const last = tx[tx.length - 1]!;
  const list = figures.get(name) ?? [];
  list.push({ statements: tx.length - 2, afterLock: tx.length - 2 - lock, heldMs: last.endMs - tx[lock]!.startMs, commitMs: last.endMs - last.startMs });
  figures.set(name, list);
  return res.body;
}

const lifecycles = Number(process.env.BENCH_LIFECYCLES ?? 20);
const t = await startTestApp();
try {
  const w = await buildWorld(t);
  for (let i = 0; i < lifecycles; i++) {
    const r = await step("create", () =>
      t.request("POST", "/v1/requests", w.engineer.as, { tenantId: w.tenantA, ticket: `LOCK-${i}`, reason: "lock probe", services: ["mail"], accessLevel: "read", requestedMinutes: 30 }),
    );
    await step("manager approve", () => t.request("POST", `/v1/requests/${r.id}/approve`, w.manager.as, {}));
    await step("customer approve", () => t.request("POST", `/v1/requests/${r.id}/approve`, w.a.approver.as, {}));
    await step("release", () => t.request("POST", `/v1/requests/${r.id}/complete`, w.engineer.as));
  }
} finally {
  await t.close();
}

const spread = (xs: number[], digits: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return `${sorted[0]!.toFixed(digits)}–${sorted[sorted.length - 1]!.toFixed(digits)} (median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(digits)})`;
};
console.log(`chain-head lock per step, PostgreSQL, ${lifecycles - 1} lifecycles after one warm-up`);
for (const [name, all] of figures) {
  const xs = all.slice(1);
  console.log(
    `${name.padEnd(17)} statements ${spread(xs.map((x) => x.statements), 0)}; after FOR UPDATE ${spread(xs.map((x) => x.afterLock), 0)}; ` +
      `lock held ${spread(xs.map((x) => x.heldMs), 1)} ms; COMMIT ${spread(xs.map((x) => x.commitMs), 1)} ms`,
  );
}
