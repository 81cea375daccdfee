import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Deps } from "../deps.js";
import { callerOf } from "../http/authenticate.js";
import { errorResponses, idParams, listOf } from "../http/common-schemas.js";
import { createApiToken, deleteApiToken, listApiTokens } from "./api-tokens.js";
import {
  acceptInvitationBody,
  loginBody,
  sessionSchema,
  tokenBody,
  tokenSchema,
  userSchema,
} from "./identity-schemas.js";
import { acceptInvitation } from "./invitations.js";
import type { LoginThrottle } from "./login-throttle.js";
import { deleteSession, SESSION_COOKIE, SESSION_MINUTES } from "./sessions.js";
import { signIn } from "./sign-in.js";

export function identityRoutes(app: FastifyInstance, deps: Deps, throttle: LoginThrottle): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const secureCookie = deps.config.publicUrl.startsWith("https:");

  r.post(
    "/v1/auth/login",
    {
      config: { auth: false },
      schema: { tags: ["identity"], body: loginBody, response: { 200: sessionSchema, ...errorResponses, 429: errorResponses[400] } },
    },
    async (req, reply) => {
      const { user, cookie, csrfToken } = await signIn(deps, throttle, { ...req.body, ip: req.ip });
      reply.setCookie(SESSION_COOKIE, cookie, {
        path: "/",
        httpOnly: true,
        sameSite: "lax",
        secure: secureCookie,
        maxAge: SESSION_MINUTES * 60,
      });
      return { user, csrfToken };
    },
  );

  r.post("/v1/auth/logout", { schema: { tags: ["identity"], response: { 204: z.null(), ...errorResponses } } }, async (req, reply) => {
    const caller = callerOf(req);
    if (caller.sessionIdHash) await deleteSession(deps, caller.sessionIdHash);
    reply.clearCookie(SESSION_COOKIE, { path: "/" });
    return reply.code(204).send(null);
  });

  r.get("/v1/me", { schema: { tags: ["identity"], response: { 200: sessionSchema, ...errorResponses } } }, async (req) => {
    const caller = callerOf(req);
    return { user: caller.user, csrfToken: caller.csrfToken ?? null };
  });

  r.post(
    "/v1/tokens",
    {
      schema: {
        tags: ["identity"],
        body: tokenBody,
        response: { 201: z.object({ id: z.string(), token: z.string(), expiresAt: z.string().nullable() }), ...errorResponses },
      },
    },
    async (req, reply) => reply.code(201).send(await createApiToken(deps, callerOf(req), req.body)),
  );

  r.get("/v1/tokens", { schema: { tags: ["identity"], response: { 200: listOf(tokenSchema), ...errorResponses } } }, async (req) => ({
    items: await listApiTokens(deps, callerOf(req)),
    nextCursor: null,
  }));

  r.delete(
    "/v1/tokens/:id",
    { schema: { tags: ["identity"], params: idParams, response: { 204: z.null(), ...errorResponses } } },
    async (req, reply) => {
      await deleteApiToken(deps, callerOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );

  r.post(
    "/v1/invitations/accept",
    {
      config: { auth: false },
      schema: { tags: ["identity"], body: acceptInvitationBody, response: { 200: z.object({ user: userSchema }), ...errorResponses, 410: errorResponses[400] } },
    },
    async (req) => ({ user: await acceptInvitation(deps, { ...req.body, ip: req.ip }) }),
  );
}
