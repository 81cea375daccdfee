import assert from "node:assert/strict";
import net from "node:net";
import { after, before, describe, test } from "node:test";
import { sql } from "kysely";
import { ConfigError, loadConfig } from "../src/config.js";
import { ADMIN_PASSWORD, startTestApp, type TestApp } from "./support/test-app.js";
import { buildWorld, type World } from "./support/world.js";

/**
 * SPEC §13, the HTTP side of the enforcement edge: the client address behind a proxy, the
 * envelope on answers Node's parser makes, the admin center at `/`, compare-and-set settings and
 * a durable SQLite.
 */

async function login(t: TestApp, email: string, password: string, remoteAddress: string, xff?: string) {
  const res = await t.app.server.inject({
    method: "POST",
    url: "/v1/auth/login",
    payload: { email, password },
    remoteAddress,
    headers: xff ? { "x-forwarded-for": xff } : {},
  });
  return { status: res.statusCode, body: res.json() };
}

/** The `actor.ip` of the newest event of this operation by this actor, read from the database. */
async function lastActorIp(t: TestApp, operation: string, actorId: string): Promise<string | undefined> {
  const row = await t.app.deps.db
    .selectFrom("audit_events")
    .select("actor")
    .where("operation", "=", operation)
    .where("actor_id", "=", actorId)
    .orderBy("pos", "desc")
    .executeTakeFirst();
  return row ? (JSON.parse(row.actor) as { ip?: string }).ip : undefined;
}

describe("LOCKBOX_TRUST_PROXY configuration", () => {
  test("takes a hop count or a list of addresses and CIDRs; anything else names the variable", () => {
    assert.equal(loadConfig({}).trustProxy, undefined);
    assert.equal(loadConfig({ LOCKBOX_TRUST_PROXY: "1" }).trustProxy, 1);
    assert.deepEqual(loadConfig({ LOCKBOX_TRUST_PROXY: "10.0.0.0/8, 192.168.1.7,::1, fd00::/8,loopback" }).trustProxy, [
      "10.0.0.0/8",
      "192.168.1.7",
      "::1",
      "fd00::/8",
      "loopback",
    ]);
    for (const bad of ["true", "0", "-1", "10.0.0.0/33", "10.0.0", "proxy.example.com", "10.0.0.1,,", "*"]) {
      assert.throws(() => loadConfig({ LOCKBOX_TRUST_PROXY: bad }), (e: unknown) => {
        assert.ok(e instanceof ConfigError, bad);
        assert.match(e.message, /^invalid configuration: LOCKBOX_TRUST_PROXY /, bad);
        return true;
      });
    }
  });
});

describe("without LOCKBOX_TRUST_PROXY, X-Forwarded-For is ignored", () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  test("a spoofed X-Forwarded-For changes neither the throttle key nor actor.ip", async () => {
    const ok = await login(t, t.admin.email, ADMIN_PASSWORD, "192.0.2.10", "203.0.113.99");
    assert.equal(ok.status, 200);
    assert.equal(await lastActorIp(t, "user.signed_in", t.admin.id), "192.0.2.10");
    // Ten failures from one socket address, each claiming another client: the address is braked.
    for (let i = 0; i < 10; i++) {
      assert.equal((await login(t, `nobody${i}@example.test`, "wrong password!", "192.0.2.11", `203.0.113.${i}`)).status, 401);
    }
    const braked = await login(t, t.admin.email, ADMIN_PASSWORD, "192.0.2.11", "203.0.113.200");
    assert.equal(braked.status, 429);
  });
});

describe("with LOCKBOX_TRUST_PROXY, the client address comes from X-Forwarded-For", () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ LOCKBOX_TRUST_PROXY: "10.0.0.0/8" });
  });
  after(() => t.close());

  test("audit actor.ip is the client's, not the proxy's", async () => {
    const ok = await login(t, t.admin.email, ADMIN_PASSWORD, "10.0.0.5", "198.51.100.7");
    assert.equal(ok.status, 200);
    assert.equal(await lastActorIp(t, "user.signed_in", t.admin.id), "198.51.100.7");
  });

  test("one client's failures through the proxy do not lock out everyone behind it", async () => {
    for (let i = 0; i < 10; i++) {
      assert.equal((await login(t, `guess${i}@example.test`, "wrong password!", "10.0.0.5", "198.51.100.66")).status, 401);
    }
    assert.equal((await login(t, t.admin.email, ADMIN_PASSWORD, "10.0.0.5", "198.51.100.66")).status, 429, "the guesser is braked");
    assert.equal((await login(t, t.admin.email, ADMIN_PASSWORD, "10.0.0.5", "198.51.100.67")).status, 200, "another client is not");
  });

  test("a peer outside the trusted list cannot choose its address", async () => {
    const ok = await login(t, t.admin.email, ADMIN_PASSWORD, "192.0.2.50", "198.51.100.8");
    assert.equal(ok.status, 200);
    assert.equal(await lastActorIp(t, "user.signed_in", t.admin.id), "192.0.2.50");
  });
});

describe("with LOCKBOX_TRUST_PROXY as a hop count", () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ LOCKBOX_TRUST_PROXY: "1" });
  });
  after(() => t.close());

  test("the address the nearest proxy saw is the client, not what the client put in front of it", async () => {
    const ok = await login(t, t.admin.email, ADMIN_PASSWORD, "10.0.0.5", "203.0.113.1, 198.51.100.9");
    assert.equal(ok.status, 200);
    assert.equal(await lastActorIp(t, "user.signed_in", t.admin.id), "198.51.100.9");
  });
});

describe("every answer is the envelope, also those of Node's HTTP parser", () => {
  let t: TestApp;
  let port: number;
  before(async () => {
    t = await startTestApp();
    await t.app.server.listen({ port: 0, host: "127.0.0.1" });
    port = (t.app.server.server.address() as net.AddressInfo).port;
  });
  after(() => t.close());

  /** Sends raw bytes and reads the whole answer until the server closes the connection. */
  function raw(bytes: string): Promise<{ status: number; headers: string; body: string }> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, "127.0.0.1");
      let data = "";
      socket.setEncoding("latin1");
      socket.on("data", (chunk) => (data += chunk));
      socket.on("error", reject);
      socket.on("close", () => {
        const [head = "", body = ""] = data.split("\r\n\r\n");
        resolve({ status: Number(head.split(" ")[1]), headers: head, body });
      });
      socket.write(bytes);
    });
  }

  test("431 for oversized headers", async () => {
    const res = await raw(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`);
    assert.equal(res.status, 431);
    assert.match(res.headers, /content-type: application\/json/i);
    const body = JSON.parse(res.body);
    assert.equal(body.error.code, "headers_too_large");
    assert.equal(typeof body.error.message, "string");
  });

  test("400 for a bad request line", async () => {
    const res = await raw("NOT A REQUEST LINE\r\n\r\n");
    assert.equal(res.status, 400);
    const body = JSON.parse(res.body);
    assert.equal(body.error.code, "invalid_request");
    assert.equal(typeof body.error.message, "string");
  });
});

describe("GET / serves the admin center whatever the Accept header", () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  test("curl's */*, none, or JSON: a page path gets the page; API paths keep the JSON 404", async () => {
    for (const headers of [{}, { accept: "*/*" }, { accept: "application/json" }] as Record<string, string>[]) {
      for (const path of ["/", "/requests", "/settings/x"]) {
        const res = await t.request("GET", path, null, undefined, headers);
        assert.equal(res.status, 200, `${path} ${JSON.stringify(headers)}`);
        assert.match(String(res.headers["content-type"]), /text\/html/);
      }
    }
    for (const path of ["/v1/nope", "/.well-known/nope", "/docs/nope/x", "/assets/nope.js", "/healthzz/x"]) {
      const res = await t.request("GET", path, null, undefined, { accept: "text/html" });
      if (path === "/healthzz/x") {
        assert.equal(res.status, 200, "only the listed prefixes are API paths");
        continue;
      }
      assert.equal(res.status, 404, path);
      assert.equal(res.body.error.code, "not_found", path);
    }
  });
});

describe("SQLite durability", () => {
  test("synchronous is FULL by default and NORMAL with LOCKBOX_SQLITE_SYNCHRONOUS=normal", async () => {
    assert.equal(loadConfig({}).sqliteSynchronous, "full");
    assert.equal(loadConfig({ LOCKBOX_SQLITE_SYNCHRONOUS: "NORMAL" }).sqliteSynchronous, "normal");
    assert.throws(() => loadConfig({ LOCKBOX_SQLITE_SYNCHRONOUS: "off" }), /LOCKBOX_SQLITE_SYNCHRONOUS/);
    for (const [env, expected] of [[{}, 2], [{ LOCKBOX_SQLITE_SYNCHRONOUS: "normal" }, 1]] as const) {
      const t = await startTestApp(env);
      try {
        if (t.database.kind !== "sqlite") return;
        const { rows } = await sql<{ synchronous: number }>`PRAGMA synchronous`.execute(t.app.deps.db);
        assert.equal(rows[0]?.synchronous, expected, JSON.stringify(env));
      } finally {
        await t.close();
      }
    }
  });
});

describe("settings changes are compare-and-set", () => {
  let t: TestApp;
  let w: World;
  before(async () => {
    t = await startTestApp();
    w = await buildWorld(t);
  });
  after(() => t.close());

  const settings = (tenantId: string) => `/v1/tenants/${tenantId}/settings`;

  test("two concurrent PATCHes of different fields both land, each audited with its own change", async () => {
    for (let round = 0; round < 5; round++) {
      const window = 60 + round;
      const access = 30 + round;
      const [a, b] = await Promise.all([
        t.request("PATCH", settings(w.tenantA), w.a.admin.as, { approvalWindowMinutes: window }),
        t.request("PATCH", settings(w.tenantA), w.a.admin.as, { maxAccessMinutes: access }),
      ]);
      assert.equal(a.status, 200);
      assert.equal(b.status, 200);
      const now = (await t.request("GET", settings(w.tenantA), w.a.admin.as)).body;
      assert.equal(now.approvalWindowMinutes, window, `round ${round}: the window change was lost`);
      assert.equal(now.maxAccessMinutes, access, `round ${round}: the access change was lost`);
    }
    const rows = await t.app.deps.db
      .selectFrom("audit_events")
      .select("details")
      .where("chain", "=", `tenant:${w.tenantA}`)
      .where("operation", "=", "tenant.settings_changed")
      .orderBy("pos", "desc")
      .limit(10)
      .execute();
    const changed = rows.map((r) => Object.keys(JSON.parse(r.details).changes).join(","));
    assert.equal(changed.filter((c) => c === "approvalWindowMinutes").length, 5, JSON.stringify(changed));
    assert.equal(changed.filter((c) => c === "maxAccessMinutes").length, 5, JSON.stringify(changed));
  });

  test("turning auditing off racing turning lockbox on never ends with lockbox on and auditing off", async () => {
    for (let round = 0; round < 5; round++) {
      const reset = await t.request("PATCH", settings(w.tenantB), w.b.admin.as, { lockboxEnabled: false, auditingEnabled: true });
      assert.equal(reset.status, 200);
      const [off, on] = await Promise.all([
        t.request("PATCH", settings(w.tenantB), w.b.admin.as, { auditingEnabled: false }),
        t.request("PATCH", settings(w.tenantB), w.b.admin.as, { lockboxEnabled: true }),
      ]);
      const now = (await t.request("GET", settings(w.tenantB), w.b.admin.as)).body;
      assert.ok(!(now.lockboxEnabled && !now.auditingEnabled), `round ${round}: ${JSON.stringify(now)}`);
      assert.deepEqual([off.status, on.status].sort(), [200, 409], `round ${round}: exactly one wins`);
      const loser = off.status === 409 ? off : on;
      assert.equal(loser.body.error.code, "auditing_required");
    }
  });
});
