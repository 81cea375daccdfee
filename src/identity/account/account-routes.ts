import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Deps } from "../../deps.js";
import { callerOf } from "../../http/authenticate.js";
import { errorResponses, listOf } from "../../http/common-schemas.js";
import { LoginThrottle } from "../login-throttle.js";
import { passkeyRoutes, SIGN_IN_CHALLENGES } from "../passkeys/passkey-routes.js";
import { totpCodeLimiter } from "../step-up/code-limiter.js";
import { totpRoutes } from "../totp/totp-routes.js";
import { endOtherSessions, listMySessions } from "./my-sessions.js";

/** Wrong TOTP or recovery codes one user may send per 15 minutes (shared with step-up). */
export { TOTP_ATTEMPTS } from "../step-up/code-limiter.js";

/** "My account": the caller's own passkeys, authenticator app and sessions (SPEC 14). */
export function accountRoutes(app: FastifyInstance, deps: Deps): void {
  // Failed passkey sign-ins are braked per address with the password limits, but counted apart:
  // an assertion cannot be guessed (it is a signature), so junk sent to this route must not lock
  // the address out of password sign-in as well.
  passkeyRoutes(app, deps, new LoginThrottle(deps.clock), new LoginThrottle(deps.clock, SIGN_IN_CHALLENGES, 15 * 60_000));
  // Shared with step-up's X-Lockbox-OTP: guesses spread over routes count together.
  totpRoutes(app, deps, totpCodeLimiter(deps));
  const r = app.withTypeProvider<ZodTypeProvider>();
  const sessionSchema = z.object({
    id: z.string(),
    current: z.boolean(),
    createdAt: z.string(),
    lastSeenAt: z.string().nullable(),
    expiresAt: z.string(),
  });

  r.get("/v1/me/sessions", { schema: { tags: ["identity"], response: { 200: listOf(sessionSchema), ...errorResponses } } }, async (req) => ({
    items: await listMySessions(deps, callerOf(req)),
    nextCursor: null,
  }));

  r.delete(
    "/v1/me/sessions/others",
    {
      schema: {
        tags: ["identity"],
        description: "Ends every session of the caller except this one.",
        response: { 200: z.object({ sessionsEnded: z.number().int() }), ...errorResponses },
      },
    },
    async (req) => ({ sessionsEnded: await endOtherSessions(deps, callerOf(req)) }),
  );
}
