import { appendAudit } from "../audit/append-audit.js";
import { providerChain } from "../audit/audit-event.js";
import type { Db } from "../db/schema.js";
import { AppError } from "../errors.js";
import { newSecret } from "../ids.js";
import { checkPasswordRules, hashPassword } from "./passwords.js";
import { findUserRowByEmail } from "./user-queries.js";

export interface PasswordReset {
  email: string;
  /** Set when no password was given: print it once, it is stored only as a hash. */
  generatedPassword?: string;
  sessionsEnded: number;
  status: string;
}

/**
 * The operator's way back in (SPEC 20): `lockbox admin reset-password`, run where the database
 * is. Having the database is the authority here, so there is no caller to check; what keeps it
 * honest is the `user.password_reset` event in the provider chain and that it ends every session
 * of the account. Only provider staff: the provider never sets a tenant user's password (SPEC 1),
 * the tenant's global admin re-invites its people instead.
 */
export async function resetPassword(db: Db, now: Date, input: { email: string; password?: string }): Promise<PasswordReset> {
  const row = await findUserRowByEmail(db, input.email);
  if (!row || row.status === "removed") throw new AppError("not_found", `No user with the email ${input.email.toLowerCase()}.`);
  if (row.tenant_id !== null) {
    throw new AppError("forbidden", `${row.email} belongs to a tenant; the provider never sets a tenant user's password. Its global admin can re-invite the person.`);
  }
  if (input.password !== undefined) checkPasswordRules(input.password, "LOCKBOX_ADMIN_PASSWORD");
  const generatedPassword = input.password === undefined ? newSecret().slice(0, 24) : undefined;
  const passwordHash = await hashPassword(input.password ?? generatedPassword!);
  return db.transaction().execute(async (trx) => {
    // Someone who never accepted the invitation is active from now on, with this password.
    const status = row.status === "invited" ? "active" : row.status;
    const changed = await trx
      .updateTable("users")
      .set({ password_hash: passwordHash, status })
      .where("id", "=", row.id)
      .where("status", "=", row.status)
      .executeTakeFirst();
    if (changed.numUpdatedRows === 0n) throw new AppError("conflict", `${row.email} changed while resetting; run the command again.`);
    if (row.status === "invited") await trx.deleteFrom("invitations").where("user_id", "=", row.id).execute();
    const ended = await trx.deleteFrom("sessions").where("user_id", "=", row.id).executeTakeFirst();
    const sessionsEnded = Number(ended.numDeletedRows);
    await appendAudit(trx, {
      chain: providerChain,
      at: now,
      operation: "user.password_reset",
      actor: { type: "system", id: "cli", name: "lockbox admin reset-password" },
      target: { type: "user", id: row.id },
      details: { email: row.email, sessionsEnded, passwordFrom: generatedPassword ? "generated" : "LOCKBOX_ADMIN_PASSWORD" },
    });
    return { email: row.email, generatedPassword, sessionsEnded, status };
  });
}
