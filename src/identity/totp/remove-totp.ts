import type { Deps } from "../../deps.js";
import { AppError, invalidField } from "../../errors.js";
import { recordFactorActivity } from "../account/record-factor-activity.js";
import { auditActor, type Caller } from "../roles.js";
import { verifyTotpCode } from "./verify-totp-code.js";

/**
 * Removes the caller's authenticator app and its recovery codes, audited always. It needs step-up
 * (SPEC 14: "DELETE /v1/me/totp (with step-up)"), whatever the org's setting: a current code or a
 * recovery code in `code`, or a fresh verification the route already found (`caller.verification`:
 * a passkey, or X-Lockbox-OTP), so a stolen session cookie cannot strip the factor. A pending
 * enrolment (never confirmed) is simply discarded without either.
 */
export async function removeTotp(deps: Deps, caller: Caller, code: string | undefined): Promise<void> {
  const userId = caller.user.id;
  const factor = await deps.db.selectFrom("totp_factors").select(["confirmed_at"]).where("user_id", "=", userId).executeTakeFirst();
  if (!factor) throw new AppError("not_found", "no authenticator app is enrolled");
  let method: string | null = null;
  if (factor.confirmed_at) {
    if (code) {
      const check = await verifyTotpCode(deps, userId, code);
      if (!check.ok) throw invalidField("code", "the code is not right");
      method = check.method;
    } else if (caller.verification) {
      method = caller.verification.method;
    } else {
      throw invalidField("code", "a current code from the app, or a recovery code, is required");
    }
  }
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    await trx.deleteFrom("recovery_codes").where("user_id", "=", userId).execute();
    const gone = await trx.deleteFrom("totp_factors").where("user_id", "=", userId).executeTakeFirst();
    if (Number(gone.numDeletedRows) !== 1) throw new AppError("not_found", "no authenticator app is enrolled");
    if (!factor.confirmed_at) return;
    await recordFactorActivity(trx, caller.user.tenantId, {
      at: now,
      operation: "user.totp_removed",
      actor: auditActor(caller),
      target: { type: "user", id: userId },
      details: { verifiedWith: method },
    });
  });
}

/** Whether the user has a confirmed factor, and how many recovery codes are left. */
export async function totpStatus(deps: Deps, userId: string): Promise<{ enrolled: boolean; pending: boolean; recoveryCodesLeft: number }> {
  const factor = await deps.db.selectFrom("totp_factors").select("confirmed_at").where("user_id", "=", userId).executeTakeFirst();
  const left = await deps.db
    .selectFrom("recovery_codes")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("user_id", "=", userId)
    .where("used_at", "is", null)
    .executeTakeFirstOrThrow();
  return { enrolled: Boolean(factor?.confirmed_at), pending: Boolean(factor && !factor.confirmed_at), recoveryCodesLeft: Number(left.n) };
}
