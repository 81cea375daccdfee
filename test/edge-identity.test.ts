import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type Kysely, type Migration, Migrator, sql } from "kysely";
import { connectDb } from "../src/db/connect.js";
import { migrateToLatest } from "../src/db/migrate.js";
import * as m0001 from "../src/db/migrations/0001-initial.js";
import * as m0002 from "../src/db/migrations/0002-enforcement.js";
import * as m0003 from "../src/db/migrations/0003-notifications.js";
import * as m0004 from "../src/db/migrations/0004-checkpoints.js";
import * as m0005 from "../src/db/migrations/0005-session-idle.js";
import { insertUser } from "../src/identity/manage-users.js";
import { hashPassword } from "../src/identity/passwords.js";
import { ADMIN_PASSWORD, startTestApp, type TestApp } from "./support/test-app.js";
import { createTestDatabase } from "./support/test-database.js";
import { buildWorld, type World } from "./support/world.js";

/** SPEC §13, the identity side of the enforcement edge. */

let t: TestApp;
let w: World;
before(async () => {
  t = await startTestApp();
  w = await buildWorld(t);
});
after(() => t.close());

let ipCounter = 0;
const freshIp = () => `172.20.${Math.floor(++ipCounter / 250)}.${(ipCounter % 250) + 1}`;

async function login(email: string, password: string, remoteAddress = freshIp()) {
  const res = await t.app.server.inject({ method: "POST", url: "/v1/auth/login", payload: { email, password }, remoteAddress });
  return { status: res.statusCode, body: res.json(), cookie: res.cookies.find((c) => c.name === "lockbox_session")?.value };
}

/** Events of one operation about one target in one chain. */
async function eventsOf(chain: string, operation: string, targetId?: string) {
  const rows = await t.app.deps.db
    .selectFrom("audit_events")
    .select(["actor", "target", "details"])
    .where("chain", "=", chain)
    .where("operation", "=", operation)
    .orderBy("pos")
    .execute();
  return rows
    .map((r) => ({ actor: JSON.parse(r.actor), target: JSON.parse(r.target), details: JSON.parse(r.details) }))
    .filter((e) => targetId === undefined || e.target.id === targetId);
}

const count = (statuses: number[], status: number) => statuses.filter((s) => s === status).length;

describe("throttles cannot be raced", () => {
  test("60 parallel wrong passwords for one account evaluate at most 10, and the right one is then refused", async () => {
    const { user, password } = await t.user(["engineer"], null);
    const statuses = (await Promise.all(Array.from({ length: 60 }, () => login(user.email, "wrong password!!")))).map((r) => r.status);
    // Each evaluated password of an existing provider account leaves one user.sign_in_failed.
    const evaluated = (await eventsOf("provider", "user.sign_in_failed", user.id)).length;
    assert.ok(evaluated <= 10, `${evaluated} passwords evaluated`);
    assert.ok(count(statuses, 401) <= 10, `${count(statuses, 401)} answered 401`);
    assert.equal(count(statuses, 401) + count(statuses, 429), 60);
    assert.equal((await login(user.email, password)).status, 429, "locked: the right password is refused");
  });

  test("60 parallel guesses from one address at many accounts evaluate at most 10", async () => {
    const ip = freshIp();
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => login(`race${i}@nowhere.test`, "wrong password!!", ip)));
    const statuses = results.map((r) => r.status);
    assert.ok(count(statuses, 401) <= 10, `${count(statuses, 401)} answered 401`);
    assert.equal((await login(t.admin.email, ADMIN_PASSWORD, ip)).status, 429);
  });

  test("a successful sign-in does not use up the address's budget", async () => {
    const ip = freshIp();
    for (let i = 0; i < 12; i++) assert.equal((await login(t.admin.email, ADMIN_PASSWORD, ip)).status, 200, `sign-in ${i}`);
  });

  test("60 parallel invalid invitation tokens from one address evaluate at most 10; a valid one is then refused", async () => {
    const created = await t.request("POST", "/v1/users", w.a.admin.as, { email: "race.invitee@alpha.test", name: "Racer", roles: ["auditor"] });
    assert.equal(created.status, 201);
    const ip = freshIp();
    const accept = (token: string) =>
      t.app.server
        .inject({ method: "POST", url: "/v1/invitations/accept", payload: { token, password: "a long enough password" }, remoteAddress: ip })
        .then((r) => r.statusCode);
    const statuses = await Promise.all(Array.from({ length: 60 }, (_, i) => accept(`inv_race-guess-${i}`)));
    assert.ok(count(statuses, 410) <= 10, `${count(statuses, 410)} tokens evaluated`);
    assert.equal(count(statuses, 410) + count(statuses, 429), 60);
    assert.equal(await accept(created.body.invitation.token), 429);
  });
});

describe("the first admin is witnessed", () => {
  test("user.created and user.activated (with IP) land in the tenant and provider chains while auditing is off", async () => {
    const created = await t.request("POST", "/v1/tenants", { token: t.adminToken }, { name: "Gamma", adminEmail: "first@gamma.test" });
    assert.equal(created.status, 201);
    const tenantId = created.body.tenant.id as string;
    const settings = await t.request("GET", `/v1/tenants/${tenantId}/settings`, { token: t.adminToken });
    assert.equal(settings.body.auditingEnabled, false);
    const adminId = (await t.app.deps.db.selectFrom("users").select("id").where("tenant_id", "=", tenantId).executeTakeFirstOrThrow()).id;

    for (const chain of [`tenant:${tenantId}`, "provider"]) {
      const [made] = await eventsOf(chain, "user.created", adminId);
      assert.ok(made, `${chain}: user.created of the first admin`);
      assert.equal(made.details.email, "first@gamma.test");
    }

    const accepted = await t.app.server.inject({
      method: "POST",
      url: "/v1/invitations/accept",
      payload: { token: created.body.invitation.token, password: "first admin password" },
      remoteAddress: "198.51.100.23",
    });
    assert.equal(accepted.statusCode, 200);
    for (const chain of [`tenant:${tenantId}`, "provider"]) {
      const [activated] = await eventsOf(chain, "user.activated", adminId);
      assert.ok(activated, `${chain}: user.activated`);
      assert.equal(activated.actor.ip, "198.51.100.23", chain);
    }

    // The first admin invites a colleague: witnessed too.
    const session = await login("first@gamma.test", "first admin password");
    assert.equal(session.status, 200);
    const colleague = await t.request(
      "POST",
      "/v1/users",
      { cookie: session.cookie!, csrf: session.body.csrfToken },
      { email: "second@gamma.test", name: "Second", roles: ["auditor"] },
    );
    assert.equal(colleague.status, 201);
    for (const chain of [`tenant:${tenantId}`, "provider"]) {
      assert.equal((await eventsOf(chain, "user.created", colleague.body.user.id)).length, 1, `${chain}: the colleague's user.created`);
    }
    // Sign-ins follow auditingEnabled (off): neither chain records them.
    assert.equal((await eventsOf(`tenant:${tenantId}`, "user.signed_in")).length, 0);
    assert.equal((await eventsOf("provider", "user.signed_in", adminId)).length, 0);
  });
});

describe("emails are unique within an org only", () => {
  test("a duplicate in another org is neither refused nor revealed; in the same org it is refused", async () => {
    const asA = w.a.admin.as;
    const provider = await t.request("POST", "/v1/users", asA, { email: t.admin.email, name: "Same as provider", roles: ["auditor"] });
    assert.equal(provider.status, 201, JSON.stringify(provider.body));
    const otherTenant = await t.request("POST", "/v1/users", asA, { email: w.b.approver.user.email.toUpperCase(), name: "Same as B", roles: ["auditor"] });
    assert.equal(otherTenant.status, 201, JSON.stringify(otherTenant.body));
    const again = await t.request("POST", "/v1/users", asA, { email: w.b.approver.user.email, name: "Twice in A", roles: ["auditor"] });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, "email_taken");
    const providerTwice = await t.request("POST", "/v1/users", { token: t.adminToken }, { email: t.admin.email, name: "Twice", roles: ["engineer"] });
    assert.equal(providerTwice.status, 409, "the provider's own org is unique too (tenant_id NULL)");
  });

  test("two concurrent creations of one address in one org: one 201, one 409 email_taken, never a 500", async () => {
    for (let i = 0; i < 3; i++) {
      const body = { email: `racer${i}@alpha.test`, name: "Racer", roles: ["auditor"] };
      const answers = await Promise.all([t.request("POST", "/v1/users", w.a.admin.as, body), t.request("POST", "/v1/users", w.a.admin.as, body)]);
      assert.deepEqual(answers.map((a) => a.status).sort(), [201, 409], JSON.stringify(answers.map((a) => a.body)));
      assert.equal(answers.find((a) => a.status === 409)!.body.error.code, "email_taken");
    }
  });

  test("a tenant admin cannot block the provider onboarding a customer by taking its admin's address first", async () => {
    const taken = await t.request("POST", "/v1/users", w.a.admin.as, { email: "boss@newco.test", name: "Squatter", roles: ["auditor"] });
    assert.equal(taken.status, 201);
    const onboard = await t.request("POST", "/v1/tenants", { token: t.adminToken }, { name: "NewCo", adminEmail: "boss@newco.test" });
    assert.equal(onboard.status, 201, JSON.stringify(onboard.body));
  });

  test("sign-in with an email in two orgs: the password picks the account; a failure is recorded in neither tenant", async () => {
    const email = "twice@shared.test";
    const [hashA, hashB] = await Promise.all([hashPassword("password of A account"), hashPassword("password of B account")]);
    const now = t.clock.now();
    const [inA, inB] = await t.app.deps.db.transaction().execute(async (trx) => [
      await insertUser(trx, { email, name: "Twice A", roles: ["auditor"], tenantId: w.tenantA, passwordHash: hashA }, now),
      await insertUser(trx, { email, name: "Twice B", roles: ["auditor"], tenantId: w.tenantB, passwordHash: hashB }, now),
    ]);
    const a = await login(email, "password of A account");
    assert.equal(a.status, 200);
    assert.equal(a.body.user.id, inA!.id);
    const b = await login(email, "password of B account");
    assert.equal(b.status, 200);
    assert.equal(b.body.user.id, inB!.id);
    const wrong = await login(email, "neither of the two");
    assert.equal(wrong.status, 401);
    // Tenant A audits sign-ins; a failure that could be either person's is not put in its chain.
    assert.equal((await eventsOf(`tenant:${w.tenantA}`, "user.sign_in_failed", inA!.id)).length, 0);
    assert.equal((await eventsOf(`tenant:${w.tenantA}`, "user.signed_in", inA!.id)).length, 1);
  });
});

describe("migration 0006: the email index moves to (org, email)", () => {
  const upTo0005: Record<string, Migration> = {
    "0001-initial": m0001,
    "0002-enforcement": m0002,
    "0003-notifications": m0003,
    "0004-checkpoints": m0004,
    "0005-session-idle": m0005,
  };

  test("keeps every user and what refers to them, and enforces (org, email)", async () => {
    const database = await createTestDatabase();
    const db = connectDb(database) as unknown as Kysely<any>;
    try {
      const migrator = new Migrator({ db, provider: { getMigrations: async () => upTo0005 } });
      const { error } = await migrator.migrateToLatest();
      assert.ifError(error);
      const at = "2026-01-01T00:00:00.000Z";
      await db.insertInto("tenants").values({
        id: "t1", name: "T1", created_at: at, auditing_enabled: 0, lockbox_enabled: 0, approval_window_minutes: 720,
        max_access_minutes: 240, required_approvals: 1, protected_services: '"all"', notification_emails: "[]",
      }).execute();
      const user = (id: string, tenant_id: string | null, email: string) => ({
        id, tenant_id, email, name: id, roles: "[]", password_hash: null, status: "invited", created_at: at,
      });
      await db.insertInto("users").values([user("u1", null, "a@x.test"), user("u2", "t1", "b@x.test")]).execute();
      await db.insertInto("sessions").values({ id_hash: "s1", user_id: "u2", csrf_token: "c", created_at: at, expires_at: at, last_seen_at: at }).execute();
      await db.insertInto("api_tokens").values({ id: "k1", user_id: "u1", name: "k", token_hash: "h1", created_at: at, expires_at: null }).execute();
      await db.insertInto("invitations").values({ id: "i1", user_id: "u2", token_hash: "h2", created_at: at, expires_at: at, accepted_at: null }).execute();

      await migrateToLatest(db);

      assert.equal((await db.selectFrom("users").select("id").execute()).length, 2);
      assert.equal((await db.selectFrom("sessions").select("id_hash").execute()).length, 1, "no cascade took the sessions");
      assert.equal((await db.selectFrom("api_tokens").select("id").execute()).length, 1);
      assert.equal((await db.selectFrom("invitations").select("id").execute()).length, 1);
      if (database.kind === "sqlite") {
        assert.deepEqual((await sql`PRAGMA foreign_key_check`.execute(db)).rows, []);
        assert.equal((await sql<{ foreign_keys: number }>`PRAGMA foreign_keys`.execute(db)).rows[0]?.foreign_keys, 1);
      }
      // Another org may hold the same address; the same org may not, the provider (NULL) included.
      await db.insertInto("users").values(user("u3", "t1", "a@x.test")).execute();
      await db.insertInto("users").values(user("u4", null, "b@x.test")).execute();
      await assert.rejects(db.insertInto("users").values(user("u5", "t1", "b@x.test")).execute());
      await assert.rejects(db.insertInto("users").values(user("u6", null, "a@x.test")).execute());
      // Foreign keys still hold after the rebuild.
      await assert.rejects(db.insertInto("sessions").values({ id_hash: "s2", user_id: "nobody", csrf_token: "c", created_at: at, expires_at: at, last_seen_at: at }).execute());
    } finally {
      await db.destroy();
      await database.drop();
    }
  });
});
