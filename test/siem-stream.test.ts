import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { appendAudit } from "../src/audit/append-audit.js";
import { tenantChain } from "../src/audit/audit-event.js";
import { claimSink } from "../src/siem/audit-streamer.js";
import { assertSinkUrl } from "../src/siem/sink-config.js";
import { validateOcsf } from "./support/ocsf-validate.js";
import { assertCompleteInOrder, type SiemReceiver, startSiemReceiver } from "./support/siem-receivers.js";
import { startTestApp, type TestApp } from "./support/test-app.js";
import { type Actor, buildWorld, fileRequest, type World } from "./support/world.js";

/**
 * Audit streaming (SPEC 19) through the real app and database to a real HTTP receiver that
 * plays Splunk HEC and a plain NDJSON collector. The clock is fake: backoff and leases move
 * with it, so outages of minutes take no time.
 */
describe("audit streaming to HTTP and Splunk HEC sinks", () => {
  let rx: SiemReceiver;
  let t: TestApp;
  let w: World;
  const tokens: string[] = [];
  const chainA = () => tenantChain(w.tenantA);

  before(async () => {
    rx = await startSiemReceiver();
    t = await startTestApp({ LOCKBOX_WEBHOOK_ALLOW_PRIVATE: "1" });
    w = await buildWorld(t);
  });
  after(async () => {
    await t.app.close();
    await new Promise((resolve) => setTimeout(resolve, 250)); // let pg sockets close before the forced drop
    await t.database.drop();
    await rx.close();
  });

  const newToken = (label: string) => {
    const token = `${label}-${Math.random().toString(36).slice(2)}-secret-value`;
    tokens.push(token);
    return token;
  };

  async function createSink(as: Actor, body: Record<string, unknown>, scope = `/v1/tenants/${w.tenantA}/audit-sinks`): Promise<string> {
    const res = await t.request("POST", scope, as.as, body);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.id as string;
  }
  async function httpSink(path: string, format: "ocsf" | "lockbox" = "lockbox"): Promise<string> {
    const token = newToken(path.slice(1));
    rx.setToken(path, token);
    return createSink(w.a.admin, { type: "http", url: `${rx.base}${path}`, token, format });
  }
  const status = async (id: string, as: Actor = w.a.admin) => {
    const res = await t.request("GET", `/v1/tenants/${w.tenantA}/audit-sinks/${id}/status`, as.as);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body as { lastDeliveredSeq: number; lag: number; lastError: string | null; lastErrorAt: string | null; lastDeliveredAt: string | null; failures: number };
  };
  const head = async (chain = chainA()) =>
    Number((await t.app.deps.db.selectFrom("audit_heads").select("seq").where("chain", "=", chain).executeTakeFirstOrThrow()).seq);
  /** Appends `n` operator events to tenant A's chain in one transaction (bulk, for batching). */
  async function addEvents(n: number, chain = chainA()): Promise<void> {
    await t.app.deps.db.transaction().execute(async (trx) => {
      for (let i = 0; i < n; i++) {
        await appendAudit(trx, {
          chain,
          at: t.clock.now(),
          operation: "operator.read",
          actor: { type: "user", id: w.engineer.user.id, name: w.engineer.user.name },
          target: { type: "resource", id: `mailbox/${i}` },
          details: { operation: "read", target: `mailbox/${i}` },
        });
      }
    });
  }
  const seqs = (path: string) => rx.at(path).map((r) => r.seq);

  test("who may manage sinks: the tenant's global admin and the provider admin, each their own; another tenant gets 404", async () => {
    const body = () => ({ type: "http", url: `${rx.base}/matrix`, format: "lockbox" });
    const tenantScope = `/v1/tenants/${w.tenantA}/audit-sinks`;
    for (const [who, expected] of [
      [w.a.approver, 403],
      [w.a.auditor, 403],
      [w.b.admin, 404],
      [w.providerAdmin, 403],
      [w.manager, 403],
      [w.engineer, 403],
    ] as const) {
      const res = await t.request("POST", tenantScope, who.as, body());
      assert.equal(res.status, expected, `${who.user.name}: ${JSON.stringify(res.body)}`);
      assert.equal((await t.request("GET", tenantScope, who.as)).status, expected);
    }
    assert.equal((await t.request("POST", tenantScope, null, body())).status, 401);
    const id = await createSink(w.a.admin, body());
    for (const [who, expected] of [
      [w.b.admin, 404],
      [w.providerAdmin, 403],
      [w.a.auditor, 403],
    ] as const) {
      assert.equal((await t.request("GET", `${tenantScope}/${id}/status`, who.as)).status, expected);
      assert.equal((await t.request("DELETE", `${tenantScope}/${id}`, who.as)).status, expected);
    }
    // Tenant B's admin naming A's sink under its own tenant: not found either.
    assert.equal((await t.request("GET", `/v1/tenants/${w.tenantB}/audit-sinks/${id}/status`, w.b.admin.as)).status, 404);
    assert.equal((await t.request("DELETE", `/v1/tenants/${w.tenantB}/audit-sinks/${id}`, w.b.admin.as)).status, 404);
    // The provider's own sinks: provider admins only.
    for (const who of [w.manager, w.engineer, w.a.admin]) assert.equal((await t.request("POST", "/v1/audit-sinks", who.as, body())).status, 403);
    const providerSink = await createSink(w.providerAdmin, body(), "/v1/audit-sinks");
    assert.equal((await t.request("GET", `/v1/audit-sinks/${providerSink}/status`, w.a.admin.as)).status, 403);
    assert.equal((await t.request("GET", `/v1/audit-sinks/${id}/status`, w.providerAdmin.as)).status, 404, "a tenant's sink is not the provider's");
    // Delete: gone from the list and status; both steps audited in the owner's chain.
    assert.equal((await t.request("DELETE", `${tenantScope}/${id}`, w.a.admin.as)).status, 204);
    assert.equal((await t.request("GET", `${tenantScope}/${id}/status`, w.a.admin.as)).status, 404);
    assert.equal((await t.request("DELETE", `/v1/audit-sinks/${providerSink}`, w.providerAdmin.as)).status, 204);
    const list = await t.request("GET", tenantScope, w.a.admin.as);
    assert.ok(!list.body.items.some((s: { id: string }) => s.id === id));
    const audit = await t.request("GET", `/v1/audit?chain=${encodeURIComponent(chainA())}&operation=audit_sink.*`, w.a.admin.as);
    assert.deepEqual(audit.body.items.map((e: { operation: string }) => e.operation), ["audit_sink.deleted", "audit_sink.created"]);
    const provider = await t.request("GET", "/v1/audit?chain=provider&operation=audit_sink.*", w.providerAdmin.as);
    assert.equal(provider.body.items.length, 2);
  });

  test("bad input is a 400 naming the field; loopback and private targets are refused without the opt-in", async () => {
    const scope = `/v1/tenants/${w.tenantA}/audit-sinks`;
    const cases: [Record<string, unknown>, string][] = [
      [{ type: "ftp", url: `${rx.base}/x`, format: "lockbox" }, "type"],
      [{ type: "http", url: `${rx.base}/x`, format: "cef" }, "format"],
      [{ type: "http", url: "tcp://127.0.0.1:514", format: "lockbox" }, "url"],
      [{ type: "syslog", url: `${rx.base}/x`, format: "lockbox" }, "url"],
      [{ type: "syslog", url: "tcp://127.0.0.1", format: "lockbox" }, "url"],
      [{ type: "syslog", url: "tcp://127.0.0.1:514/path", format: "lockbox" }, "url"],
      [{ type: "splunk_hec", url: `${rx.base}/hec`, format: "ocsf" }, "token"],
      [{ type: "http", url: `https://127.0.0.1:1/x`, format: "lockbox", tls: { ca: "not a certificate" } }, "tls.ca"],
      [{ type: "http", url: `${rx.base}/x`, format: "lockbox", tls: { serverName: "siem.example" } }, "tls"],
      [{ type: "http", url: `https://127.0.0.1:1/x`, format: "lockbox", tls: { insecureSkipVerify: true } }, "tls"],
      [{ type: "syslog", url: "tls://127.0.0.1:6514", format: "lockbox", tls: { serverName: "bad name!" } }, "tls.serverName"],
      [{ type: "http", url: `${rx.base}/${"x".repeat(3000)}`, format: "lockbox" }, "url"],
      [{ type: "http", url: `${rx.base}/x`, format: "lockbox", token: "t".repeat(2000) }, "token"],
      [{ type: "http", url: `${rx.base}/x`, format: "lockbox", extra: 1 }, "extra"],
    ];
    for (const [body, field] of cases) {
      const res = await t.request("POST", scope, w.a.admin.as, body);
      assert.equal(res.status, 400, `${JSON.stringify(body).slice(0, 120)} → ${res.status}`);
      assert.equal(res.body.error.code, "invalid_request");
      const named = JSON.stringify(res.body.error.details);
      // An unknown key is named by the key, or (older error handler) as the body.
      assert.ok(named.includes(field) || (field === "extra" && named.includes("body")), `${field} named in ${JSON.stringify(res.body.error)}`);
    }
    for (const [type, url] of [
      ["http", "http://127.0.0.1:8088/"],
      ["splunk_hec", "https://169.254.169.254/"],
      ["syslog", "tcp://10.1.2.3:514"],
      ["syslog", "tls://[::1]:6514"],
      ["http", "http://[::ffff:192.168.0.1]/"],
    ] as const) {
      await assert.rejects(assertSinkUrl(type, url, false), (err: Error) => err.message.startsWith("url:"), url);
    }
    assert.equal((await assertSinkUrl("syslog", "tls://93.184.215.14:6514", false)).port, "6514");
  });

  test("Splunk HEC: every event of the tenant's chain, in order, in HEC envelopes with the token, as valid OCSF", async () => {
    const token = newToken("hec");
    rx.setToken("/hec-a", token);
    const id = await createSink(w.a.admin, { type: "splunk_hec", url: `${rx.base}/hec-a`, token, format: "ocsf" });
    const tokenB = newToken("hec-b");
    rx.setToken("/hec-b", tokenB);
    await createSink(w.b.admin, { type: "splunk_hec", url: `${rx.base}/hec-b/`, token: tokenB, format: "ocsf" }, `/v1/tenants/${w.tenantB}/audit-sinks`);
    const requestId = await fileRequest(w);
    assert.equal((await t.request("POST", `/v1/requests/${requestId}/approve`, w.manager.as, {})).status, 200);
    assert.equal((await t.request("POST", `/v1/requests/${requestId}/approve`, w.a.approver.as, {})).status, 200);
    await t.app.auditStreamer.runOnce();
    const got = rx.at("/hec-a");
    assert.equal(assertCompleteInOrder(got.map((r) => r.seq), await head()), null);
    for (const r of got) {
      assert.deepEqual(validateOcsf(r.record), [], JSON.stringify(r.record));
      assert.equal(r.envelope.source, "lockbox");
      assert.equal(r.envelope.sourcetype, "lockbox:ocsf");
      assert.equal(r.envelope.host, "lockbox.test");
      assert.equal(r.envelope.time, Date.parse(r.record.unmapped.at) / 1000);
      assert.equal(r.record.unmapped.chain, chainA());
    }
    assert.ok(rx.requests.filter((q) => q.path === "/hec-a").every((q) => q.authorization === `Splunk ${token}`));
    const grant = got.find((r) => r.record.unmapped.operation === "request.approved")!.record;
    assert.equal(grant.class_uid, 3003);
    assert.equal(grant.user.uid, w.engineer.user.id, "the grant names the engineer who receives access");
    assert.ok(rx.at("/hec-b").length > 0);
    assert.ok(rx.at("/hec-b").every((r) => r.record.unmapped.chain === tenantChain(w.tenantB)), "tenant B's sink sees only its own chain");
    const s = await status(id);
    assert.equal(s.lastDeliveredSeq, await head());
    assert.equal(s.lag, 0);
    assert.equal(s.lastError, null);
  });

  test("a wrong HEC token is reported in the status without the token itself", async () => {
    const token = newToken("wrong-hec");
    rx.setToken("/hec-wrong", "the-right-one");
    const id = await createSink(w.a.admin, { type: "splunk_hec", url: `${rx.base}/hec-wrong`, token, format: "lockbox" });
    await t.app.auditStreamer.runOnce();
    const s = await status(id);
    assert.match(s.lastError ?? "", /HTTP 403.*Invalid token/);
    assert.equal(s.lastDeliveredSeq, 0);
    assert.ok(s.lag > 0);
    await t.request("DELETE", `/v1/tenants/${w.tenantA}/audit-sinks/${id}`, w.a.admin.as);
  });

  test("a sink down for a while, then up: every event arrives, in order, none missing; the owner is mailed once per outage", async () => {
    const id = await httpSink("/down");
    rx.down("/down");
    await addEvents(30);
    const mails = () =>
      t.app.deps.db.selectFrom("outbox").selectAll().where("kind", "=", "email").where("idempotency_key", "like", `mail:audit-sink-outage:${id}:%`).execute();
    for (let minute = 0; minute < 8; minute++) {
      await t.app.auditStreamer.runOnce();
      await addEvents(3);
      t.clock.advanceMinutes(1);
    }
    const during = await status(id);
    assert.ok(during.lastError, "the failure shows in the status");
    assert.ok(during.lastErrorAt);
    assert.ok(during.failures >= 3);
    assert.equal(during.lastDeliveredSeq, 0);
    assert.equal(during.lag, await head());
    const sent = await mails();
    assert.equal(sent.length, 1, "one mail for the outage, to the tenant's one global admin");
    assert.equal(sent[0]!.destination, w.a.admin.user.email.toLowerCase());
    assert.match(JSON.parse(sent[0]!.payload).subject, /Audit streaming .* is failing/);
    const metrics = (await t.request("GET", "/metrics", null)).body as string;
    assert.match(metrics, new RegExp(`lockbox_audit_sink_lag_events\\{sink="${id}",type="http",chain="${chainA()}"\\} [1-9]`));
    assert.match(metrics, new RegExp(`lockbox_audit_sink_failures_total\\{sink="${id}",type="http",chain="${chainA()}"\\} [1-9]`));

    rx.up("/down");
    t.clock.advanceMinutes(5); // past the longest backoff
    await t.app.auditStreamer.runOnce();
    assert.equal(assertCompleteInOrder(seqs("/down"), await head()), null);
    // The lockbox form is byte for byte the export's JSONL line of the same event.
    const exported = await t.request("GET", `/v1/audit/export?format=jsonl&chain=${encodeURIComponent(chainA())}`, w.a.admin.as);
    const lines = new Map((exported.body as string).trim().split("\n").map((l) => [JSON.parse(l).seq as number, l]));
    for (const r of rx.at("/down")) assert.equal(JSON.stringify(r.record), lines.get(r.seq));
    const healed = await status(id);
    assert.equal(healed.lag, 0);
    assert.equal(healed.failures, 0);
    assert.ok(healed.lastDeliveredAt);

    // A second outage is a second mail.
    rx.down("/down");
    await addEvents(2);
    for (let minute = 0; minute < 7; minute++) {
      await t.app.auditStreamer.runOnce();
      t.clock.advanceMinutes(1);
    }
    assert.equal((await mails()).length, 2);
    rx.up("/down");
    t.clock.advanceMinutes(5);
    await t.app.auditStreamer.runOnce();
    assert.equal(assertCompleteInOrder(seqs("/down"), await head()), null);
    await t.request("DELETE", `/v1/tenants/${w.tenantA}/audit-sinks/${id}`, w.a.admin.as);
  });

  test("a sink that answers 400 to one batch is reported and retried; the other sinks are not held up", async () => {
    const bad = await httpSink("/bad");
    const good = await httpSink("/good", "ocsf");
    await addEvents(600); // more than one batch
    rx.failWith("/bad", 400, 1);
    await t.app.auditStreamer.runOnce();
    const h = await head();
    assert.equal(assertCompleteInOrder(seqs("/good"), h), null, "the healthy sink got everything in the same run");
    assert.equal((await status(good)).lag, 0);
    const s = await status(bad);
    assert.match(s.lastError ?? "", /^HTTP 400/);
    assert.equal(s.lastDeliveredSeq, 0, "the refused batch is not skipped");
    assert.equal(seqs("/bad").length, 0);
    t.clock.advanceMs(2_000);
    await t.app.auditStreamer.runOnce();
    assert.equal(assertCompleteInOrder(seqs("/bad"), h), null, "retried and delivered");
    assert.equal((await status(bad)).lag, 0);

    // A receiver that does not answer holds up only its own sink.
    const slow = await httpSink("/slow");
    rx.hold("/slow");
    await addEvents(5);
    const run = t.app.auditStreamer.runOnce();
    for (let i = 0; i < 200 && (rx.heldCount("/slow") === 0 || assertCompleteInOrder(seqs("/good"), await head()) !== null); i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    assert.equal(rx.heldCount("/slow"), 1, "the slow sink's request is still unanswered");
    assert.equal(assertCompleteInOrder(seqs("/good"), await head()), null, "while the others caught up");
    rx.release("/slow");
    await run;
    assert.equal(assertCompleteInOrder(seqs("/slow"), await head()), null);
    for (const id of [bad, good, slow]) await t.request("DELETE", `/v1/tenants/${w.tenantA}/audit-sinks/${id}`, w.a.admin.as);
  });

  test("a gap in seq (a commit not yet visible) is waited for, never skipped", async () => {
    const chainB = tenantChain(w.tenantB);
    rx.setToken("/gap", "gap-token");
    tokens.push("gap-token");
    const id = await createSink(w.b.admin, { type: "http", url: `${rx.base}/gap`, token: "gap-token", format: "lockbox" }, `/v1/tenants/${w.tenantB}/audit-sinks`);
    await t.app.auditStreamer.runOnce();
    const h = await head(chainB);
    assert.equal(assertCompleteInOrder(seqs("/gap"), h), null);
    // Seq h+2 is visible and the head says h+2, but h+1 is not there yet.
    const raw = (seq: number) => ({
      chain: chainB,
      seq,
      id: `gap-${seq}-${w.tenantB}`,
      at: t.clock.now().toISOString(),
      operation: "operator.read",
      actor: JSON.stringify({ type: "user", id: "u", name: "U" }),
      actor_id: "u",
      target: JSON.stringify({ type: "resource", id: "r" }),
      request_id: null,
      details: "{}",
      prev_hash: "0".repeat(64),
      hash: String(seq).padStart(64, "0"),
    });
    await t.app.deps.db.insertInto("audit_events").values(raw(h + 2)).execute();
    await t.app.deps.db.updateTable("audit_heads").set({ seq: h + 2 }).where("chain", "=", chainB).execute();
    await t.app.auditStreamer.runOnce();
    const waiting = await t.request("GET", `/v1/tenants/${w.tenantB}/audit-sinks/${id}/status`, w.b.admin.as);
    assert.equal(waiting.body.lastDeliveredSeq, h, "nothing past the gap was sent");
    assert.equal(waiting.body.lag, 2);
    assert.ok(!seqs("/gap").includes(h + 2));
    await t.app.deps.db.insertInto("audit_events").values(raw(h + 1)).execute();
    await t.app.auditStreamer.runOnce();
    assert.equal(assertCompleteInOrder(seqs("/gap"), h + 2), null);
    await t.request("DELETE", `/v1/tenants/${w.tenantB}/audit-sinks/${id}`, w.b.admin.as);
  });

  test("the server restarted mid-stream resumes at the stored cursor; a lease left by a dead instance lapses", async () => {
    const id = await httpSink("/restart");
    await t.app.auditStreamer.runOnce();
    const before = await head();
    assert.equal((await status(id)).lastDeliveredSeq, before);
    await addEvents(60);
    rx.down("/restart");
    await t.app.auditStreamer.runOnce(); // fails: cursor stays at `before`
    await t.restart();
    rx.up("/restart");
    t.clock.advanceMinutes(1);
    await t.app.auditStreamer.runOnce();
    const after1 = seqs("/restart");
    assert.equal(assertCompleteInOrder(after1, await head()), null);
    assert.equal(after1.length, new Set(after1).size, "nothing delivered twice: the cursor survived the restart");

    // An instance that claimed the sink and died: the next one waits for the lease, then resumes.
    await addEvents(10);
    assert.ok(await claimSink(t.app.deps, id));
    await t.restart();
    const cursor = (await status(id)).lastDeliveredSeq;
    await t.app.auditStreamer.runOnce();
    assert.equal((await status(id)).lastDeliveredSeq, cursor, "the dead instance's lease still holds");
    t.clock.advanceMs(61_000);
    await t.app.auditStreamer.runOnce();
    assert.equal((await status(id)).lastDeliveredSeq, cursor + 10);
    assert.equal(assertCompleteInOrder(seqs("/restart"), await head()), null);
    await t.request("DELETE", `/v1/tenants/${w.tenantA}/audit-sinks/${id}`, w.a.admin.as);
  });

  test("two instances on one database deliver each sink once at a time", async () => {
    const second = await startTestApp({ LOCKBOX_WEBHOOK_ALLOW_PRIVATE: "1" }, t.database);
    try {
      second.clock.set(t.clock.now().toISOString());
      const id = await httpSink("/pair");
      await addEvents(600);
      await Promise.all([t.app.auditStreamer.runOnce(), second.app.auditStreamer.runOnce(), t.app.auditStreamer.runOnce()]);
      await Promise.all([t.app.auditStreamer.runOnce(), second.app.auditStreamer.runOnce()]);
      const got = seqs("/pair");
      const errors = [...t.logs, ...second.logs].filter((l) => l.includes('"level":50') || l.includes("audit sink")).join("\n").slice(0, 2000);
      assert.equal(assertCompleteInOrder(got, await head()), null, errors);
      assert.equal(got.length, new Set(got).size, "no event sent by both");
      await t.request("DELETE", `/v1/tenants/${w.tenantA}/audit-sinks/${id}`, w.a.admin.as);
    } finally {
      await second.app.close();
    }
  });

  test("tokens never appear in answers, logs or the database in clear", async () => {
    // A receiver that echoes the Authorization header in its error: the status keeps the error, not the token.
    const echoed = await httpSink("/echo");
    rx.echoAuth("/echo");
    await t.app.auditStreamer.runOnce();
    const echoStatus = await status(echoed);
    assert.match(echoStatus.lastError ?? "", /^HTTP 400: .*authorization: Bearer \[redacted\]/);
    const lists = [
      await t.request("GET", `/v1/tenants/${w.tenantA}/audit-sinks`, w.a.admin.as),
      await t.request("GET", "/v1/audit-sinks", w.providerAdmin.as),
      await t.request("GET", `/v1/audit?chain=${encodeURIComponent(chainA())}&limit=200`, w.a.admin.as),
      await t.request("GET", "/metrics", null),
    ];
    const rows = await t.app.deps.db.selectFrom("audit_sinks").selectAll().execute();
    const outbox = await t.app.deps.db.selectFrom("outbox").select("payload").execute();
    const haystack = [...lists.map((r) => JSON.stringify(r.body)), JSON.stringify(rows), JSON.stringify(outbox), t.logs.join("\n")].join("\n");
    assert.ok(tokens.length >= 5);
    for (const token of tokens) assert.ok(!haystack.includes(token), `token ${token.slice(0, 8)}… leaked`);
    assert.ok(rows.some((r) => r.token !== null), "tokens are stored (encrypted)");
    const created = await t.request("POST", `/v1/tenants/${w.tenantA}/audit-sinks`, w.a.admin.as, {
      type: "http",
      url: `${rx.base}/shown`,
      token: newToken("shown"),
      format: "lockbox",
    });
    assert.equal(created.body.hasToken, true);
    assert.ok(!JSON.stringify(created.body).includes(tokens.at(-1)!), "not even in the creation answer");
  });
});
