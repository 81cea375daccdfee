import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import canonicalizeModule from "canonicalize";
import { sql } from "kysely";
import { tenantChain } from "../src/audit/audit-event.js";
import { exportChain } from "./support/chains.js";
import { startTestApp, type TestApp } from "./support/test-app.js";
import { buildWorld, fileRequest, type World } from "./support/world.js";

const canonicalize = canonicalizeModule as unknown as (v: unknown) => string;
const run = promisify(execFile);

let t: TestApp;
let w: World;
let requestId: string;
before(async () => {
  t = await startTestApp();
  w = await buildWorld(t);
  requestId = await fileRequest(w);
  await t.request("POST", `/v1/requests/${requestId}/approve`, w.manager.as, { comment: "ok" });
  t.clock.advanceMinutes(5);
  await t.request("POST", `/v1/requests/${requestId}/approve`, w.a.approver.as, { comment: "fine" });
  t.clock.advanceMinutes(5);
  await t.request("POST", `/v1/requests/${requestId}/revoke`, w.a.admin.as, { comment: "done" });
  const other = await fileRequest(w, { ticket: "CASE-43" });
  await t.request("POST", `/v1/requests/${other}/cancel`, w.engineer.as, {});
});
after(() => t.close());

/** Runs `lockbox audit verify` as a user would. */
async function verifyFile(lines: string[]): Promise<{ code: number; out: string; err: string }> {
  const file = path.join(t.database.dataDir, `export-${Math.random().toString(36).slice(2)}.jsonl`);
  fs.writeFileSync(file, `${lines.join("\n")}\n`);
  try {
    const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", "src/cli/main.ts", "audit", "verify", file], { env: { ...process.env, NO_COLOR: "1" } });
    return { code: 0, out: stdout, err: stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, out: err.stdout, err: err.stderr };
  }
}

describe("the hash chain", () => {
  test("events are exactly the export form, hashed as sha256(JCS(event without hash))", async () => {
    const lines = (await exportChain(t, tenantChain(w.tenantA))).trim().split("\n");
    const events = lines.map((l) => JSON.parse(l));
    assert.equal(events[0].seq, 1);
    assert.equal(events[0].prevHash, "0".repeat(64));
    for (const [i, e] of events.entries()) {
      assert.deepEqual(Object.keys(e).sort(), ["actor", "at", "chain", "details", "hash", "id", "operation", "prevHash", "seq", "target"]);
      assert.equal(e.seq, i + 1);
      if (i > 0) assert.equal(e.prevHash, events[i - 1].hash);
      const { hash, ...rest } = e;
      assert.equal(hash, createHash("sha256").update(canonicalize(rest)).digest("hex"));
      assert.match(e.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    }
    const approval = events.find((e) => e.operation === "request.approved");
    assert.equal(approval.actor.type, "user");
    assert.equal(approval.actor.id, w.a.approver.user.id, "the real approver, not a service account");
    assert.equal(approval.actor.name, w.a.approver.user.name);
    assert.ok(approval.actor.ip, "with the address it acted from");
    assert.equal(approval.details.ticket, "CASE-42");
    assert.equal(approval.details.final, true);
  });

  test("lockbox audit verify accepts the export and names the first bad seq of a tampered one", async () => {
    const lines = (await exportChain(t, tenantChain(w.tenantA))).trim().split("\n");
    assert.ok(lines.length >= 8);
    const ok = await verifyFile(lines);
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, new RegExp(`^Verified ${lines.length} events of chain `));

    const edited = [...lines];
    const fifth = JSON.parse(edited[4]!);
    fifth.details = { ...fifth.details, tampered: true };
    edited[4] = JSON.stringify(fifth);
    const e1 = await verifyFile(edited);
    assert.equal(e1.code, 1);
    assert.match(e1.err, /seq 5\b.*hash does not match/);
    assert.equal(e1.err.trim().split("\n").length, 1, "one line, no stack trace");

    const rehashed = [...lines];
    const third = JSON.parse(rehashed[2]!);
    third.actor.name = "Somebody Else";
    const { hash: _old, ...body } = third;
    third.hash = createHash("sha256").update(canonicalize(body)).digest("hex");
    rehashed[2] = JSON.stringify(third);
    const e2 = await verifyFile(rehashed);
    assert.equal(e2.code, 1);
    assert.match(e2.err, /seq 4\b.*prevHash/, "re-hashing an edited event breaks the next link");

    const deleted = lines.filter((_, i) => i !== 3);
    assert.match((await verifyFile(deleted)).err, /seq 4 is missing/);

    const swapped = [...lines];
    [swapped[5], swapped[6]] = [swapped[6]!, swapped[5]!];
    assert.match((await verifyFile(swapped)).err, /seq 6\b/);

    const headless = lines.slice(1);
    assert.match((await verifyFile(headless)).err, /seq 1 is missing/);

    assert.equal((await verifyFile(["not json"])).code, 1);
    const missing = await run(process.execPath, ["--import", "tsx", "src/cli/main.ts", "audit", "verify", "/nonexistent.jsonl"]).catch((e) => e);
    assert.equal(missing.code, 2);
  });

  test("the database refuses UPDATE and DELETE on audit rows", async () => {
    const db = t.app.deps.db;
    await assert.rejects(sql`UPDATE audit_events SET operation = 'request.nothing'`.execute(db), /append-only/);
    await assert.rejects(sql`DELETE FROM audit_events`.execute(db), /append-only/);
    const count = await db.selectFrom("audit_events").select(db.fn.countAll().as("n")).executeTakeFirstOrThrow();
    assert.ok(Number(count.n) > 0);
  });
});

describe("search and export", () => {
  test("search filters by request, operation, actor and time, newest first, with a cursor", async () => {
    const byRequest = await t.request("GET", `/v1/audit?requestId=${requestId}`, w.a.auditor.as);
    assert.deepEqual(
      byRequest.body.items.map((e: { operation: string }) => e.operation),
      ["request.revoked", "request.approved", "request.manager_approved", "request.created"],
    );
    const byOp = await t.request("GET", `/v1/audit?operation=request.approved`, w.a.auditor.as);
    assert.ok(byOp.body.items.length >= 1 && byOp.body.items.every((e: { operation: string }) => e.operation === "request.approved"));
    const family = await t.request("GET", `/v1/audit?operation=request.*&limit=200`, w.a.auditor.as);
    assert.ok(family.body.items.every((e: { operation: string }) => e.operation.startsWith("request.")));
    const byActor = await t.request("GET", `/v1/audit?actor=${w.a.admin.user.id}`, w.a.auditor.as);
    assert.ok(byActor.body.items.some((e: { operation: string }) => e.operation === "request.revoked"));
    assert.ok(byActor.body.items.every((e: { actor: { id: string } }) => e.actor.id === w.a.admin.user.id));
    const revokedAt = byRequest.body.items[0].at;
    const window = await t.request("GET", `/v1/audit?from=${revokedAt}&requestId=${requestId}`, w.a.auditor.as);
    assert.deepEqual(
      window.body.items.map((e: { operation: string }) => e.operation),
      ["request.revoked"],
    );

    const pages: number[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { items: { seq: number }[]; nextCursor: string | null } } = await t.request(
        "GET",
        `/v1/audit?limit=3${cursor ? `&cursor=${cursor}` : ""}`,
        w.a.auditor.as,
      );
      pages.push(...page.body.items.map((e) => e.seq));
      cursor = page.body.nextCursor;
    } while (cursor);
    const total = (await exportChain(t, tenantChain(w.tenantA))).trim().split("\n").length;
    assert.equal(pages.length, total);
    assert.deepEqual(pages, [...pages].sort((a, b) => b - a), "newest first");
  });

  test("CSV export has a header and one row per event", async () => {
    const res = await t.request("GET", `/v1/audit/export?format=csv`, w.a.admin.as);
    assert.equal(res.status, 200);
    assert.match(String(res.headers["content-type"]), /text\/csv/);
    const rows = (res.body as string).trim().split("\n");
    assert.equal(rows[0], "chain,seq,id,at,operation,actor_type,actor_id,actor_name,actor_ip,target_type,target_id,details,prev_hash,hash");
    const jsonl = (await exportChain(t, tenantChain(w.tenantA))).trim().split("\n");
    assert.equal(rows.length - 1, jsonl.length);
  });

  test("an export streams in pages larger than one database page", async () => {
    // 1 000 rows is the export page; make the provider chain longer than that.
    for (let i = 0; i < 1050; i++) {
      await t.app.deps.db.transaction().execute((trx) =>
        import("../src/audit/append-audit.js").then(({ appendAudit }) =>
          appendAudit(trx, { chain: "provider", at: t.clock.now(), operation: "test.filler", actor: { type: "system", id: "t", name: "t" }, target: { type: "t", id: String(i) } }),
        ),
      );
    }
    const lines = (await exportChain(t, "provider")).trim().split("\n");
    const ok = await verifyFile(lines);
    assert.equal(ok.code, 0, ok.err);
    assert.ok(lines.length > 1050);
  });
});
