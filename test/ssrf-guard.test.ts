import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { isBlockedAddress } from "../src/notify/ssrf-guard.js";
import { sealWebhookSecret, webhookSecretKey } from "../src/notify/webhook-secrets.js";
import { allowDecisionsWithoutStepUp } from "./support/step-up.js";
import { startTestApp, type TestApp } from "./support/test-app.js";

/**
 * SPEC 13 "Webhook targets": only public unicast is a webhook target. The first release kept a
 * hand-made block-list and let IPv6 forms that embed or tunnel an IPv4 address through; these
 * tables are the regression for that finding.
 */
const refused: [string, string][] = [
  // the reported addresses
  ["64:ff9b::a9fe:a9fe", "NAT64 of 169.254.169.254"],
  ["2002:7f00:1::", "6to4 of 127.0.0.1"],
  ["::127.0.0.1", "IPv4-compatible 127.0.0.1"],
  ["fec0::1", "site-local"],
  // more of the same families
  ["64:ff9b::a00:1", "NAT64 of 10.0.0.1"],
  ["64:ff9b:1::1", "local-use NAT64 64:ff9b:1::/48"],
  ["2002:c0a8:101::1", "6to4 of 192.168.1.1"],
  ["2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo"],
  ["::7f00:1", "IPv4-compatible, hex form"],
  ["::a00:1", "IPv4-compatible 10.0.0.1"],
  ["::ffff:127.0.0.1", "IPv4-mapped loopback"],
  ["::ffff:8.8.8.8", "IPv4-mapped, even of a public address"],
  ["::ffff:0:a00:1", "RFC 6145 IPv4-translated"],
  ["fd12:3456:789a::1", "unique-local"],
  ["fc00::1", "unique-local"],
  ["fe80::1", "link-local"],
  ["febf::1", "link-local, top of fe80::/10"],
  ["ff02::1", "multicast"],
  ["::", "unspecified"],
  ["::1", "loopback"],
  ["100::1", "discard-only"],
  ["2001:db8::1", "documentation"],
  ["2001:2::1", "benchmarking"],
  ["2001:10::1", "ORCHID"],
  ["3fff::1", "documentation (RFC 9637)"],
  ["4000::1", "outside global unicast 2000::/3"],
  ["5f00::1", "segment routing"],
  ["0.0.0.0", "unspecified"],
  ["0.1.2.3", "this network"],
  ["127.0.0.1", "loopback"],
  ["127.255.255.254", "loopback"],
  ["10.0.0.1", "private"],
  ["172.16.0.1", "private"],
  ["172.31.255.255", "private"],
  ["192.168.0.1", "private"],
  ["169.254.169.254", "link-local (cloud metadata)"],
  ["100.64.0.1", "carrier-grade NAT"],
  ["100.127.255.254", "carrier-grade NAT"],
  ["192.0.0.8", "IETF protocol assignments"],
  ["192.0.2.1", "documentation"],
  ["198.51.100.7", "documentation"],
  ["203.0.113.9", "documentation"],
  ["198.18.0.1", "benchmarking"],
  ["198.19.255.255", "benchmarking"],
  ["224.0.0.1", "multicast"],
  ["239.255.255.250", "multicast"],
  ["240.0.0.1", "reserved"],
  ["255.255.255.255", "broadcast"],
  ["not-an-ip", "not an address"],
  ["", "empty"],
];

const allowed = ["93.184.216.34", "8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "2606:4700:4700::1111", "2a00:1450:4001:80b::200e", "2001:4860:4860::8888"];

test("the guard lets only public unicast through", () => {
  for (const [address, why] of refused) assert.equal(isBlockedAddress(address), true, `${address} (${why}) must be refused`);
  for (const address of allowed) assert.equal(isBlockedAddress(address), false, `${address} is public unicast`);
});

/** How each address is written as a URL host. */
const urlOf = (address: string, rest = "/hook") => `http://${address.includes(":") ? `[${address}]` : address}${rest}`;

describe("webhook registration refuses non-public literal targets", () => {
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
  after(() => t.close());

  test("every refused address, as a URL literal, gets 400 invalid_request naming url, at both scopes", async () => {
    const literals = refused.filter(([a]) => a !== "" && a !== "not-an-ip");
    for (const [address, why] of literals) {
      const url = urlOf(address);
      for (const [scope, as] of [
        [`/v1/tenants/${tenantId}/webhooks`, admin],
        ["/v1/webhooks", { token: t.adminToken }],
      ] as const) {
        const res = await t.request("POST", scope, as, { url });
        assert.equal(res.status, 400, `${url} (${why}) at ${scope}: ${res.status} ${JSON.stringify(res.body)}`);
        assert.equal(res.body.error.code, "invalid_request");
        assert.match(JSON.stringify(res.body.error), /url/);
      }
    }
    // Spellings the URL parser normalizes to one of the refused addresses.
    for (const url of ["http://[0:0:0:0:0:0:7f00:1]/", "http://[64:ff9b:0::169.254.169.254]/", "http://[FEC0::1]:8443/x", "http://0177.0.0.1/", "http://0x7f000001/"]) {
      const res = await t.request("POST", "/v1/webhooks", { token: t.adminToken }, { url });
      assert.equal(res.status, 400, `${url}: ${JSON.stringify(res.body)}`);
    }
  });

  test("a public literal is accepted", async () => {
    const res = await t.request("POST", "/v1/webhooks", { token: t.adminToken }, { url: "https://[2606:4700:4700::1111]/hook" });
    assert.equal(res.status, 201, JSON.stringify(res.body));
  });

  test("delivery checks again: a stored URL with such an address is never called", async () => {
    // As if these endpoints had been stored before the guard knew better (or by a restored backup).
    const stored = ["64:ff9b::a9fe:a9fe", "2002:7f00:1::", "::127.0.0.1", "fec0::1", "2001::1", "::ffff:127.0.0.1"];
    const key = webhookSecretKey(t.app.deps.config);
    for (const [i, address] of stored.entries()) {
      const id = `stored-${i}`;
      await t.app.deps.db
        .insertInto("webhooks")
        .values({
          id,
          tenant_id: null,
          url: urlOf(address, ":9/hook"),
          events: null,
          secret: sealWebhookSecret(key, id, "whsec_test"),
          created_by: t.admin.id,
          created_at: t.clock.now().toISOString(),
          disabled_at: null,
          disabled_reason: null,
          deleted_at: null,
        })
        .execute();
    }
    const engineer = await t.user(["engineer"], null);
    await t.request("POST", "/v1/services", { token: t.adminToken }, { key: "mail", name: "Mail", description: "Mail content" });
    const filed = await t.request("POST", "/v1/requests", { token: engineer.token }, {
      tenantId,
      ticket: "SSRF-13",
      reason: "check",
      services: ["mail"],
      accessLevel: "read",
      requestedMinutes: 30,
    });
    assert.equal(filed.status, 201, JSON.stringify(filed.body));
    await t.app.dispatcher.runOnce();
    for (const [i, address] of stored.entries()) {
      const log = await t.request("GET", `/v1/webhooks/stored-${i}/deliveries`, { token: t.adminToken });
      assert.equal(log.status, 200);
      assert.equal(log.body.items.length, 1, address);
      assert.equal(log.body.items[0].ok, false, address);
      assert.match(log.body.items[0].error, /blocked address/, `${address}: ${log.body.items[0].error}`);
    }
  });
});

describe("LOCKBOX_WEBHOOK_ALLOW_PRIVATE=1 is the escape hatch", () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ LOCKBOX_WEBHOOK_ALLOW_PRIVATE: "1" });
  });
  after(() => t.close());

  test("the same targets are accepted", async () => {
    for (const address of ["64:ff9b::a9fe:a9fe", "fec0::1", "10.0.0.1"]) {
      const res = await t.request("POST", "/v1/webhooks", { token: t.adminToken }, { url: urlOf(address) });
      assert.equal(res.status, 201, `${address}: ${JSON.stringify(res.body)}`);
    }
  });
});
