import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Deps } from "../deps.js";
import { AppError } from "../errors.js";
import { SERVICE_TOKEN_PREFIX } from "../grants/service-credentials.js";
import { HSTS } from "./security-headers.js";

/**
 * The machine listener's one hook (machine-server.ts): constant headers on every answer, then the
 * service credential. The same rules as the main listener's for these routes (authenticate.ts):
 * only `Authorization: Bearer lbs_…` of at most 200 characters, looked up by the same cache, and
 * refused with 401 otherwise. A person's token or cookie has no business on this port and is
 * refused here with 401 without being looked up (on the main listener a valid one gets 403).
 * Synchronous on a cache hit: no promise, no hashing, no database.
 */
export function installMachineAuth(app: FastifyInstance, deps: Deps): void {
  // What a machine client needs: never cache an answer, never sniff it as anything but JSON (the
  // page headers of the main listener, CSP and framing, protect browsers, which have no business
  // here; every byte of an answer is paid on each of thousands of checks a second).
  const headers: Record<string, string> = {
    "x-content-type-options": "nosniff",
    "cache-control": "no-store",
    ...(deps.config.publicUrl.startsWith("https:") ? { "strict-transport-security": HSTS } : {}),
  };
  app.addHook("onRequest", (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => {
    reply.headers(headers);
    if (request.is404) return done();
    const header = request.headers.authorization;
    if (!header) return done(new AppError("unauthenticated", "a service credential is required (Bearer lbs_…)"));
    const token = header.length <= 207 && /^bearer /i.test(header) ? header.slice(7) : undefined;
    if (!token?.startsWith(SERVICE_TOKEN_PREFIX) || token.length > 200) {
      return done(new AppError("unauthenticated", "this port takes only service credentials (Bearer lbs_…)"));
    }
    const hit = deps.serviceCredentials.cached(token);
    if (hit) {
      request.service = { ...hit, ip: request.ip };
      return done();
    }
    deps.serviceCredentials.find(token).then(
      (service) => {
        if (!service) return done(new AppError("unauthenticated", "invalid service credential"));
        request.service = { ...service, ip: request.ip };
        done();
      },
      (err: unknown) => done(err as Error),
    );
  });
}
