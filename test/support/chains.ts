import assert from "node:assert/strict";
import { ChainVerifier } from "../../src/audit/verify-chain.js";
import type { TestApp } from "./test-app.js";

/** Exports a chain through the API as the provider admin, as JSONL text. */
export async function exportChain(t: TestApp, chain: string): Promise<string> {
  const res = await t.request("GET", `/v1/audit/export?format=jsonl&chain=${encodeURIComponent(chain)}`, { token: t.adminToken });
  assert.equal(res.status, 200, `export of ${chain}: ${res.status}`);
  return res.body as string;
}

/** Every chain in the database, exported and verified line by line; returns the event counts. */
export async function verifyAllChains(t: TestApp): Promise<Record<string, number>> {
  const heads = await t.app.deps.db.selectFrom("audit_heads").select(["chain", "seq"]).execute();
  const counts: Record<string, number> = {};
  for (const head of heads) {
    const verifier = new ChainVerifier();
    for (const line of (await exportChain(t, head.chain)).split("\n")) {
      const fault = verifier.pushLine(line);
      assert.equal(fault, undefined, `chain ${head.chain}: ${JSON.stringify(fault)}`);
    }
    assert.equal(verifier.count, Number(head.seq), `chain ${head.chain} exported every event`);
    counts[head.chain] = verifier.count;
  }
  return counts;
}

/** The operations recorded for one request, oldest first. */
export async function operationsOf(t: TestApp, requestId: string): Promise<string[]> {
  const rows = await t.app.deps.db
    .selectFrom("audit_events")
    .select("operation")
    .where("request_id", "=", requestId)
    .orderBy("pos")
    .execute();
  return rows.map((r) => r.operation);
}
