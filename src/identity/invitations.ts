import { addMinutes } from "../clock.js";
import { recordMembershipActivity } from "../audit/record-org-activity.js";
import type { Tx } from "../db/schema.js";
import type { Deps } from "../deps.js";
import { AppError } from "../errors.js";
import { newId, newSecret, sha256Hex } from "../ids.js";
import { checkPasswordRules, hashPassword } from "./passwords.js";
import type { User } from "./roles.js";
import { findUserById } from "./user-queries.js";

export const INVITATION_HOURS = 72;

export interface Invitation {
  token: string;
  url: string;
  expiresAt: string;
}

/** A one-time invitation; only the hash of its token is stored. */
export async function createInvitation(trx: Tx, deps: Deps, userId: string, now: Date): Promise<Invitation> {
  const token = newSecret("inv_");
  const expiresAt = addMinutes(now, INVITATION_HOURS * 60).toISOString();
  await trx
    .insertInto("invitations")
    .values({
      id: newId(),
      user_id: userId,
      token_hash: sha256Hex(token),
      created_at: now.toISOString(),
      expires_at: expiresAt,
      accepted_at: null,
    })
    .execute();
  // The token rides in the fragment, which browsers never send to a server or put in its logs.
  return { token, url: `${deps.config.publicUrl}/accept-invitation#token=${token}`, expiresAt };
}

export async function acceptInvitation(
  deps: Deps,
  input: { token: string; password: string; name?: string; ip?: string },
): Promise<User> {
  checkPasswordRules(input.password);
  // A token that cannot be used is refused before the slow hash; the compare-and-set below still
  // decides (the invitation may be used or revoked meanwhile).
  const usable = await deps.db
    .selectFrom("invitations")
    .select("id")
    .where("token_hash", "=", sha256Hex(input.token))
    .where("accepted_at", "is", null)
    .where("expires_at", ">", deps.clock.now().toISOString())
    .executeTakeFirst();
  if (!usable) throw new AppError("invitation_invalid", "this invitation is unknown, used or expired");
  const passwordHash = await hashPassword(input.password);
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    // Compare-and-set on accepted_at: an invitation is used once even if two accepts race.
    const used = await trx
      .updateTable("invitations")
      .set({ accepted_at: now.toISOString() })
      .where("token_hash", "=", sha256Hex(input.token))
      .where("accepted_at", "is", null)
      .where("expires_at", ">", now.toISOString())
      .returning("user_id")
      .executeTakeFirst();
    if (!used) throw new AppError("invitation_invalid", "this invitation is unknown, used or expired");
    await trx
      .updateTable("users")
      .set({ password_hash: passwordHash, status: "active", ...(input.name ? { name: input.name } : {}) })
      .where("id", "=", used.user_id)
      .execute();
    const user = (await findUserById(trx, used.user_id))!;
    // Witnessed whatever auditingEnabled says: a tenant's first admin activates before anyone
    // could turn auditing on.
    await recordMembershipActivity(trx, user.tenantId, {
      at: now,
      operation: "user.activated",
      actor: { type: "user", id: user.id, name: user.name, ...(input.ip ? { ip: input.ip } : {}) },
      target: { type: "user", id: user.id },
    });
    return user;
  });
}
