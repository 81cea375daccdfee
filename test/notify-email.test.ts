import assert from "node:assert/strict";
import fs from "node:fs";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { SMTPServer } from "smtp-server";
import { claimDue, createDispatcher } from "../src/notify/dispatcher.js";
import { createMailer } from "../src/notify/mailer.js";
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

/** A mail as the SMTP server received it: envelope recipients, headers unfolded, body decoded. */
interface Received {
  to: string[];
  raw: string;
  subject: string;
  messageId: string;
  idempotencyKey: string;
  body: string;
}

const decodeQuotedPrintable = (s: string) =>
  s.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)));

function parseMail(to: string[], raw: string): Received {
  const [head = "", ...rest] = raw.split(/\r?\n\r?\n/);
  const headers = head.replace(/\r?\n[ \t]+/g, " ");
  const header = (name: string) => new RegExp(`^${name}: (.*)$`, "im").exec(headers)?.[1]?.trim() ?? "";
  return {
    to,
    raw,
    subject: header("Subject"),
    messageId: header("Message-ID"),
    idempotencyKey: header("X-Lockbox-Idempotency-Key"),
    body: decodeQuotedPrintable(rest.join("\n\n")),
  };
}

/** A real SMTP server on a free port; `refuseNext` makes it answer the next RCPT with a 451. */
async function startSmtp() {
  const mails: Received[] = [];
  let refuse = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onRcptTo(_address, _session, callback) {
      if (refuse > 0) {
        refuse -= 1;
        const err = Object.assign(new Error("try again later"), { responseCode: 451 });
        return callback(err);
      }
      return callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        mails.push(parseMail(session.envelope.rcptTo.map((r) => r.address.toLowerCase()), Buffer.concat(chunks).toString()));
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    mails,
    refuseNext(n: number) {
      refuse = n;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

type Smtp = Awaited<ReturnType<typeof startSmtp>>;

describe("notification mails over SMTP", () => {
  let smtp: Smtp;
  let t: TestApp;
  let w: World;
  let ticketNo = 0;
  const watcher = "watch@alpha.example";

  before(async () => {
    smtp = await startSmtp();
    t = await startTestApp({ LOCKBOX_SMTP_URL: `smtp://127.0.0.1:${smtp.port}` });
    w = await buildWorld(t);
    const res = await t.request("PATCH", `/v1/tenants/${w.tenantA}/settings`, w.a.admin.as, { notificationEmails: [watcher] });
    assert.equal(res.status, 200);
  });
  after(async () => {
    await closeTestApp(t);
    await smtp.close();
  });

  const newTicket = () => `NOTIFY-${++ticketNo}`;
  /** Delivers what is due and returns the mails about this ticket received since the last call. */
  let seen = 0;
  async function deliver(ticket: string): Promise<Received[]> {
    await t.app.dispatcher.runOnce();
    const fresh = smtp.mails.slice(seen);
    seen = smtp.mails.length;
    return fresh.filter((m) => m.body.includes(ticket));
  }
  const recipientsOf = (mails: Received[]) => mails.flatMap((m) => m.to).sort();
  const emails = (...actors: { user: { email: string } }[]) => actors.map((a) => a.user.email.toLowerCase());
  const tenantA = () => [...emails(w.a.admin, w.a.approver, w.a.approver2), watcher];

  test("creation mails the provider managers only, with ticket, tenant, services, deadline and link", async () => {
    const ticket = newTicket();
    const id = await fileRequest(w, { ticket, services: ["mail", "files"], requestedMinutes: 45 });
    const mails = await deliver(ticket);
    assert.deepEqual(recipientsOf(mails), emails(w.manager, w.manager2).sort());
    const m = mails[0]!;
    assert.match(m.subject, /New data access request NOTIFY-\d+ for Alpha/);
    assert.ok(m.body.includes(`http://lockbox.test/requests/${id}`), "deep link to the request");
    for (const part of ["Alpha", "mail, files", "45 minutes", "Decide by", "2026-01-05T21:00:00.000Z"]) {
      assert.ok(m.body.includes(part), `body has ${part}`);
    }
    assert.match(m.raw, /Content-Type: text\/plain/i);
    assert.match(m.raw, /Content-Type: text\/html/i);
    assert.doesNotMatch(m.body, /lbx_|whsec_|\/login|invitation/i, "no token and no sign-in link");
    assert.equal(m.idempotencyKey.startsWith("mail:"), true);
    assert.match(m.messageId, /^<[0-9a-f]{40}@lockbox>$/);
    assert.deepEqual(await deliver(ticket), [], "nothing is sent twice");
  });

  test("the customer's deciders and notification emails hear when they must decide; never auditors or other tenants", async () => {
    const ticket = newTicket();
    const id = await fileRequest(w, { ticket });
    await deliver(ticket);
    const res = await t.request("POST", `/v1/requests/${id}/approve`, w.manager.as, { comment: "looks right" });
    assert.equal(res.body.status, "pending_customer");
    const mails = await deliver(ticket);
    assert.deepEqual(recipientsOf(mails), [...tenantA(), ...emails(w.engineer)].sort());
    const all = recipientsOf(mails);
    for (const never of emails(w.a.auditor, w.b.admin, w.b.approver, w.b.auditor, w.providerAdmin)) {
      assert.ok(!all.includes(never), `${never} must not be mailed`);
    }
    const approverMail = mails.find((m) => m.to.includes(w.a.approver.user.email.toLowerCase()))!;
    assert.match(approverMail.subject, /Approval needed/);
    assert.ok(approverMail.body.includes(res.body.decideBy), "deadline in ISO form");
    assert.ok(approverMail.body.includes(`http://lockbox.test/requests/${id}`));
    assert.ok(approverMail.body.includes("looks right"), "the manager's comment");
  });

  test("the requester is told its request passed the manager, never sent the approvers' \"Approval needed\" mail", async () => {
    const ticket = newTicket();
    const id = await fileRequest(w, { ticket });
    await deliver(ticket);
    assert.equal((await t.request("POST", `/v1/requests/${id}/approve`, w.manager.as, {})).body.status, "pending_customer");
    const mails = await deliver(ticket);
    const mine = mails.filter((m) => m.to.includes(w.engineer.user.email.toLowerCase()));
    assert.equal(mine.length, 1);
    assert.doesNotMatch(mine[0]!.subject, /Approval needed/);
    assert.doesNotMatch(mine[0]!.body, /Approve or deny/);
    assert.match(mine[0]!.subject, /passed the manager and waits for Alpha/);
    const theirs = mails.filter((m) => !m.to.includes(w.engineer.user.email.toLowerCase()));
    assert.ok(theirs.length > 0);
    for (const m of theirs) assert.match(m.subject, /Approval needed/);
  });

  test("lockbox off: the manager's approval opens access and the tenant (only that tenant) hears at once", async () => {
    const ticket = newTicket();
    const id = await fileRequest(w, { ticket, tenantId: w.tenantB });
    await deliver(ticket);
    const res = await t.request("POST", `/v1/requests/${id}/approve`, w.manager.as, {});
    assert.equal(res.body.status, "approved");
    const mails = await deliver(ticket);
    assert.deepEqual(recipientsOf(mails), emails(w.b.admin, w.b.approver, w.b.approver2, w.engineer).sort());
    assert.match(mails[0]!.subject, /was approved/);
    assert.ok(mails[0]!.body.includes("Beta") && mails[0]!.body.includes("Access ends"));
  });

  test("the requester hears every decision; the tenant hears revoke", async () => {
    const ticket = newTicket();
    const id = await fileRequest(w, { ticket });
    await t.request("POST", `/v1/requests/${id}/approve`, w.manager.as, {});
    await deliver(ticket);
    const ok = await t.request("POST", `/v1/requests/${id}/approve`, w.a.approver.as, { grantedMinutes: 30 });
    assert.equal(ok.body.status, "approved");
    const approved = await deliver(ticket);
    assert.deepEqual(recipientsOf(approved), emails(w.engineer));
    assert.match(approved[0]!.subject, /was approved by Alpha/);
    assert.ok(approved[0]!.body.includes("30 minutes (requested 60)"));

    const revoked = await t.request("POST", `/v1/requests/${id}/revoke`, w.a.admin.as, { comment: "done here" });
    assert.equal(revoked.body.status, "revoked");
    const mails = await deliver(ticket);
    assert.deepEqual(recipientsOf(mails), [...tenantA(), ...emails(w.engineer)].sort());
    assert.match(mails[0]!.subject, /revoked/);
  });

  test("reject and deny go to the requester only", async () => {
    const t1 = newTicket();
    const r1 = await fileRequest(w, { ticket: t1 });
    await deliver(t1);
    await t.request("POST", `/v1/requests/${r1}/deny`, w.manager.as, { comment: "no ticket context" });
    const rejected = await deliver(t1);
    assert.deepEqual(recipientsOf(rejected), emails(w.engineer));
    assert.match(rejected[0]!.subject, /rejected/);

    const t2 = newTicket();
    const r2 = await fileRequest(w, { ticket: t2 });
    await t.request("POST", `/v1/requests/${r2}/approve`, w.manager.as, {});
    await deliver(t2);
    await t.request("POST", `/v1/requests/${r2}/deny`, w.a.approver2.as, {});
    const denied = await deliver(t2);
    assert.deepEqual(recipientsOf(denied), emails(w.engineer));
    assert.match(denied[0]!.subject, /denied by Alpha/);
  });

  test("a reminder goes out once, one hour before decideBy (injected clock)", async () => {
    const ticket = newTicket();
    const id = await fileRequest(w, { ticket });
    await t.request("POST", `/v1/requests/${id}/approve`, w.manager.as, {});
    await deliver(ticket);
    t.clock.advanceMinutes(720 - 61); // 61 minutes left: not yet
    assert.deepEqual(await deliver(ticket), []);
    t.clock.advanceMinutes(2); // 59 minutes left
    const reminders = await deliver(ticket);
    assert.deepEqual(recipientsOf(reminders), tenantA().sort());
    assert.match(reminders[0]!.subject, /Reminder/);
    assert.ok(reminders[0]!.body.includes(`http://lockbox.test/requests/${id}`));
    t.clock.advanceMinutes(10);
    assert.deepEqual(await deliver(ticket), [], "one reminder per stage");

    // Nobody decides: the sweeper expires it and the tenant and the requester hear.
    t.clock.advanceMinutes(60);
    await t.app.sweeper.runOnce();
    const expired = await deliver(ticket);
    assert.deepEqual(recipientsOf(expired), [...tenantA(), ...emails(w.engineer)].sort());
    assert.match(expired[0]!.subject, /expired/);
  });

  test("a request still waiting for a manager reminds the managers", async () => {
    const ticket = newTicket();
    await fileRequest(w, { ticket });
    await deliver(ticket);
    t.clock.advanceMinutes(720 - 30);
    const reminders = await deliver(ticket);
    assert.deepEqual(recipientsOf(reminders), emails(w.manager, w.manager2).sort());
    assert.match(reminders[0]!.subject, /Reminder/);
    assert.ok(reminders[0]!.body.includes("waiting for a provider manager"));
    t.clock.advanceMinutes(31);
    await t.app.sweeper.runOnce();
    await deliver(ticket);
  });

  test("a release mails the tenant; the end of the window mails tenant and requester", async () => {
    const t1 = newTicket();
    const r1 = await fileRequest(w, { ticket: t1 });
    await t.request("POST", `/v1/requests/${r1}/approve`, w.manager.as, {});
    await t.request("POST", `/v1/requests/${r1}/approve`, w.a.approver.as, {});
    await deliver(t1);
    await t.request("POST", `/v1/requests/${r1}/complete`, w.engineer.as);
    assert.deepEqual(recipientsOf(await deliver(t1)), tenantA().sort());

    const t2 = newTicket();
    const r2 = await fileRequest(w, { ticket: t2, requestedMinutes: 15 });
    await t.request("POST", `/v1/requests/${r2}/approve`, w.manager.as, {});
    await t.request("POST", `/v1/requests/${r2}/approve`, w.a.approver.as, {});
    await deliver(t2);
    t.clock.advanceMinutes(16);
    await t.app.sweeper.runOnce();
    const ended = await deliver(t2);
    assert.deepEqual(recipientsOf(ended), [...tenantA(), ...emails(w.engineer)].sort());
    assert.match(ended[0]!.subject, /has ended/);
  });

  test("a refused mail is retried after 30 s under the same idempotency key", async () => {
    const ticket = newTicket();
    smtp.refuseNext(1);
    await fileRequest(w, { ticket });
    const first = await deliver(ticket);
    assert.equal(first.length, 1, "one of the two managers got it, the other was refused");
    assert.deepEqual(await deliver(ticket), [], "no retry before the backoff");
    t.clock.advanceMinutes(1);
    const retry = await deliver(ticket);
    assert.equal(retry.length, 1);
    assert.deepEqual(recipientsOf([...first, ...retry]), emails(w.manager, w.manager2).sort());
    const row = await t.app.deps.db
      .selectFrom("outbox")
      .select(["attempts", "status", "idempotency_key"])
      .where("destination", "=", retry[0]!.to[0]!)
      .where("idempotency_key", "=", retry[0]!.idempotencyKey)
      .executeTakeFirstOrThrow();
    assert.equal(row.attempts, 2);
    assert.equal(row.status, "sent");
  });

  test("a started dispatcher delivers right after the commit, without waiting for its poll", async () => {
    const ticket = newTicket();
    t.app.dispatcher.start();
    try {
      const startedAt = Date.now();
      await fileRequest(w, { ticket });
      while (smtp.mails.filter((m) => m.body.includes(ticket)).length < 2 && Date.now() - startedAt < 4000) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const mails = smtp.mails.filter((m) => m.body.includes(ticket));
      assert.deepEqual(recipientsOf(mails), emails(w.manager, w.manager2).sort());
      assert.ok(Date.now() - startedAt < 4000, "woken by the commit (the poll is every 5 s)");
    } finally {
      await t.app.dispatcher.stop();
    }
    seen = smtp.mails.length;
  });

  test("a dispatcher killed between claiming and delivering: the rows are delivered after the lease", async () => {
    const ticket = newTicket();
    await fileRequest(w, { ticket });
    const claimed = await claimDue(t.app.deps, 100); // ... and the process dies here
    assert.ok(claimed.length >= 2);
    assert.deepEqual(await deliver(ticket), [], "still leased to the dead dispatcher");
    t.clock.advanceMinutes(3);
    const restarted = createDispatcher(t.app.deps, createMailer(t.app.deps.config, t.app.deps.log));
    await restarted.runOnce();
    const mails = await deliver(ticket);
    assert.deepEqual(recipientsOf(mails), emails(w.manager, w.manager2).sort());
    const pending = await t.app.deps.db.selectFrom("outbox").select("id").where("status", "=", "pending").execute();
    assert.equal(pending.length, 0);
  });
});

describe("outbox housekeeping", () => {
  test("finished messages are deleted after 30 days; pending ones never", async () => {
    const t = await startTestApp();
    try {
      const w = await buildWorld(t);
      await fileRequest(w, { ticket: "OLD-1" });
      await t.app.dispatcher.runOnce();
      const db = t.app.deps.db;
      const sent = await db.selectFrom("outbox").select("id").where("status", "=", "sent").execute();
      assert.equal(sent.length, 2);
      // A pending row that cannot be delivered yet (due in the far future) must survive.
      await db.updateTable("outbox").set({ status: "pending", next_attempt_at: "2099-01-01T00:00:00.000Z" }).where("id", "=", sent[0]!.id).execute();
      t.clock.advanceMinutes(29 * 24 * 60);
      await t.app.dispatcher.runOnce();
      assert.equal((await db.selectFrom("outbox").select("id").where("id", "=", sent[1]!.id).execute()).length, 1, "kept for 30 days");
      t.clock.advanceMinutes(2 * 24 * 60);
      await t.app.dispatcher.runOnce();
      const left = await db.selectFrom("outbox").select("id").where("id", "in", sent.map((r) => r.id)).execute();
      assert.deepEqual(left.map((r) => r.id), [sent[0]!.id]);
    } finally {
      await closeTestApp(t);
    }
  });
});

describe("without SMTP, mails become .eml files", () => {
  test("each mail is written under <dataDir>/mail and logged", async () => {
    const t = await startTestApp();
    try {
      const w = await buildWorld(t);
      const id = await fileRequest(w, { ticket: "EML-1" });
      await t.app.dispatcher.runOnce();
      const dir = path.join(t.database.dataDir, "mail");
      const files = fs.readdirSync(dir).filter((f) => f.endsWith(".eml"));
      assert.equal(files.length, 2, "one file per manager");
      const text = files.map((f) => decodeQuotedPrintable(fs.readFileSync(path.join(dir, f), "utf8")));
      for (const mail of text) {
        assert.ok(mail.includes("EML-1"));
        assert.ok(mail.includes(`http://lockbox.test/requests/${id}`));
      }
      assert.ok(text.some((m) => m.includes(w.manager.user.email)));
      assert.ok(t.logs.some((l) => l.includes("mail written") && l.includes(".eml")));
    } finally {
      await closeTestApp(t);
    }
  });
});

describe("two servers on one database", () => {
  test("their dispatchers split the outbox: every mail is sent exactly once", async () => {
    const smtp = await startSmtp();
    const env = { LOCKBOX_SMTP_URL: `smtp://127.0.0.1:${smtp.port}` };
    const one = await startTestApp(env);
    const two = await startTestApp(env, one.database);
    try {
      const w = await buildWorld(one);
      for (let i = 0; i < 15; i += 1) await fileRequest(w, { ticket: `PAIR-${i}` });
      const expected = await one.app.deps.db.selectFrom("outbox").select("idempotency_key").where("kind", "=", "email").execute();
      assert.equal(expected.length, 30, "15 requests x 2 managers");
      await Promise.all([one.app.dispatcher.runOnce(), two.app.dispatcher.runOnce(), one.app.dispatcher.runOnce(), two.app.dispatcher.runOnce()]);
      const keys = smtp.mails.map((m) => m.idempotencyKey);
      assert.equal(keys.length, 30, "no mail twice");
      assert.deepEqual([...new Set(keys)].sort(), expected.map((e) => e.idempotency_key).sort());
    } finally {
      await two.close();
      await closeTestApp(one);
      await smtp.close();
    }
  });
});
