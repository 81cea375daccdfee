import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Deps } from "../deps.js";
import { AppError } from "../errors.js";
import { API_TOKEN_PREFIX, findUserByApiToken } from "../identity/api-tokens.js";
import type { Caller } from "../identity/roles.js";
import { findSession, SESSION_COOKIE } from "../identity/sessions.js";
import { safeEqual } from "../ids.js";
import { SERVICE_TOKEN_PREFIX, type ServiceCaller } from "../grants/service-credentials.js";

declare module "fastify" {
  interface FastifyRequest {
    caller?: Caller & { sessionIdHash?: string; csrfToken?: string };
    /** Set instead of `caller` for a service credential (lbs_…); user routes never see it. */
    service?: ServiceCaller;
  }
  interface FastifyContextConfig {
    /** false: the route answers without credentials (sign-in, invitations, health, docs). */
    auth?: false;
    /** true: a route for service credentials (lbs_…); they are refused everywhere else. */
    service?: true;
  }
}

const unsafeMethods = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * Resolves the caller before the body is read, so an anonymous request is refused with 401
 * whatever it sends. A personal token (`Authorization: Bearer lbx_…`) needs no CSRF header; a
 * cookie session must echo its CSRF token on every state-changing method, which a cross-site
 * form cannot do.
 */
export function installAuthentication(app: FastifyInstance, deps: Deps): void {
  app.addHook("onRequest", async (request) => {
    // routeOptions is rebuilt on every access: read it once (this runs on the access-check hot path).
    const routeConfig = request.routeOptions.config;
    if (request.is404 || routeConfig?.auth === false) return;
    const header = request.headers.authorization;
    if (header) {
      const [scheme, token] = header.split(" ", 2);
      if (scheme?.toLowerCase() === "bearer" && token?.startsWith(SERVICE_TOKEN_PREFIX) && token.length <= 200) {
        if (routeConfig?.service !== true) {
          throw new AppError("unauthenticated", "a service credential may call only the access check, activity and revocations");
        }
        const service = await deps.serviceCredentials.find(token);
        if (!service) throw new AppError("unauthenticated", "invalid service credential");
        request.service = { ...service, ip: request.ip };
        return;
      }
      if (scheme?.toLowerCase() !== "bearer" || !token?.startsWith(API_TOKEN_PREFIX) || token.length > 200) {
        throw new AppError("unauthenticated", "unsupported Authorization header; use Bearer lbx_…");
      }
      const user = await findUserByApiToken(deps, token);
      if (!user) throw new AppError("unauthenticated", "invalid or expired token");
      request.caller = { user, ip: request.ip };
      return;
    }
    const cookie = request.cookies[SESSION_COOKIE];
    const session = cookie && cookie.length <= 200 ? await findSession(deps, cookie) : undefined;
    if (!session) throw new AppError("unauthenticated", "sign in first");
    if (unsafeMethods.has(request.method)) {
      const sent = request.headers["x-csrf-token"];
      if (typeof sent !== "string" || !safeEqual(sent, session.csrfToken)) {
        throw new AppError("csrf", "missing or wrong X-CSRF-Token header");
      }
    }
    request.caller = { user: session.user, ip: request.ip, sessionIdHash: session.idHash, csrfToken: session.csrfToken };
  });
}

/** The authenticated caller of a route that requires one (the hook has already refused others). */
export function callerOf(request: FastifyRequest): NonNullable<FastifyRequest["caller"]> {
  if (!request.caller) throw new AppError("unauthenticated", "sign in first");
  return request.caller;
}

/**
 * The service credential of a route only services call (access check, activity, revocations).
 * A signed-in person is refused with 403: these routes act for machines, never for a user.
 */
export function serviceOf(request: FastifyRequest): ServiceCaller {
  if (request.service) return request.service;
  if (request.caller) throw new AppError("forbidden", "this route takes a service credential (Bearer lbs_…), not a user's");
  throw new AppError("unauthenticated", "a service credential is required");
}
