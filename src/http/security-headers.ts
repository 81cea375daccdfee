import type { FastifyInstance, FastifyReply } from "fastify";
import type { Config } from "../config.js";
import { WEB_CSP } from "./web-routes.js";

/** The API answers JSON only: nothing in it may load, run or be framed. */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/**
 * Swagger UI (/docs) is served by this server and styles its elements inline, and shows
 * data: images; it fetches /openapi.json from this server. Nothing else, and never framed.
 */
export const DOCS_CSP = WEB_CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'");

export const HSTS = "max-age=31536000; includeSubDomains";

/** Paths outside the admin center (the SPA sets its own page headers, see web-routes.ts). */
const apiPrefixes = ["/v1", "/openapi.json", "/healthz", "/readyz", "/metrics", "/.well-known"];

function startsWithSegment(url: string, prefix: string): boolean {
  if (!url.startsWith(prefix)) return false;
  const next = url.charCodeAt(prefix.length);
  // end of string, "/", "?" or "#"
  return Number.isNaN(next) || next === 47 || next === 63 || next === 35;
}

/**
 * Security headers on every answer, errors and 404s included: no MIME sniffing, no referrer, no
 * framing, a CSP per surface (API: nothing; /docs: Swagger UI's needs; admin center: WEB_CSP,
 * which its own routes also set), HSTS when the public URL is https, and `no-store` on every
 * /v1 answer so no cache keeps a request, a token or an audit page.
 *
 * Synchronous and allocation-light: it runs before the access check on the hot path.
 */
export function installSecurityHeaders(app: FastifyInstance, config: Config): void {
  const hsts = config.publicUrl.startsWith("https:");
  app.addHook("onRequest", (request, reply, done) => {
    setSecurityHeaders(reply, request.url, hsts);
    done();
  });
}

/** The headers for one answer; also used where Fastify answers before any hook runs. */
export function setSecurityHeaders(reply: FastifyReply, url: string, hsts: boolean): void {
  reply.header("x-content-type-options", "nosniff");
  reply.header("referrer-policy", "no-referrer");
  reply.header("x-frame-options", "DENY");
  if (hsts) reply.header("strict-transport-security", HSTS);
  if (startsWithSegment(url, "/v1")) {
    reply.header("content-security-policy", API_CSP);
    reply.header("cache-control", "no-store");
  } else if (startsWithSegment(url, "/docs")) {
    reply.header("content-security-policy", DOCS_CSP);
  } else if (apiPrefixes.some((p) => startsWithSegment(url, p))) {
    reply.header("content-security-policy", API_CSP);
  } else {
    reply.header("content-security-policy", WEB_CSP);
  }
}
