import { createServer } from "node:net";
import type { Browser, BrowserContext, CDPSession, Page } from "playwright-core";
import { baseUrlOf, launchChromium } from "../../web/testing/browser.js";
import { startTestApp, type TestApp } from "./test-app.js";

/**
 * Puts the app on a real port (127.0.0.1, any free one) and launches Debian's Chromium with the
 * standard flags (web/testing/browser.ts). WebAuthn tests use startAppOnLocalhost instead.
 */
export async function serveForBrowser(t: TestApp): Promise<{ origin: string; browser: Browser }> {
  await t.app.server.listen({ port: 0, host: "127.0.0.1" });
  const origin = baseUrlOf(t.app.server.server.address());
  const browser = await launchChromium();
  return { origin, browser };
}

/**
 * A port the system just handed out, for when a URL must name the port before the server starts:
 * WebAuthn needs the page on http://localhost:PORT (browsers refuse an IP address as the relying
 * party id), and an SSO redirect URI names its port.
 */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/**
 * The app for a WebAuthn test, not listening yet: its public URL is http://localhost:PORT on a
 * port picked now, and its clock starts at the real now (the browser counts in real time).
 */
export async function startAppOnLocalhost(): Promise<{ t: TestApp; port: number; origin: string }> {
  const port = await freePort();
  const origin = `http://localhost:${port}`;
  const t = await startTestApp({ LOCKBOX_PUBLIC_URL: origin });
  t.clock.set(new Date().toISOString());
  return { t, port, origin };
}

/**
 * Chromium's virtual authenticator on `page` (DevTools WebAuthn domain): CTAP2, internal,
 * resident keys, user verification that always succeeds, presence simulated.
 */
export async function addVirtualAuthenticator(context: BrowserContext, page: Page): Promise<{ cdp: CDPSession; authenticatorId: string }> {
  const cdp = await context.newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: { protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  return { cdp, authenticatorId };
}
