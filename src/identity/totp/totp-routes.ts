import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Deps } from "../../deps.js";
import { AppError } from "../../errors.js";
import { callerOf } from "../../http/authenticate.js";
import { errorResponses, optionalBody } from "../../http/common-schemas.js";
import type { LoginThrottle } from "../login-throttle.js";
import { confirmTotpEnrolment, startTotpEnrolment } from "./enrol-totp.js";
import { removeTotp, totpStatus } from "./remove-totp.js";
import { otpHeaderSchema, requireStepUp } from "../step-up/require-step-up.js";

const codeSchema = z.string().trim().min(1).max(64);
const isWrongCode = (err: unknown) => err instanceof AppError && err.code === "invalid_request";

export function totpRoutes(app: FastifyInstance, deps: Deps, codeLimiter: LoginThrottle): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ["totp"];
  // Wrong codes count per user, like wrong passwords: six digits are guessable otherwise.
  const guarded = <T>(userId: string, work: () => Promise<T>) =>
    codeLimiter.guard([`totp:${userId}`], "too many wrong codes; try again later", isWrongCode, work);

  r.get(
    "/v1/me/totp",
    {
      schema: {
        tags,
        response: { 200: z.object({ enrolled: z.boolean(), pending: z.boolean(), recoveryCodesLeft: z.number().int() }), ...errorResponses },
      },
    },
    async (req) => totpStatus(deps, callerOf(req).user.id),
  );

  r.post(
    "/v1/me/totp",
    {
      schema: {
        tags,
        description: "Starts enrolling an authenticator app: a new base32 secret, pending until confirmed.",
        response: { 200: z.object({ secret: z.string(), otpauthUrl: z.string() }), ...errorResponses },
      },
    },
    async (req) => startTotpEnrolment(deps, callerOf(req)),
  );

  r.post(
    "/v1/me/totp/confirm",
    {
      schema: {
        tags,
        description: "Confirms the app with a current code; answers ten single-use recovery codes, shown only now.",
        body: z.strictObject({ code: codeSchema }),
        response: { 200: z.object({ recoveryCodes: z.array(z.string()) }), ...errorResponses, 429: errorResponses[400] },
      },
    },
    async (req) => {
      const caller = callerOf(req);
      return guarded(caller.user.id, () => confirmTotpEnrolment(deps, caller, req.body.code));
    },
  );

  r.delete(
    "/v1/me/totp",
    {
      schema: {
        tags,
        description: "Removes the authenticator app and its recovery codes; needs step-up: a current code or a recovery code in `code`, or a fresh verification (passkey, X-Lockbox-OTP).",
        headers: otpHeaderSchema,
        body: optionalBody({ code: codeSchema.optional() }),
        response: { 204: z.null(), ...errorResponses, 429: errorResponses[400] },
      },
    },
    async (req, reply) => {
      const caller = callerOf(req);
      // Without a code in the body, a fresh step-up (passkey or X-Lockbox-OTP) must stand in.
      if (!req.body?.code && (await totpStatus(deps, caller.user.id)).enrolled) await requireStepUp(deps, req, "always");
      await guarded(caller.user.id, () => removeTotp(deps, caller, req.body?.code));
      return reply.code(204).send(null);
    },
  );
}
