/**
 * Screenshots of the main pages for the docs: `npm run screenshots` (after `npm run build`).
 * Runs the server on a fresh database seeded with the demo data and signs in as each role.
 */
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { generateSync } from "otplib";
import type { Locator, Page } from "playwright-core";
import { startDemoSso } from "../../src/demo/demo-sso.js";
import { seedDemo } from "../../src/demo/seed-demo.js";
import { startTestApp } from "../../test/support/test-app.js";
import { assertWebBuilt, baseUrlOf, launchChromium, signIn, watchContext } from "./browser.js";

const OUT = fileURLToPath(new URL("../../docs/screenshots/", import.meta.url));

interface Shot {
  file: string;
  who: string;
  path: string;
  phone?: boolean;
  prepare?: (page: Page) => Promise<void>;
  /** Shoot this part of the page instead of the whole page. */
  part?: (page: Page) => Locator;
}

const shots: Shot[] = [
  { file: "sign-in.png", who: "", path: "/" },
  { file: "requests.png", who: "adam@contoso.example", path: "/requests" },
  {
    file: "request-detail.png",
    who: "adam@contoso.example",
    path: "/requests",
    prepare: async (page) => {
      await page.getByRole("link", { name: "CASE-1002" }).click();
      await page.getByRole("heading", { level: 1, name: "Request CASE-1002" }).waitFor();
    },
  },
  { file: "settings.png", who: "grace@fabrikam.example", path: "/settings" },
  {
    file: "audit-log.png",
    who: "grace@contoso.example",
    path: "/audit",
    prepare: async (page) => {
      await page.getByText(/Chain verified/).waitFor();
    },
  },
  {
    file: "audit-event-details.png",
    who: "grace@contoso.example",
    path: "/audit",
    prepare: async (page) => {
      await page.getByText(/Chain verified/).waitFor();
      await page.getByRole("button", { name: /^Show details of request\./ }).first().click();
      await page.evaluate("window.scrollTo(0, 0)");
    },
  },
  {
    file: "users.png",
    who: "grace@fabrikam.example",
    path: "/settings",
    prepare: async (page) => {
      await page.getByRole("table", { name: "Users and roles" }).waitFor();
    },
    part: (page) => page.locator("section", { has: page.getByRole("table", { name: "Users and roles" }) }).last(),
  },
  { file: "my-account.png", who: "grace@contoso.example", path: "/account" },
  {
    file: "settings-sign-in.png",
    who: "grace@contoso.example",
    path: "/settings",
    prepare: async (page) => {
      await page.getByRole("form", { name: "Single sign-on" }).getByLabel("Client ID").waitFor();
    },
    part: (page) => page.locator("section", { has: page.getByRole("form", { name: "Single sign-on" }) }).last(),
  },
  {
    // Adam has only an authenticator app (enrolled in main), so the prompt asks for its code.
    file: "step-up.png",
    who: "adam@contoso.example",
    path: "/requests",
    prepare: async (page) => {
      await page.getByRole("link", { name: "CASE-1002" }).click();
      await page.getByRole("button", { name: "Approve" }).click();
      await page.getByRole("dialog", { name: "Confirm it is you" }).waitFor();
    },
  },
  { file: "new-request.png", who: "erin@provider.example", path: "/new-request" },
  {
    file: "my-requests.png",
    who: "eddie@provider.example",
    path: "/my-requests",
    prepare: async (page) => {
      await page.getByRole("button", { name: "Get grant token" }).click();
      await page.getByRole("textbox", { name: "Grant token" }).waitFor();
    },
  },
  {
    file: "engineer-request.png",
    who: "eddie@provider.example",
    path: "/my-requests",
    prepare: async (page) => {
      await page.getByRole("link", { name: "CASE-1003" }).first().click();
      await page.getByRole("button", { name: "Get grant token" }).click();
      await page.getByRole("textbox", { name: "curl command" }).waitFor();
    },
  },
  { file: "approval-queue.png", who: "maya@provider.example", path: "/queue" },
  { file: "tenants.png", who: "admin", path: "/tenants" },
  { file: "requests-phone.png", who: "adam@contoso.example", path: "/requests", phone: true },
  {
    file: "request-detail-phone.png",
    who: "adam@contoso.example",
    path: "/requests",
    phone: true,
    prepare: async (page) => {
      await page.getByRole("link", { name: "CASE-1002" }).click();
      await page.getByRole("heading", { level: 1, name: "Request CASE-1002" }).waitFor();
    },
  },
];

async function main(): Promise<void> {
  assertWebBuilt();
  mkdirSync(OUT, { recursive: true });
  // Private targets allowed: the demo's own identity provider runs on loopback.
  const t = await startTestApp({ LOCKBOX_WEBHOOK_ALLOW_PRIVATE: "1" });
  t.clock.set(new Date().toISOString());
  const logins = await seedDemo(t.app.deps, t.admin);
  const sso = await startDemoSso(t.app, { ...t.app.deps.config, port: 0 });
  // Step-up on for Contoso (the demo starts with it off), and Adam with only an authenticator app.
  await t.app.deps.db.updateTable("tenants").set({ require_mfa_for_decisions: 1 }).where("name", "=", "Contoso").execute();
  await enrolAuthenticatorApp(t, "adam@contoso.example", logins.find((l) => l.email === "adam@contoso.example")!.password);
  const password = (email: string) => (email === "admin" ? null : logins.find((l) => l.email === email)?.password);
  await t.app.server.listen({ port: 0, host: "127.0.0.1" });
  const origin = baseUrlOf(t.app.server.server.address());
  const browser = await launchChromium();
  let problems: string[] = [];
  try {
    for (const shot of shots) {
      const context = await browser.newContext({
        viewport: shot.phone ? { width: 390, height: 844 } : { width: 1280, height: 800 },
        deviceScaleFactor: shot.phone ? 2 : 1,
      });
      problems.push(...watchContext(context, origin));
      const page = await context.newPage();
      process.stdout.write(`${shot.file} as ${shot.who || "nobody"}\n`);
      if (shot.who === "admin") await signIn(page, origin, t.admin.email, "correct horse battery staple", shot.path);
      else if (shot.who) await signIn(page, origin, shot.who, password(shot.who)!, shot.path);
      else await page.goto(`${origin}${shot.path}`);
      await page.getByRole("heading", { level: 1 }).waitFor();
      await shot.prepare?.(page);
      await page.waitForLoadState("networkidle");
      if (shot.part) await shot.part(page).screenshot({ path: `${OUT}${shot.file}` });
      else await page.screenshot({ path: `${OUT}${shot.file}`, fullPage: !shot.phone });
      process.stdout.write(`docs/screenshots/${shot.file}\n`);
      await context.close();
    }
  } finally {
    await browser.close();
    await sso.idp?.close();
    await t.close();
  }
  // The step-up shot provokes one 401 step_up_required on purpose.
  problems = problems.filter((p) => !/status of 401/.test(p));
  if (problems.length) throw new Error(`problems while taking screenshots:\n${problems.join("\n")}`);
}

/** An authenticator app for one demo person, over the API as they would set it up. */
async function enrolAuthenticatorApp(t: Awaited<ReturnType<typeof startTestApp>>, email: string, password: string): Promise<void> {
  const login = await t.request("POST", "/v1/auth/login", null, { email, password });
  const cookie = /lockbox_session=([^;]+)/.exec(String(login.headers["set-cookie"]))![1]!;
  const as = { cookie, csrf: login.body.csrfToken as string };
  const { secret } = (await t.request("POST", "/v1/me/totp", as)).body as { secret: string };
  const confirmed = await t.request("POST", "/v1/me/totp/confirm", as, { code: generateSync({ secret, epoch: Math.floor(t.clock.now().getTime() / 1000) }) });
  if (confirmed.status !== 200) throw new Error(`authenticator app for ${email}: ${confirmed.status}`);
}

await main();
