import type { Queryable } from "../../db/schema.js";
import { AppError } from "../../errors.js";
import type { Caller, User } from "../roles.js";

/** How long one verification lets its session or token act (SPEC 14). */
export const STEP_UP_MINUTES = 5;

/** The header a TOTP or recovery code rides on, on the protected call itself. */
export const OTP_HEADER = "x-lockbox-otp";

/** The second factors a person can prove presence with, in the order the admin center offers them. */
export type StepUpMethod = "passkey" | "totp";

/** How a verification was made: a recovery code stands in for the app and says so in the audit. */
export type VerificationMethod = "passkey" | "totp" | "recovery_code";

/** What a decision's audit event records as `details.verification`. */
export interface Verification {
  method: VerificationMethod;
  at: string;
  credentialId?: string;
}

/**
 * Whether the caller's own org asks for step-up: a tenant user's tenant, provider staff's provider
 * settings. The org of the person deciding, not of the thing decided: a provider manager's
 * approval is the provider's policy to harden, the customer's the customer's.
 */
export async function orgRequiresStepUp(db: Queryable, user: User): Promise<boolean> {
  if (user.tenantId === null) {
    const row = await db.selectFrom("provider_settings").select("require_mfa_for_decisions").where("id", "=", "provider").executeTakeFirst();
    return row?.require_mfa_for_decisions === 1;
  }
  const row = await db.selectFrom("tenants").select("require_mfa_for_decisions").where("id", "=", user.tenantId).executeTakeFirst();
  return row?.require_mfa_for_decisions === 1;
}

/** The factors the user has enrolled: a pending (unconfirmed) authenticator app is none. */
export async function stepUpMethodsOf(db: Queryable, userId: string): Promise<StepUpMethod[]> {
  const [passkey, totp] = await Promise.all([
    db.selectFrom("passkeys").select("id").where("user_id", "=", userId).limit(1).executeTakeFirst(),
    db.selectFrom("totp_factors").select("user_id").where("user_id", "=", userId).where("confirmed_at", "is not", null).executeTakeFirst(),
  ]);
  const methods: StepUpMethod[] = [];
  if (passkey) methods.push("passkey");
  if (totp) methods.push("totp");
  return methods;
}

/** `{ verification }` for a decision's audit details when the caller stepped up; else nothing. */
export function verificationDetails(caller: Caller): { verification?: Verification } {
  // A decision whose step-up was deferred to a signature that never verified has no verification.
  if (caller.stepUpBySignature) throw new AppError("step_up_required", "confirm it's you: the decision's passkey signature was not verified", { methods: ["passkey"] });
  return caller.verification ? { verification: caller.verification } : {};
}
