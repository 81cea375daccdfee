import type { Deps } from "../deps.js";
import { AppError } from "../errors.js";
import { inTransaction } from "../db/in-transaction.js";
import { endRequestsOfUser } from "./end-requests-of-user.js";
import { endUserAccess } from "./end-user-access.js";
import { createInvitation } from "./invitations.js";
import { findManagedUser, recordPeopleChange, refuseLastAdmin } from "./managed-user.js";
import { auditActor, type Caller, type User } from "./roles.js";

/**
 * Someone leaves: the account stays (reactivation brings it back) but can do nothing from the
 * moment this commits — see endUserAccess for what ends with it. The org's last active admin
 * cannot be deactivated, so no org is ever left without someone to manage it.
 */
export async function deactivateUser(deps: Deps, caller: Caller, userId: string): Promise<User> {
  const now = deps.clock.now();
  return inTransaction(deps, async (work) => {
    const { trx } = work;
    const { org, target } = await findManagedUser(trx, caller, userId);
    await refuseLastAdmin(trx, org, target, "deactivate");
    // Compare-and-set: of two racing deactivations, one changes the row and the other is told.
    const changed = await trx
      .updateTable("users")
      .set({ status: "deactivated" })
      .where("id", "=", userId)
      .where("status", "=", target.status)
      .where("status", "in", ["active", "invited"])
      .executeTakeFirst();
    if (changed.numUpdatedRows === 0n) throw new AppError("conflict", `${target.name} is already deactivated.`);
    const ended = await endUserAccess(trx, userId);
    const requestsEnded = await endRequestsOfUser(work, caller, target, now, "deactivated");
    await recordPeopleChange(trx, org, {
      at: now,
      operation: "user.deactivated",
      actor: auditActor(caller),
      target: { type: "user", id: userId },
      details: { email: target.email, from: target.status, ...ended, requestsEnded },
    });
    return { ...target, status: "deactivated" };
  });
}

/**
 * Brings a deactivated account back: "active" if the person had set a password, else "invited"
 * with a fresh invitation (the old one ended with the deactivation), which the admin re-sends
 * from the invitation list to get a link. Old sessions and tokens stay ended.
 */
export async function reactivateUser(deps: Deps, caller: Caller, userId: string): Promise<User> {
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    const { org, target } = await findManagedUser(trx, caller, userId);
    const row = await trx.selectFrom("users").select("password_hash").where("id", "=", userId).executeTakeFirstOrThrow();
    const status = row.password_hash ? ("active" as const) : ("invited" as const);
    const changed = await trx
      .updateTable("users")
      .set({ status })
      .where("id", "=", userId)
      .where("status", "=", "deactivated")
      .executeTakeFirst();
    if (changed.numUpdatedRows === 0n) throw new AppError("conflict", `${target.name} is not deactivated.`);
    if (status === "invited") await createInvitation(trx, deps, userId, now);
    await recordPeopleChange(trx, org, {
      at: now,
      operation: "user.reactivated",
      actor: auditActor(caller),
      target: { type: "user", id: userId },
      details: { email: target.email, to: status },
    });
    return { ...target, status };
  });
}
