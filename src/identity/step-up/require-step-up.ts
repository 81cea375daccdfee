import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import type { Deps } from "../../deps.js";
import { AppError } from "../../errors.js";
import { callerOf } from "../../http/authenticate.js";
import type { Caller } from "../roles.js";
import { verifyTotpCode } from "../totp/verify-totp-code.js";
import { totpCodeLimiter, totpGuessKey } from "./code-limiter.js";
import { findFreshVerification, type Holder, recordVerification, sessionHolder, tokenHolder } from "./record-verification.js";
import { OTP_HEADER, orgRequiresStepUp, stepUpMethodsOf, type Verification } from "./step-up-policy.js";

declare module "fastify" {
  interface FastifyContextConfig {
    /**
     * The route changes a decision or a security setting: with the caller's org's
     * requireMfaForDecisions on, it needs a fresh verification (SPEC 14). "always": whatever
     * the org says (removing a factor).
     */
    stepUp?: true | "always";
    /**
     * The route takes a signed decision (SPEC 15): a tenant user's body with {statement,
     * assertion} stands in for step-up, the use case verifying the assertion (UV required).
     */
    signatureStepsUp?: true;
  }
}

export const otpHeaderSchema = z.object({
  [OTP_HEADER]: z
    .string()
    .max(64)
    .optional()
    .describe("Step-up: a current TOTP code or a recovery code, when the org asks for a fresh verification (SPEC 14)"),
});

/** The session or personal token this request came with; its verification is its own. */
export function holderOf(request: FastifyRequest): Holder {
  const caller = callerOf(request);
  if (caller.sessionIdHash) return sessionHolder(caller.sessionIdHash);
  const token = request.headers.authorization?.split(" ", 2)[1];
  if (!token) throw new AppError("unauthenticated", "sign in first");
  return tokenHolder(token);
}

/**
 * Makes sure the caller proved presence within the last STEP_UP_MINUTES, and puts that proof on
 * the caller for the audit (`caller.verification`). In order:
 * 1. the org does not ask (and the route is not "always"): nothing to do;
 * 2. a fresh verification held by this session or token: used as it is (a code in the header is
 *    then not spent, so a script sending --otp on every call does not burn codes);
 * 3. a code in X-Lockbox-OTP: checked and spent (a code works once), counted against the
 *    user's guessing brake when wrong, and recorded for this session or token for 5 minutes;
 * 4. otherwise 401 step_up_required listing the user's methods, or 403 mfa_enrollment_required
 *    when there are none (enrolling a first factor never needs step-up, so this is a way out).
 * Runs before the use case, so "who you are" is settled before "what you may do": a caller
 * without the role may see step_up_required before forbidden, as it sees 401 before 403.
 */
export async function requireStepUp(deps: Deps, request: FastifyRequest, mode: true | "always" = true): Promise<Verification | undefined> {
  const caller = callerOf(request);
  if (mode !== "always" && !(await orgRequiresStepUp(deps.db, caller.user))) return undefined;
  const holder = holderOf(request);
  const now = deps.clock.now();
  const fresh = await findFreshVerification(deps.db, now, holder, caller.user.id);
  if (fresh) return attach(caller, fresh);

  const code = request.headers[OTP_HEADER];
  if (typeof code === "string" && code.trim() !== "") {
    const limiter = totpCodeLimiter(deps);
    const keys = [totpGuessKey(caller.user.id)];
    limiter.attempt(keys, "too many wrong codes; try again later");
    const check = await verifyTotpCode(deps, caller.user.id, code);
    if (!check.ok) {
      throw new AppError("invalid_request", "X-Lockbox-OTP: the code is not right, or was already used; wait for the next one", [
        { field: OTP_HEADER, message: "not right, or already used" },
      ]);
    }
    limiter.forgive(keys);
    return attach(caller, await recordVerification(deps.db, now, holder, caller.user.id, check.method, null));
  }

  // A passkey signature over the decision is itself a fresh verification with UV: the use case
  // verifies it and records it as the verification; without a valid one nothing is written.
  if (mode === true && request.routeOptions.config?.signatureStepsUp && caller.user.tenantId !== null && carriesSignature(request.body)) {
    caller.stepUpBySignature = true;
    return undefined;
  }

  const methods = await stepUpMethodsOf(deps.db, caller.user.id);
  if (methods.length === 0) {
    throw new AppError("mfa_enrollment_required", "this action needs a second factor: add a passkey or an authenticator app under My account first", {
      methods,
    });
  }
  throw new AppError("step_up_required", "confirm it's you: verify with a passkey, or send a current code in X-Lockbox-OTP", { methods });
}

function carriesSignature(body: unknown): boolean {
  const b = body as { statement?: unknown; assertion?: unknown } | null | undefined;
  return !!b && typeof b === "object" && !!b.statement && typeof b.statement === "object" && !!b.assertion && typeof b.assertion === "object";
}

function attach(caller: Caller, verification: Verification): Verification {
  caller.verification = verification;
  return verification;
}

/**
 * Every route marked `config: { stepUp }` runs requireStepUp before its handler (after the body is
 * validated, so bad input is still 400 first). Install on the authenticated API instance before
 * its routes.
 */
export function installStepUp(app: FastifyInstance, deps: Deps): void {
  // The header is part of each protected route's contract: bounded, and in the OpenAPI document.
  app.addHook("onRoute", (route) => {
    if (!route.config?.stepUp || route.schema?.headers) return;
    route.schema = { ...route.schema, headers: otpHeaderSchema };
  });
  app.addHook("preHandler", async (request) => {
    const mode = request.routeOptions.config?.stepUp;
    if (mode) await requireStepUp(deps, request, mode);
  });
}
