import assert from "node:assert/strict";
import { createHmac, timingSafeEqual } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { isBlockedAddress } from "../src/notify/ssrf-guard.js";
import { sealWebhookSecret, webhookSecretKey } from "../src/notify/webhook-secrets.js";
import { allowDecisionsWithoutStepUp } from "./support/step-up.js";
import { startTestApp, type TestApp } from "./support/test-app.js";

/**
 * `t.close()`, but lets the PostgreSQL pool's sockets finish closing before the test database is
 * dropped WITH (FORCE). pg-pool's end() resolves before its sockets close; a forced drop then
 * kills those backends, and the pool (it has no 'error' listener, see src/db/connect.ts) turns
 * that into an uncaught exception. The dispatcher's parallel deliveries open enough connections
 * to make that race show up here.
 */
async function closeTestApp(t: TestApp): Promise<void> {
  await t.app.close();
  await new Promise((resolve) => setTimeout(resolve, 250));
  await t.database.drop();
}
import { buildWorld, fileRequest, type World } from "./support/world.js";

interface Delivery {
  path: string;
  raw: string;
  body: { id: string; type: string; createdAt: string; data: { id: string; tenantId: string; status: string; ticket: string } };
  signature: string;
  signatureValid: boolean;
}

/**
 * A real HTTP receiver. It knows each path's secret and verifies every signature the way
 * docs/notifications.md tells receivers to; `failNext(path)` answers that path's next POST with 500.
 */
async function startReceiver() {
  const secrets = new Map<string, string>();
  const failures = new Map<string, number>();
  const received: Delivery[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks).toString();
      const p = req.url ?? "/";
      const signature = String(req.headers["lockbox-signature"] ?? "");
      const parts = Object.fromEntries(signature.split(",").map((kv) => kv.split("=", 2) as [string, string]));
      const expected = createHmac("sha256", secrets.get(p) ?? "").update(`${parts.t}.${raw}`).digest("hex");
      const signatureValid =
        typeof parts.v1 === "string" && parts.v1.length === expected.length && timingSafeEqual(Buffer.from(parts.v1), Buffer.from(expected));
      received.push({ path: p, raw, body: JSON.parse(raw), signature, signatureValid });
      const fail = failures.get(p) ?? 0;
      if (p.startsWith("/always-fails") || fail > 0) {
        failures.set(p, Math.max(0, fail - 1));
        res.writeHead(500).end("nope");
        return;
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    received,
    setSecret: (p: string, secret: string) => secrets.set(p, secret),
    failNext: (p: string) => failures.set(p, 1),
    at: (p: string) => received.filter((d) => d.path === p),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

type Receiver = Awaited<ReturnType<typeof startReceiver>>;

describe("webhooks", () => {
  let rx: Receiver;
  let t: TestApp;
  let w: World;
  let tenantHook: string;

  before(async () => {
    rx = await startReceiver();
    t = await startTestApp({ LOCKBOX_WEBHOOK_ALLOW_PRIVATE: "1" });
    w = await buildWorld(t);
  });
  after(async () => {
    await closeTestApp(t);
    await rx.close();
  });

  async function register(scope: string, as: { token: string }, p: string, events?: string[], base = rx.base) {
    const res = await t.request("POST", scope, as, { url: `${base}${p}`, ...(events ? { events } : {}) });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.match(res.body.secret, /^whsec_/);
    rx.setSecret(p, res.body.secret);
    return res.body.id as string;
  }

  test("registration returns the secret once; the list never shows it", async () => {
    tenantHook = await register(`/v1/tenants/${w.tenantA}/webhooks`, w.a.admin.as, "/tenant-a");
    // By name: delivery resolves it through the guarded lookup (allowed here by the flag).
    await register("/v1/webhooks", w.providerAdmin.as, "/provider", ["request.created"], rx.base.replace("127.0.0.1", "localhost"));
    await register(`/v1/tenants/${w.tenantB}/webhooks`, w.b.admin.as, "/tenant-b");
    const list = await t.request("GET", `/v1/tenants/${w.tenantA}/webhooks`, w.a.admin.as);
    assert.equal(list.status, 200);
    assert.equal(list.body.items.length, 1);
    assert.equal(list.body.items[0].id, tenantHook);
    assert.equal(list.body.items[0].url, `${rx.base}/tenant-a`);
    assert.ok(!JSON.stringify(list.body).includes("whsec_"), "secret shown only at registration");
    const stored = await t.app.deps.db.selectFrom("webhooks").select("secret").where("id", "=", tenantHook).executeTakeFirstOrThrow();
    assert.ok(!stored.secret.includes("whsec_"), "the secret is encrypted at rest");
    const provider = await t.request("GET", "/v1/webhooks", w.providerAdmin.as);
    assert.deepEqual(provider.body.items[0].events, ["request.created"]);
  });

  test("deliveries are signed, carry the request, and reach only the tenant's and the provider's endpoints", async () => {
    const id = await fileRequest(w, { ticket: "HOOK-1" });
    await t.app.dispatcher.runOnce();
    const [a] = rx.at("/tenant-a");
    const [p] = rx.at("/provider");
    assert.ok(a && p, "both endpoints got request.created");
    for (const d of [a, p]) {
      assert.equal(d.signatureValid, true, d.signature);
      assert.match(d.signature, /^t=\d+,v1=[0-9a-f]{64}$/);
      assert.equal(d.body.type, "request.created");
      assert.equal(d.body.data.id, id);
      assert.equal(d.body.data.ticket, "HOOK-1");
      assert.equal(d.body.data.status, "pending_manager");
      assert.equal(d.body.createdAt, "2026-01-05T09:00:00.000Z");
    }
    assert.equal(a.body.id, p.body.id, "the event id is the audit event's");
    const audit = await t.request("GET", `/v1/audit?chain=tenant:${w.tenantA}&requestId=${id}`, w.providerAdmin.as);
    assert.equal(audit.body.items[0].id, a.body.id);
    assert.equal(rx.at("/tenant-b").length, 0, "tenant B never sees tenant A's requests");

    // Tenant B's own request reaches B and the provider, not A.
    await fileRequest(w, { ticket: "HOOK-B", tenantId: w.tenantB });
    await t.app.dispatcher.runOnce();
    assert.equal(rx.at("/tenant-b").length, 1);
    assert.equal(rx.at("/tenant-a").length, 1);
    assert.equal(rx.at("/provider").length, 2);
  });

  test("a failed delivery is retried after 30 s with the same id and body; the log shows both attempts", async () => {
    const id = await fileRequest(w, { ticket: "HOOK-2" });
    await t.app.dispatcher.runOnce();
    rx.failNext("/tenant-a");
    await t.request("POST", `/v1/requests/${id}/approve`, w.manager.as, {});
    await t.app.dispatcher.runOnce();
    const isApproval = (d: Delivery) => d.body.type === "request.manager_approved" && d.body.data.id === id;
    assert.equal(rx.at("/tenant-a").filter(isApproval).length, 1, "first attempt answered 500");
    assert.equal(rx.at("/provider").filter(isApproval).length, 0, "the provider filtered on request.created");

    await t.app.dispatcher.runOnce();
    assert.equal(rx.at("/tenant-a").filter(isApproval).length, 1, "no retry before the backoff");
    t.clock.advanceMs(30_000);
    await t.app.dispatcher.runOnce();
    const attempts = rx.at("/tenant-a").filter(isApproval);
    assert.equal(attempts.length, 2);
    assert.equal(attempts[0]!.body.id, attempts[1]!.body.id, "same id on the retry");
    assert.equal(attempts[0]!.raw, attempts[1]!.raw, "same body on the retry");
    assert.ok(attempts.every((d) => d.signatureValid));
    assert.equal(attempts[1]!.body.data.status, "pending_customer");

    const log = await t.request("GET", `/v1/tenants/${w.tenantA}/webhooks/${tenantHook}/deliveries`, w.a.admin.as);
    assert.equal(log.status, 200);
    const mine = log.body.items.filter((d: { eventId: string }) => d.eventId === attempts[0]!.body.id);
    assert.deepEqual(
      mine.map((d: { attempt: number; ok: boolean; statusCode: number }) => [d.attempt, d.ok, d.statusCode]),
      [
        [2, true, 204],
        [1, false, 500],
      ],
    );
  });

  test("permissions: tenant webhooks are the tenant global admin's; provider webhooks the provider admin's", async () => {
    const body = { url: `${rx.base}/x` };
    const tenantUrl = `/v1/tenants/${w.tenantA}/webhooks`;
    const cases: [string, { token: string }, number][] = [
      ["tenant approver", w.a.approver.as, 403],
      ["tenant auditor", w.a.auditor.as, 403],
      ["other tenant's admin", w.b.admin.as, 404],
      ["provider admin", w.providerAdmin.as, 403],
      ["manager", w.manager.as, 403],
      ["engineer", w.engineer.as, 403],
    ];
    for (const [who, as, status] of cases) {
      for (const [method, url, b] of [
        ["POST", tenantUrl, body],
        ["GET", tenantUrl, undefined],
        ["GET", `${tenantUrl}/${tenantHook}/deliveries`, undefined],
        ["DELETE", `${tenantUrl}/${tenantHook}`, undefined],
      ] as const) {
        const res = await t.request(method, url, as, b);
        assert.equal(res.status, status, `${who} ${method} ${url}: ${JSON.stringify(res.body)}`);
      }
    }
    for (const [who, as] of [
      ["tenant admin", w.a.admin.as],
      ["manager", w.manager.as],
      ["engineer", w.engineer.as],
    ] as const) {
      assert.equal((await t.request("POST", "/v1/webhooks", as, body)).status, 403, who);
      assert.equal((await t.request("GET", "/v1/webhooks", as)).status, 403, who);
    }
    assert.equal((await t.request("GET", "/v1/webhooks", null)).status, 401);
    // Another owner's webhook id is simply not there.
    const bHooks = await t.request("GET", `/v1/tenants/${w.tenantB}/webhooks`, w.b.admin.as);
    const bHook = bHooks.body.items[0].id as string;
    assert.equal((await t.request("DELETE", `/v1/tenants/${w.tenantA}/webhooks/${bHook}`, w.a.admin.as)).status, 404);
    assert.equal((await t.request("DELETE", `/v1/webhooks/${bHook}`, w.providerAdmin.as)).status, 404);
  });

  test("a deleted endpoint gets nothing more", async () => {
    const extra = await register(`/v1/tenants/${w.tenantA}/webhooks`, w.a.admin.as, "/deleted");
    const del = await t.request("DELETE", `/v1/tenants/${w.tenantA}/webhooks/${extra}`, w.a.admin.as);
    assert.equal(del.status, 204);
    await fileRequest(w, { ticket: "HOOK-3" });
    await t.app.dispatcher.runOnce();
    assert.equal(rx.at("/deleted").length, 0);
    const list = await t.request("GET", `/v1/tenants/${w.tenantA}/webhooks`, w.a.admin.as);
    assert.ok(!list.body.items.some((h: { id: string }) => h.id === extra));
    assert.equal((await t.request("GET", `/v1/tenants/${w.tenantA}/webhooks/${extra}/deliveries`, w.a.admin.as)).status, 404);
  });

  test("an endpoint failing for 24 h is disabled and its owner is mailed", async () => {
    const failing = await register(`/v1/tenants/${w.tenantB}/webhooks`, w.b.admin.as, "/always-fails");
    await fileRequest(w, { ticket: "HOOK-4", tenantId: w.tenantB });
    await t.app.dispatcher.runOnce();
    for (let hour = 0; hour < 26; hour += 1) {
      t.clock.advanceMinutes(61);
      await t.app.dispatcher.runOnce();
    }
    const attempts = rx.at("/always-fails");
    assert.ok(attempts.length >= 24 && attempts.length < 40, `${attempts.length} attempts`);
    assert.equal(new Set(attempts.map((d) => d.body.id)).size, 1, "one event, retried");
    const list = await t.request("GET", `/v1/tenants/${w.tenantB}/webhooks`, w.b.admin.as);
    const hook = list.body.items.find((h: { id: string }) => h.id === failing);
    assert.ok(hook.disabledAt, "disabled");
    assert.equal(hook.disabledReason, "HTTP 500");
    const before = attempts.length;
    await fileRequest(w, { ticket: "HOOK-5", tenantId: w.tenantB });
    t.clock.advanceMinutes(5);
    await t.app.dispatcher.runOnce();
    assert.equal(rx.at("/always-fails").length, before, "a disabled endpoint gets nothing");

    // No SMTP in this app: the owner's mail is an .eml file (to tenant B's global admin only).
    const dir = path.join(t.database.dataDir, "mail");
    const disabledMails = fs
      .readdirSync(dir)
      .map((f) => fs.readFileSync(path.join(dir, f), "utf8"))
      .filter((m) => m.includes("was disabled"));
    assert.equal(disabledMails.length, 1);
    assert.ok(disabledMails[0]!.includes(`To: ${w.b.admin.user.email}`));
  });
});

describe("webhook URLs and the SSRF guard", () => {
  let t: TestApp;
  let tenantId: string;
  let admin: { token: string };
  before(async () => {
    t = await startTestApp(); // LOCKBOX_WEBHOOK_ALLOW_PRIVATE not set
    const res = await t.request("POST", "/v1/tenants", { token: t.adminToken }, { name: "Gamma", adminEmail: "admin@gamma.test" });
    tenantId = res.body.tenant.id;
    // Webhook creation needs step-up in a new tenant; this suite is about URLs (see step-up-http.test.ts).
    await allowDecisionsWithoutStepUp(t, tenantId);
    admin = { token: (await t.user(["global_admin"], tenantId)).token };
  });
  after(() => closeTestApp(t));

  test("bad URLs get 400: not http(s), private or loopback targets, credentials, over-long", async () => {
    const bad = [
      "ftp://example.com/hook",
      "file:///etc/passwd",
      "javascript:alert(1)",
      "not a url",
      "http://127.0.0.1:8080/hook",
      "http://localhost/hook",
      "http://10.1.2.3/hook",
      "http://192.168.1.10/hook",
      "http://172.20.0.1/hook",
      "http://169.254.169.254/latest/meta-data",
      "http://0.0.0.0/",
      "http://2130706433/hook",
      "http://0x7f.0.0.1/hook",
      "http://[::1]/hook",
      "http://[fd00::1]/hook",
      "http://[fe80::1]/hook",
      "http://[::ffff:127.0.0.1]/hook",
      "https://user:pass@example.com/hook",
      `https://example.com/${"a".repeat(2100)}`,
    ];
    for (const url of bad) {
      for (const [scope, as] of [
        [`/v1/tenants/${tenantId}/webhooks`, admin],
        ["/v1/webhooks", { token: t.adminToken }],
      ] as const) {
        const res = await t.request("POST", scope, as, { url });
        assert.equal(res.status, 400, `${url}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.error.code, "invalid_request");
      }
    }
    const events = await t.request("POST", "/v1/webhooks", { token: t.adminToken }, { url: "https://example.com/", events: ["user.created"] });
    assert.equal(events.status, 400, "events must be request operations");
  });

  test("the guard classifies addresses", () => {
    for (const a of ["127.0.0.1", "10.0.0.1", "172.31.255.255", "192.168.0.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "::", "::1", "fc00::1", "fe80::1", "::ffff:10.0.0.1", "224.0.0.1"]) {
      assert.equal(isBlockedAddress(a), true, a);
    }
    for (const a of ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "172.32.0.1"]) {
      assert.equal(isBlockedAddress(a), false, a);
    }
  });

  test("delivery checks again: an endpoint that now points at a private address is not called", async () => {
    let hits = 0;
    const server = http.createServer((_req, res) => {
      hits += 1;
      res.writeHead(204).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      // As if the endpoint had passed registration and its address changed since (DNS rebinding).
      await t.app.deps.db
        .insertInto("webhooks")
        .values({
          id: "rebound",
          tenant_id: null,
          url: `http://127.0.0.1:${port}/hook`,
          events: null,
          secret: sealWebhookSecret(webhookSecretKey(t.app.deps.config), "rebound", "whsec_test"),
          created_by: t.admin.id,
          created_at: t.clock.now().toISOString(),
          disabled_at: null,
          disabled_reason: null,
          deleted_at: null,
        })
        .execute();
      const engineer = await t.user(["engineer"], null);
      await t.request("POST", "/v1/services", { token: t.adminToken }, { key: "mail", name: "Mail", description: "Mail content" });
      const filed = await t.request("POST", "/v1/requests", { token: engineer.token }, {
        tenantId,
        ticket: "SSRF-1",
        reason: "check",
        services: ["mail"],
        accessLevel: "read",
        requestedMinutes: 30,
      });
      assert.equal(filed.status, 201, JSON.stringify(filed.body));
      await t.app.dispatcher.runOnce();
      assert.equal(hits, 0, "the private address was never contacted");
      const log = await t.request("GET", "/v1/webhooks/rebound/deliveries", { token: t.adminToken });
      assert.equal(log.body.items.length, 1);
      assert.equal(log.body.items[0].ok, false);
      assert.match(log.body.items[0].error, /blocked/);

      // The same through a host name: the guarded lookup refuses what the name resolves to.
      await t.app.deps.db.updateTable("webhooks").set({ url: `http://localhost:${port}/hook` }).where("id", "=", "rebound").execute();
      const again = await t.request("POST", "/v1/requests", { token: engineer.token }, {
        tenantId,
        ticket: "SSRF-2",
        reason: "check",
        services: ["mail"],
        accessLevel: "read",
        requestedMinutes: 30,
      });
      assert.equal(again.status, 201);
      await t.app.dispatcher.runOnce();
      assert.equal(hits, 0, "localhost was never contacted");
      const log2 = await t.request("GET", "/v1/webhooks/rebound/deliveries", { token: t.adminToken });
      assert.equal(log2.body.items.length, 2);
      assert.match(log2.body.items[0].error, /blocked/);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
