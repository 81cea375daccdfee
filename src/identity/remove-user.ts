import type { Deps } from "../deps.js";
import { notFound } from "../errors.js";
import { inTransaction } from "../db/in-transaction.js";
import { endRequestsOfUser } from "./end-requests-of-user.js";
import { endUserAccess } from "./end-user-access.js";
import { findManagedUser, recordPeopleChange, refuseLastAdmin } from "./managed-user.js";
import { auditActor, type Caller } from "./roles.js";

/**
 * Removes a person for good. The row is kept, not deleted: requests, approvals and sessions
 * reference it by foreign key, and past requests keep showing who filed them. What makes it
 * unusable: status "removed" (never listed, never signed in, never found by an admin again), no
 * password, everything endUserAccess ends, and its email replaced by a placeholder so the address
 * can be invited again. The real address stays in the `user.removed` audit event.
 */
export async function removeUser(deps: Deps, caller: Caller, userId: string): Promise<void> {
  const now = deps.clock.now();
  await inTransaction(deps, async (work) => {
    const { trx } = work;
    const { org, target } = await findManagedUser(trx, caller, userId);
    await refuseLastAdmin(trx, org, target, "remove");
    const changed = await trx
      .updateTable("users")
      .set({ status: "removed", password_hash: null, email: `removed:${userId}:${target.email}` })
      .where("id", "=", userId)
      .where("status", "=", target.status)
      .executeTakeFirst();
    if (changed.numUpdatedRows === 0n) throw notFound("user");
    const ended = await endUserAccess(trx, userId);
    const requestsEnded = await endRequestsOfUser(work, caller, target, now, "removed");
    await recordPeopleChange(trx, org, {
      at: now,
      operation: "user.removed",
      actor: auditActor(caller),
      target: { type: "user", id: userId },
      details: { email: target.email, name: target.name, roles: target.roles, from: target.status, ...ended, requestsEnded },
    });
  });
}
