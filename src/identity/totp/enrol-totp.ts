import type { Deps } from "../../deps.js";
import { AppError, invalidField } from "../../errors.js";
import { newId } from "../../ids.js";
import { recordFactorActivity } from "../account/record-factor-activity.js";
import { auditActor, type Caller } from "../roles.js";
import { matchTotpCode, newRecoveryCode, newTotpSecret, otpauthUrlOf, RECOVERY_CODE_COUNT, recoveryCodeHash } from "./totp-codes.js";
import { openTotpSecret, sealTotpSecret, totpKey } from "./totp-secret-box.js";

/**
 * Starts (or restarts) enrolment: a new secret, pending until a code from it is confirmed. An
 * enrolled factor is not replaced here — it must be removed first, which needs a current code —
 * so a stolen session alone cannot swap the factor for one the thief holds.
 */
export async function startTotpEnrolment(deps: Deps, caller: Caller): Promise<{ secret: string; otpauthUrl: string }> {
  const userId = caller.user.id;
  const secret = newTotpSecret();
  const sealed = sealTotpSecret(totpKey(deps.config), userId, secret);
  const now = deps.clock.now().toISOString();
  await deps.db.transaction().execute(async (trx) => {
    const existing = await trx.selectFrom("totp_factors").select("confirmed_at").where("user_id", "=", userId).executeTakeFirst();
    if (existing?.confirmed_at) throw new AppError("conflict", "an authenticator app is already enrolled; remove it first");
    await trx.deleteFrom("totp_factors").where("user_id", "=", userId).where("confirmed_at", "is", null).execute();
    await trx.insertInto("totp_factors").values({ user_id: userId, secret: sealed, created_at: now, confirmed_at: null, last_time_step: null }).execute();
  });
  const issuer = `Lockbox (${new URL(deps.config.publicUrl).host})`;
  return { secret, otpauthUrl: otpauthUrlOf(secret, issuer, caller.user.email) };
}

/**
 * Confirms the pending secret with a current code, then hands out ten recovery codes, shown this
 * once and stored hashed. The confirming code's step is remembered, so it cannot be used again.
 */
export async function confirmTotpEnrolment(deps: Deps, caller: Caller, code: string): Promise<{ recoveryCodes: string[] }> {
  const userId = caller.user.id;
  const now = deps.clock.now();
  const pending = await deps.db.selectFrom("totp_factors").selectAll().where("user_id", "=", userId).executeTakeFirst();
  if (!pending) throw new AppError("conflict", "no authenticator app enrolment is under way; start one first");
  if (pending.confirmed_at) throw new AppError("conflict", "the authenticator app is already confirmed");
  const secret = openTotpSecret(totpKey(deps.config), userId, pending.secret);
  const step = matchTotpCode(secret, code, now, null);
  if (step === null) throw invalidField("code", "the code is not right; check the app and the device's clock");

  const recoveryCodes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
  await deps.db.transaction().execute(async (trx) => {
    // Compare-and-set on the very secret that was checked: a restart in between loses.
    const done = await trx
      .updateTable("totp_factors")
      .set({ confirmed_at: now.toISOString(), last_time_step: step })
      .where("user_id", "=", userId)
      .where("secret", "=", pending.secret)
      .where("confirmed_at", "is", null)
      .executeTakeFirst();
    if (Number(done.numUpdatedRows) !== 1) throw new AppError("conflict", "the enrolment changed meanwhile; start again");
    await trx.deleteFrom("recovery_codes").where("user_id", "=", userId).execute();
    await trx
      .insertInto("recovery_codes")
      .values(recoveryCodes.map((c) => ({ id: newId(), user_id: userId, code_hash: recoveryCodeHash(c)!, created_at: now.toISOString(), used_at: null })))
      .execute();
    await recordFactorActivity(trx, caller.user.tenantId, {
      at: now,
      operation: "user.totp_enrolled",
      actor: auditActor(caller),
      target: { type: "user", id: userId },
      details: { recoveryCodes: RECOVERY_CODE_COUNT },
    });
  });
  return { recoveryCodes };
}
