import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Browser } from "playwright-core";
import { appendAudit } from "../src/audit/append-audit.js";
import { tenantChain } from "../src/audit/audit-event.js";
import { assertWebBuilt, signIn, watchContext } from "../web/testing/browser.js";
import { serveForBrowser } from "./support/browser.js";
import { startTestApp, type TestApp } from "./support/test-app.js";
import { buildWorld, type World } from "./support/world.js";

// The admin center's audit log shows the chain's latest signed checkpoint, checked in the
// browser with the log key, and proves one event is in the log (Debian's Chromium, real server).
let t: TestApp;
let w: World;
let browser: Browser;
let origin: string;
let admin: { email: string; password: string };

before(async () => {
  assertWebBuilt();
  t = await startTestApp();
  t.clock.set(new Date().toISOString());
  w = await buildWorld(t);
  const { user, password } = await t.user(["global_admin"], w.tenantA, "Tess Transparency");
  admin = { email: user.email, password };
  await t.app.deps.db.transaction().execute(async (trx) => {
    for (let i = 0; i < 12; i++) {
      await appendAudit(trx, { chain: tenantChain(w.tenantA), at: t.clock.now(), operation: "test.filler", actor: { type: "system", id: "t", name: "t" }, target: { type: "t", id: `${i}` } });
    }
  });
  await t.app.checkpointer.runOnce();
  ({ origin, browser } = await serveForBrowser(t));
});

after(async () => {
  await browser?.close();
  await t?.close();
});

test("the audit log shows the signed checkpoint and proves an event is in the log, in the browser", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const problems = watchContext(context, origin);
  const page = await context.newPage();
  await signIn(page, origin, admin.email, admin.password, "/audit");
  const panel = page.getByTestId("transparency-panel");
  await panel.getByText(/Checkpoint at \d+ events, signed by lockbox\.test\/audit/).waitFor();
  assert.match(await panel.innerText(), /No witness cosignatures/);

  const event = await t.app.deps.db.selectFrom("audit_events").select(["id", "seq"]).where("chain", "=", tenantChain(w.tenantA)).where("seq", "=", 3).executeTakeFirstOrThrow();
  await panel.getByLabel("Event id").fill(event.id);
  await panel.getByRole("button", { name: "Check it is in the log" }).click();
  await panel.getByText(`Event 3 (`).waitFor();
  assert.match(await panel.innerText(), /Event 3 \(.*\) is in the log: its inclusion proof leads to the root signed at \d+ events/);

  // The check is real: a bundle whose proof was bent is reported as not in the log.
  await page.route("**/v1/audit/events/*/proof", async (route) => {
    const original = await route.fetch();
    const lines = (await original.text()).split("\n");
    lines[3] = Buffer.alloc(32, 5).toString("base64");
    await route.fulfill({ response: original, body: lines.join("\n") });
  });
  await panel.getByRole("button", { name: "Check it is in the log" }).click();
  await panel.getByText("Event 3 is NOT proven to be in the log.").waitFor();
  assert.deepEqual(problems, []);
  await context.close();
});
