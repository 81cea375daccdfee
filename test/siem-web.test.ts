import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Browser } from "playwright-core";
import { assertWebBuilt, watchContext } from "../web/testing/browser.js";
import { serveForBrowser } from "./support/browser.js";
import { type SiemReceiver, startSiemReceiver } from "./support/siem-receivers.js";
import { startTestApp, type TestApp } from "./support/test-app.js";
import { buildWorld, type World } from "./support/world.js";

/**
 * Settings → Audit streaming in Debian's Chromium: a tenant's global admin adds a Splunk HEC
 * sink, sees the events arrive at the receiver and the sink's status, then removes it.
 */
let t: TestApp;
let w: World;
let rx: SiemReceiver;
let browser: Browser;
let origin: string;
let admin: { email: string; password: string };

before(async () => {
  assertWebBuilt();
  rx = await startSiemReceiver();
  t = await startTestApp({ LOCKBOX_WEBHOOK_ALLOW_PRIVATE: "1" });
  t.clock.set(new Date().toISOString());
  w = await buildWorld(t);
  const { user, password } = await t.user(["global_admin"], w.tenantA, "Sina SIEM-Admin");
  admin = { email: user.email, password };
  ({ origin, browser } = await serveForBrowser(t));
});
after(async () => {
  await browser?.close();
  await t?.close();
  await rx?.close();
});

test("a global admin streams the tenant's audit log to Splunk from the settings page", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const problems = watchContext(context, origin);
  const page = await context.newPage();
  const sinkAnswers: string[] = [];
  page.on("response", (r) => {
    if (r.url().includes("/audit-sinks")) sinkAnswers.push(`${r.request().method()} ${r.status()}`);
  });
  // Password sign-in; `exact` because the page may also offer passkey and single sign-on buttons.
  await page.goto(origin);
  await page.getByLabel("Email").fill(admin.email);
  await page.getByLabel("Password").fill(admin.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByRole("button", { name: "Sign out" }).waitFor();
  await page.getByRole("link", { name: "Settings" }).click();
  const form = page.getByRole("form", { name: "Add an audit sink" });
  await form.waitFor();
  await page.getByText("No audit sinks").waitFor();

  const token = "ui-hec-token-5b1d8e";
  rx.setToken("/ui-hec", token);
  await form.getByLabel("Type").selectOption("splunk_hec");
  await form.getByLabel("URL").fill(`${rx.base}/ui-hec`);
  await form.getByLabel("HEC token").fill(token);
  await form.getByLabel("Format").selectOption("ocsf");
  await form.getByRole("button", { name: "Add sink" }).click();
  await page.getByText(/Sink added/).waitFor();
  const sinks = page.getByRole("list", { name: "Audit sinks" });
  await sinks.getByText(`${rx.base}/ui-hec`).waitFor();
  assert.match(await sinks.innerText(), /Splunk HEC · OCSF · token stored encrypted/);
  assert.ok(!(await page.content()).includes(token), "the token is not on the page once saved");

  await t.app.auditStreamer.runOnce();
  assert.ok(rx.at("/ui-hec").length > 0, "events reached the HEC receiver");
  assert.ok(rx.at("/ui-hec").some((r) => r.record.unmapped.operation === "audit_sink.created"));
  await sinks.getByRole("button", { name: "Refresh" }).click();
  await sinks.getByText("Up to date").waitFor();

  // A bad URL is refused with the field named, not a crash.
  await form.getByLabel("Type").selectOption("syslog");
  await form.getByLabel("URL").fill("https://not-syslog.example");
  await form.getByRole("button", { name: "Add sink" }).click();
  await page.getByText(/a syslog sink takes tcp:\/\/host:port/i).waitFor();

  await sinks.getByRole("button", { name: `Delete audit sink ${rx.base}/ui-hec` }).click();
  await page.getByText("No audit sinks").waitFor();
  assert.deepEqual((await t.request("GET", `/v1/tenants/${w.tenantA}/audit-sinks`, w.a.admin.as)).body.items, []);
  // The panel's own calls all succeeded but the one 400 provoked above; no other host was contacted.
  assert.deepEqual(sinkAnswers.filter((a) => !/ 2\d\d$/.test(a)), ["POST 400"]);
  assert.deepEqual(problems.filter((p) => !p.startsWith("console error")), []);
  await context.close();
});
