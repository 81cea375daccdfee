import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { appendAudit } from "../src/audit/append-audit.js";
import { tenantChain } from "../src/audit/audit-event.js";
import { validateOcsf } from "./support/ocsf-validate.js";
import { assertCompleteInOrder } from "./support/siem-receivers.js";
import { startTestApp, type TestApp } from "./support/test-app.js";
import { buildWorld, fileRequest, type World } from "./support/world.js";

/**
 * Syslog sinks against Debian's rsyslog: started here on loopback ports with its own
 * configuration — imtcp with octet-counted framing, once in the clear and once over TLS (the
 * ossl network stream driver, rsyslog-openssl) with a CA made here — writing every message's
 * RFC 5424 fields to a file this test reads.
 */
const RSYSLOGD = ["/usr/sbin/rsyslogd", "/sbin/rsyslogd"].find((p) => fs.existsSync(p));
const OSSL_DRIVER = ["/usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_ossl.so", "/usr/lib/aarch64-linux-gnu/rsyslog/lmnsd_ossl.so"].some((p) => fs.existsSync(p));

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });

async function waitFor(what: string, check: () => boolean | Promise<boolean>, tries = 400): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const canConnect = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    s.on("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.on("error", () => resolve(false));
  });

interface Rsyslog {
  port: number;
  file: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  lines(): { pri: number; time: string; host: string; app: string; procid: string; msgid: string; msg: any }[];
}

/** One rsyslogd in the foreground with its own config, pid file and work folder. */
function rsyslog(dir: string, name: string, port: number, tls?: { ca: string; cert: string; key: string }): Rsyslog {
  const work = path.join(dir, name);
  fs.mkdirSync(work, { recursive: true });
  const file = path.join(work, "received.log");
  const conf = path.join(work, "rsyslog.conf");
  fs.writeFileSync(
    conf,
    [
      `global(workDirectory="${work}" maxMessageSize="64k"${tls ? ` defaultNetstreamDriver="ossl" defaultNetstreamDriverCAFile="${tls.ca}" defaultNetstreamDriverCertFile="${tls.cert}" defaultNetstreamDriverKeyFile="${tls.key}"` : ""})`,
      `module(load="imtcp"${tls ? ' streamDriver.name="ossl" streamDriver.mode="1" streamDriver.authMode="anon"' : ""})`,
      `input(type="imtcp" address="127.0.0.1" port="${port}" supportOctetCountedFraming="on")`,
      'template(name="fields" type="string" string="%pri%|%timereported:::date-rfc3339%|%hostname%|%app-name%|%procid%|%msgid%|%msg%\\n")',
      `action(type="omfile" file="${file}" template="fields")`,
    ].join("\n"),
  );
  let child: ChildProcess | undefined;
  const instance: Rsyslog = {
    port,
    file,
    async start() {
      child = spawn(RSYSLOGD!, ["-n", "-f", conf, "-i", path.join(work, "rsyslogd.pid")], { stdio: ["ignore", "ignore", "pipe"] });
      let stderr = "";
      child.stderr?.on("data", (c: Buffer) => (stderr += c.toString()));
      await waitFor(`rsyslogd ${name} on ${port} (${stderr})`, () => canConnect(port));
    },
    async stop() {
      if (!child || child.exitCode !== null) return;
      const exited = new Promise((resolve) => child!.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    },
    lines() {
      if (!fs.existsSync(file)) return [];
      return fs
        .readFileSync(file, "utf8")
        .split("\n")
        .filter((l) => l.length > 0)
        .map((l) => {
          const [pri, time, host, app, procid, msgid, ...rest] = l.split("|");
          return { pri: Number(pri), time: time!, host: host!, app: app!, procid: procid!, msgid: msgid!, msg: JSON.parse(rest.join("|")) };
        });
    },
  };
  return instance;
}

/** A CA and a server certificate for `siem.test` and 127.0.0.1, made with openssl. */
function makeCertificates(dir: string) {
  const f = (n: string) => path.join(dir, n);
  const openssl = (...args: string[]) => execFileSync("openssl", args, { stdio: "pipe" });
  openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Lockbox test CA", "-keyout", f("ca.key"), "-out", f("ca.pem"));
  openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=siem.test", "-keyout", f("server.key"), "-out", f("server.csr"));
  fs.writeFileSync(f("san.cnf"), "subjectAltName=DNS:siem.test,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
  openssl("x509", "-req", "-in", f("server.csr"), "-CA", f("ca.pem"), "-CAkey", f("ca.key"), "-CAcreateserial", "-days", "2", "-extfile", f("san.cnf"), "-out", f("server.pem"));
  return { ca: f("ca.pem"), cert: f("server.pem"), key: f("server.key") };
}

if (!RSYSLOGD) {
  test("syslog sinks against rsyslog: SKIPPED, rsyslogd is not installed (apt-get install rsyslog rsyslog-openssl)", { skip: true }, () => {});
} else {
  describe("syslog sinks (RFC 5424, octet-counted) against rsyslog", () => {
    let dir: string;
    let t: TestApp;
    let w: World;
    let plain: Rsyslog;
    let secure: Rsyslog | undefined;
    let certs: ReturnType<typeof makeCertificates>;
    const head = async () =>
      Number((await t.app.deps.db.selectFrom("audit_heads").select("seq").where("chain", "=", tenantChain(w.tenantA)).executeTakeFirstOrThrow()).seq);
    const scope = () => `/v1/tenants/${w.tenantA}/audit-sinks`;
    async function addEvents(n: number): Promise<void> {
      await t.app.deps.db.transaction().execute(async (trx) => {
        for (let i = 0; i < n; i++) {
          await appendAudit(trx, {
            chain: tenantChain(w.tenantA),
            at: t.clock.now(),
            operation: "operator.read",
            actor: { type: "user", id: w.engineer.user.id, name: "Zoë \"quoted\" | piped" },
            target: { type: "resource", id: `mailbox/${i}` },
            details: { operation: "read", note: "line one\nline two" },
          });
        }
      });
    }

    before(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "lockbox-rsyslog-"));
      certs = makeCertificates(dir);
      plain = rsyslog(dir, "tcp", await freePort());
      await plain.start();
      if (OSSL_DRIVER) {
        secure = rsyslog(dir, "tls", await freePort(), certs);
        await secure.start();
      }
      t = await startTestApp({ LOCKBOX_WEBHOOK_ALLOW_PRIVATE: "1" });
      w = await buildWorld(t);
    });
    after(async () => {
      await plain?.stop();
      await secure?.stop();
      await t?.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    test("over TCP: every event of the chain as one RFC 5424 message, in order, OCSF in MSG", async () => {
      const res = await t.request("POST", scope(), w.a.admin.as, { type: "syslog", url: `tcp://127.0.0.1:${plain.port}`, format: "ocsf" });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      await fileRequest(w);
      await addEvents(620); // more than one batch, with characters that would break line framing
      await t.app.auditStreamer.runOnce();
      const h = await head();
      await waitFor("rsyslog to write every message", () => plain.lines().length >= h);
      const lines = plain.lines();
      assert.equal(assertCompleteInOrder(lines.map((l) => l.msg.unmapped.seq), h), null);
      for (const l of lines) {
        assert.ok(l.pri === 110 || l.pri === 109, `PRI ${l.pri}: facility 13 (log audit)`);
        assert.equal(l.app, "lockbox");
        assert.equal(l.host, "lockbox.test");
        assert.equal(l.msgid, l.msg.unmapped.operation.slice(0, 32));
        assert.equal(Date.parse(l.time), Date.parse(l.msg.unmapped.at));
        assert.deepEqual(validateOcsf(l.msg), []);
      }
      assert.equal(lines.at(-1)!.msg.unmapped.details.note, "line one\nline two", "a newline inside a record survives octet counting");
      const status = await t.request("GET", `${scope()}/${res.body.id}/status`, w.a.admin.as);
      assert.equal(status.body.lag, 0);
    });

    test("rsyslog down, then back: delivery resumes at the cursor and nothing is missing", async () => {
      const sinks = await t.request("GET", scope(), w.a.admin.as);
      const id = sinks.body.items.find((s: { type: string }) => s.type === "syslog").id as string;
      await plain.stop();
      await addEvents(25);
      await t.app.auditStreamer.runOnce();
      const down = await t.request("GET", `${scope()}/${id}/status`, w.a.admin.as);
      assert.match(down.body.lastError, /ECONNREFUSED|connect/);
      assert.equal(down.body.lag, 25);
      await plain.start();
      t.clock.advanceMinutes(1);
      await t.app.auditStreamer.runOnce();
      const h = await head();
      await waitFor("the backlog in rsyslog's file", () => plain.lines().some((l) => l.msg.unmapped.seq === h));
      assert.equal(assertCompleteInOrder(plain.lines().map((l) => l.msg.unmapped.seq), h), null);
      await t.request("DELETE", `${scope()}/${id}`, w.a.admin.as);
    });

    test("over TLS with the test CA: delivered; without the CA the connection is refused, not downgraded", async (ctx) => {
      if (!secure) return ctx.skip("rsyslog's ossl stream driver is not installed (apt-get install rsyslog-openssl)");
      const ca = fs.readFileSync(certs.ca, "utf8");
      const trusted = await t.request("POST", scope(), w.a.admin.as, {
        type: "syslog",
        url: `tls://127.0.0.1:${secure.port}`,
        format: "lockbox",
        tls: { ca, serverName: "siem.test" },
      });
      assert.equal(trusted.status, 201, JSON.stringify(trusted.body));
      const untrusted = await t.request("POST", scope(), w.a.admin.as, { type: "syslog", url: `tls://127.0.0.1:${secure.port}`, format: "lockbox" });
      const wrongName = await t.request("POST", scope(), w.a.admin.as, {
        type: "syslog",
        url: `tls://127.0.0.1:${secure.port}`,
        format: "lockbox",
        tls: { ca, serverName: "other.test" },
      });
      await t.app.auditStreamer.runOnce();
      const h = await head();
      await waitFor("rsyslog (TLS) to write every message", () => secure!.lines().length >= h);
      const lines = secure.lines();
      assert.equal(assertCompleteInOrder(lines.map((l) => l.msg.seq), h), null);
      assert.equal(lines.length, h, "only the trusted sink got through");
      assert.ok(lines.every((l) => typeof l.msg.hash === "string" && l.msg.chain === tenantChain(w.tenantA)), "lockbox format: the export form");
      for (const refused of [untrusted, wrongName]) {
        const s = await t.request("GET", `${scope()}/${refused.body.id}/status`, w.a.admin.as);
        assert.equal(s.body.lastDeliveredSeq, 0);
        assert.match(s.body.lastError, /certificate|self.signed|altnames|Hostname/i);
      }
    });
  });
}
