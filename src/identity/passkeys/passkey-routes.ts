import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Deps } from "../../deps.js";
import { callerOf } from "../../http/authenticate.js";
import { errorResponses, idParams, listOf } from "../../http/common-schemas.js";
import { setSessionCookie } from "../account/session-cookie.js";
import { sessionSchema } from "../identity-schemas.js";
import type { LoginThrottle } from "../login-throttle.js";
import { listPasskeys, removePasskey } from "./manage-passkeys.js";
import { optionsSchema, passkeySchema, passkeySignInBody, registerPasskeyBody } from "./passkey-schemas.js";
import { finishPasskeyRegistration, startPasskeyRegistration } from "./register-passkey.js";
import { signInWithPasskey, startPasskeySignIn } from "./sign-in-with-passkey.js";

/** Challenges one address may ask for per 15 minutes without signing in: each is a stored row. */
export const SIGN_IN_CHALLENGES = 60;

export function passkeyRoutes(app: FastifyInstance, deps: Deps, throttle: LoginThrottle, challengeLimiter: LoginThrottle): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ["passkeys"];

  r.post(
    "/v1/me/passkeys/options",
    { schema: { tags, description: "Creation options for a new passkey of the caller (WebAuthn, valid 5 minutes, once).", response: { 200: optionsSchema, ...errorResponses } } },
    async (req) => ({ options: await startPasskeyRegistration(deps, callerOf(req)) }),
  );

  r.post(
    "/v1/me/passkeys",
    {
      schema: {
        tags,
        description: "Registers the passkey the browser created (the JSON of @simplewebauthn/browser's startRegistration).",
        body: registerPasskeyBody,
        response: { 201: passkeySchema, ...errorResponses },
      },
    },
    async (req, reply) => reply.code(201).send(await finishPasskeyRegistration(deps, callerOf(req), req.body)),
  );

  r.get("/v1/me/passkeys", { schema: { tags, response: { 200: listOf(passkeySchema), ...errorResponses } } }, async (req) => ({
    items: await listPasskeys(deps, callerOf(req)),
    nextCursor: null,
  }));

  r.delete(
    "/v1/me/passkeys/:id",
    { schema: { tags, params: idParams, response: { 204: z.null(), ...errorResponses } } },
    async (req, reply) => {
      await removePasskey(deps, callerOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );

  r.post(
    "/v1/auth/passkey/options",
    {
      config: { auth: false },
      schema: { tags, description: "Request options for signing in with a passkey (no email needed).", response: { 200: optionsSchema, 429: errorResponses[400] } },
    },
    async (req) => {
      const keys = [`passkey-options:${req.ip}`];
      challengeLimiter.refuseIfLimited(keys, "too many passkey sign-ins started; try again later");
      challengeLimiter.fail(keys);
      return { options: await startPasskeySignIn(deps) };
    },
  );

  r.post(
    "/v1/auth/passkey",
    {
      config: { auth: false },
      schema: {
        tags,
        description: "Signs in with a passkey assertion (@simplewebauthn/browser's startAuthentication JSON); sets the session cookie like password sign-in.",
        body: passkeySignInBody,
        response: { 200: sessionSchema, ...errorResponses, 429: errorResponses[400] },
      },
    },
    async (req, reply) => {
      const { user, cookie, csrfToken } = await signInWithPasskey(deps, throttle, { response: req.body.response, ip: req.ip });
      setSessionCookie(reply, deps.config, cookie);
      return { user, csrfToken };
    },
  );
}
