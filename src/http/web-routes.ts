import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance, FastifyReply } from "fastify";

/** Where `npm run build` puts the admin center; the same path from src/http and dist/http. */
export const WEB_DIST = fileURLToPath(new URL("../../web/dist/", import.meta.url));

/** Paths that belong to the API and machines: never answered with the admin center's page. */
const apiPrefixes = ["/v1", "/docs", "/openapi.json", "/healthz", "/readyz", "/metrics", "/.well-known"];

/**
 * The page may load code, styles and data only from this server: no other host can be reached
 * from it, even by an injected script.
 */
export const WEB_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

function isApiPath(pathname: string): boolean {
  return apiPrefixes.some((p) => pathname === p || pathname.startsWith(`${p}/`));
}

function pageHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header("content-security-policy", WEB_CSP)
    .header("x-content-type-options", "nosniff")
    .header("referrer-policy", "no-referrer")
    .header("cache-control", "no-cache");
}

/**
 * Serves the built admin center at `/`: hashed assets as static files (cached for good), and
 * index.html for any other GET of a page path (the SPA's own router takes it from there). Only
 * the API paths above, other methods and missing assets keep the JSON 404 envelope. Without a build (`npm run build`) the server runs API-only and says so once.
 */
export async function webRoutes(app: FastifyInstance, root = WEB_DIST): Promise<void> {
  if (!existsSync(`${root}index.html`)) {
    app.log.warn({ root }, "admin center not built (run `npm run build`); serving the API only");
    return;
  }
  await app.register(fastifyStatic, {
    root,
    wildcard: false,
    index: false,
    cacheControl: false,
    setHeaders(res, filePath) {
      res.setHeader("x-content-type-options", "nosniff");
      res.setHeader("cache-control", filePath.includes("/assets/") ? "public, max-age=31536000, immutable" : "no-cache");
      if (filePath.endsWith(".html")) res.setHeader("content-security-policy", WEB_CSP);
    },
  });

  app.get("/*", { schema: { hide: true } }, (request, reply) => {
    const pathname = request.url.split("?")[0] ?? "/";
    // Every other path is a page, whatever the Accept header (`curl http://host/` gets the admin
    // center too); a missing built asset stays a 404 rather than a page in its place.
    if (isApiPath(pathname) || pathname.startsWith("/assets/")) return reply.callNotFound();
    return pageHeaders(reply).sendFile("index.html", { cacheControl: false });
  });
}
