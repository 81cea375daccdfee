import { existsSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";

/** Shared by the browser tests and the screenshot script: Debian's Chromium, headless, quiet. */

export const CHROMIUM = process.env.LOCKBOX_CHROMIUM ?? "/usr/bin/chromium";
export const WEB_INDEX = fileURLToPath(new URL("../dist/index.html", import.meta.url));

/** Fails loudly when the admin center was not built: the tests exercise the built bundle. */
export function assertWebBuilt(): void {
  if (!existsSync(WEB_INDEX)) {
    throw new Error(`the admin center is not built (${WEB_INDEX} is missing): run \`npm run build\` first`);
  }
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install it with \`apt-get install -y chromium\``);
  }
}

/** Playwright gives every launch a fresh temporary profile (user-data dir) and removes it on close. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run", "--disable-component-update", "--disable-sync"],
  });
}

export function baseUrlOf(address: AddressInfo | string | null): string {
  if (!address || typeof address === "string") throw new Error("server is not listening on a TCP port");
  return `http://127.0.0.1:${address.port}`;
}

/**
 * Records what must never happen on a page: console errors, uncaught exceptions, and any
 * request to a host other than the server.
 */
export function watchContext(context: BrowserContext, origin: string): string[] {
  const problems: string[] = [];
  context.on("request", (req) => {
    const url = req.url();
    if (!url.startsWith(`${origin}/`) && !url.startsWith("data:")) problems.push(`request to another host: ${url}`);
  });
  context.on("page", (page) => watchPage(page, problems));
  return problems;
}

function watchPage(page: Page, problems: string[]): void {
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push(`console error on ${page.url()}: ${msg.text()}`);
  });
  page.on("pageerror", (err) => problems.push(`uncaught exception on ${page.url()}: ${err.message}`));
}

/** Signs in through the form, as a person would, and waits for the start page. */
export async function signIn(page: Page, origin: string, email: string, password: string, path = "/"): Promise<void> {
  await page.goto(`${origin}${path}`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  // exact: the page also offers "Sign in with a passkey" and "Sign in with your organization".
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByRole("button", { name: "Sign out", exact: true }).waitFor();
}
