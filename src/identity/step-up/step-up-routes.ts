import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { addMinutes } from "../../clock.js";
import type { Deps } from "../../deps.js";
import { AppError } from "../../errors.js";
import { callerOf } from "../../http/authenticate.js";
import { errorResponses } from "../../http/common-schemas.js";
import { LoginThrottle } from "../login-throttle.js";
import { optionsSchema } from "../passkeys/passkey-schemas.js";
import { getProviderSettings, mustBeProviderAdmin, updateProviderSettings } from "./provider-settings.js";
import { holderOf, installStepUp, otpHeaderSchema, requireStepUp } from "./require-step-up.js";
import { STEP_UP_MINUTES } from "./step-up-policy.js";
import { providerSettingsPatch, providerSettingsSchema, verificationSchema, verifyBody } from "./step-up-schemas.js";
import { startStepUpAssertion, verifyStepUpAssertion } from "./verify-with-passkey.js";

/** Verification challenges one user may ask for per 15 minutes: each is a stored row. */
const CHALLENGES = 60;

const isRefusedAssertion = (err: unknown) => err instanceof AppError && (err.code === "unauthenticated" || err.code === "invalid_request");

/**
 * Step-up (SPEC 14): the passkey verification, the provider's settings, and the hook that guards
 * every route marked `config: { stepUp }`. Register on the authenticated API instance before the
 * protected routes.
 */
export function stepUpRoutes(app: FastifyInstance, deps: Deps): void {
  installStepUp(app, deps);
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ["step-up"];
  // Failed assertions are braked per user like wrong passwords; challenges per user apart, so a
  // page asking for options in a loop cannot fill the table nor lock out the real ceremony.
  const failures = new LoginThrottle(deps.clock);
  const challenges = new LoginThrottle(deps.clock, CHALLENGES, 15 * 60_000);

  r.post(
    "/v1/auth/verify/options",
    {
      schema: {
        tags,
        description: "Request options for proving presence with one of the caller's own passkeys (valid 5 minutes, once).",
        response: { 200: optionsSchema, ...errorResponses, 429: errorResponses[400] },
      },
    },
    async (req) => {
      const caller = callerOf(req);
      const keys = [`step-up-options:${caller.user.id}`];
      challenges.refuseIfLimited(keys, "too many verifications started; try again later");
      challenges.fail(keys);
      return { options: await startStepUpAssertion(deps, caller) };
    },
  );

  r.post(
    "/v1/auth/verify",
    {
      schema: {
        tags,
        description:
          "Verifies a passkey assertion (@simplewebauthn/browser's startAuthentication JSON) over the challenge of /v1/auth/verify/options; " +
          "the session, or the personal API token the call came with, then counts as verified for 5 minutes.",
        body: verifyBody,
        response: { 200: verificationSchema, ...errorResponses, 429: errorResponses[400] },
      },
    },
    async (req) => {
      const caller = callerOf(req);
      const holder = holderOf(req);
      const verification = await failures.guard([`step-up:${caller.user.id}`], "too many failed verifications; try again later", isRefusedAssertion, () =>
        verifyStepUpAssertion(deps, caller, holder, req.body.response),
      );
      return { ...verification, expiresAt: addMinutes(new Date(verification.at), STEP_UP_MINUTES).toISOString() };
    },
  );

  r.get(
    "/v1/orgs/provider/settings",
    { schema: { tags, description: "The provider org's own settings (provider admin).", response: { 200: providerSettingsSchema, ...errorResponses } } },
    async (req) => getProviderSettings(deps, callerOf(req)),
  );

  r.patch(
    "/v1/orgs/provider/settings",
    {
      schema: {
        tags,
        description: "Changes the provider org's settings (provider admin; with step-up when requireMfaForDecisions is on).",
        headers: otpHeaderSchema,
        body: providerSettingsPatch,
        response: { 200: providerSettingsSchema, ...errorResponses },
      },
    },
    async (req) => {
      // The role first, then step-up: only a provider admin is ever asked to prove presence here.
      mustBeProviderAdmin(callerOf(req));
      await requireStepUp(deps, req);
      return updateProviderSettings(deps, callerOf(req), req.body);
    },
  );
}
