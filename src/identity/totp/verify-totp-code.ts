import type { Deps } from "../../deps.js";
import { matchTotpCode, recoveryCodeHash } from "./totp-codes.js";
import { openTotpSecret, totpKey } from "./totp-secret-box.js";

export type TotpVerification = { ok: true; method: "totp" | "recovery_code" } | { ok: false };

/**
 * Checks a code from the user's confirmed authenticator app, or one of their recovery codes, and
 * spends it: a TOTP code moves `last_time_step` forward by compare-and-set (so that code, and any
 * older one, is refused from then on, even by a concurrent request), a recovery code gets its
 * `used_at`. A pending (unconfirmed) factor verifies nothing. Rate limiting is the caller's job
 * (the routes count failures per user); this is what step-up will call.
 */
export async function verifyTotpCode(deps: Deps, userId: string, code: string): Promise<TotpVerification> {
  const factor = await deps.db.selectFrom("totp_factors").selectAll().where("user_id", "=", userId).executeTakeFirst();
  if (!factor?.confirmed_at || code.length > 64) return { ok: false };
  const now = deps.clock.now();
  const trimmed = code.trim();
  if (/^\d{6}$/.test(trimmed)) {
    const last = factor.last_time_step === null ? null : Number(factor.last_time_step);
    const step = matchTotpCode(openTotpSecret(totpKey(deps.config), userId, factor.secret), trimmed, now, last);
    if (step === null) return { ok: false };
    let update = deps.db.updateTable("totp_factors").set({ last_time_step: step }).where("user_id", "=", userId).where("secret", "=", factor.secret);
    update = last === null ? update.where("last_time_step", "is", null) : update.where("last_time_step", "=", last);
    const moved = await update.executeTakeFirst();
    return Number(moved.numUpdatedRows) === 1 ? { ok: true, method: "totp" } : { ok: false };
  }
  const hash = recoveryCodeHash(trimmed);
  if (!hash) return { ok: false };
  const used = await deps.db
    .updateTable("recovery_codes")
    .set({ used_at: now.toISOString() })
    .where("user_id", "=", userId)
    .where("code_hash", "=", hash)
    .where("used_at", "is", null)
    .executeTakeFirst();
  return Number(used.numUpdatedRows) === 1 ? { ok: true, method: "recovery_code" } : { ok: false };
}
