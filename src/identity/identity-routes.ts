import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Deps } from "../deps.js";
import { AppError } from "../errors.js";
import { sha256Hex } from "../ids.js";
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
import { checkInvitation } from "./manage-invitations.js";
import { LoginThrottle } from "./login-throttle.js";
import { deleteSession, endAllSessions, SESSION_COOKIE, SESSION_MINUTES } from "./sessions.js";
import { signIn } from "./sign-in.js";

/** Invalid invitation tokens one address (or one token) may try per 15 minutes. */
export const INVITATION_ATTEMPTS = 10;
/** Personal API tokens one user may create per hour. */
export const TOKENS_PER_HOUR = 20;

export function identityRoutes(app: FastifyInstance, deps: Deps, throttle: LoginThrottle): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const secureCookie = deps.config.publicUrl.startsWith("https:");
  // The same limiter as sign-in, with its own budgets: invalid invitation tokens per address and
  // per token, and personal tokens minted per user.
  const invitationLimiter = new LoginThrottle(deps.clock, INVITATION_ATTEMPTS, 15 * 60_000);
  const tokenLimiter = new LoginThrottle(deps.clock, TOKENS_PER_HOUR, 60 * 60_000);

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

  r.post(
    "/v1/auth/logout-all",
    {
      schema: {
        tags: ["identity"],
        description: "Signs the caller out everywhere: ends every session of the caller (personal API tokens stay).",
        response: { 200: z.object({ sessionsEnded: z.number().int() }), ...errorResponses },
      },
    },
    async (req, reply) => {
      const sessionsEnded = await endAllSessions(deps, callerOf(req));
      reply.clearCookie(SESSION_COOKIE, { path: "/" });
      return { sessionsEnded };
    },
  );

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
        response: {
          201: z.object({ id: z.string(), token: z.string(), expiresAt: z.string().nullable() }),
          ...errorResponses,
          429: errorResponses[400],
        },
      },
    },
    async (req, reply) => {
      const caller = callerOf(req);
      const keys = [`tokens:${caller.user.id}`];
      tokenLimiter.refuseIfLimited(keys, `at most ${TOKENS_PER_HOUR} personal tokens an hour; try again later`);
      tokenLimiter.fail(keys);
      return reply.code(201).send(await createApiToken(deps, caller, req.body));
    },
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
    "/v1/invitations/check",
    {
      config: { auth: false },
      schema: {
        tags: ["identity"],
        description: "Whose invitation a link is, before a password is typed; a used, revoked or expired link is 410 invitation_invalid. Counts against the same limit as accepting.",
        body: z.strictObject({ token: z.string().min(1).max(200) }),
        response: {
          200: z.object({ email: z.string(), name: z.string(), expiresAt: z.string() }),
          ...errorResponses,
          410: errorResponses[400],
          429: errorResponses[400],
        },
      },
    },
    async (req) => {
      // The same budget and keys as accept: checking is no cheaper a way to guess tokens.
      const keys = [`ip:${req.ip}`, `invitation:${sha256Hex(req.body.token)}`];
      return invitationLimiter.guard(keys, "too many invalid invitation attempts; try again later", isInvalidInvitation, () =>
        checkInvitation(deps, req.body.token),
      );
    },
  );

  r.post(
    "/v1/invitations/accept",
    {
      config: { auth: false },
      schema: { tags: ["identity"], body: acceptInvitationBody, response: {
          200: z.object({ user: userSchema }),
          ...errorResponses,
          410: errorResponses[400],
          429: errorResponses[400],
        },
      },
    },
    async (req) => {
      const keys = [`ip:${req.ip}`, `invitation:${sha256Hex(req.body.token)}`];
      // Counted before the password is hashed (argon2): parallel guesses cannot outrun the brake.
      const user = await invitationLimiter.guard(keys, "too many invalid invitation attempts; try again later", isInvalidInvitation, () =>
        acceptInvitation(deps, { ...req.body, ip: req.ip }),
      );
      return { user };
    },
  );
}

const isInvalidInvitation = (err: unknown) => err instanceof AppError && err.code === "invitation_invalid";
