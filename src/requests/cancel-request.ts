import { inTransaction } from "../db/in-transaction.js";
import type { Deps } from "../deps.js";
import { forbidden } from "../errors.js";
import { auditActor, type Caller, hasRole, isProviderStaff } from "../identity/roles.js";
import type { AccessRequest } from "./access-request.js";
import { findVisibleRequest, getRequest } from "./request-queries.js";
import { applyTransition, personRef } from "./transition-request.js";

/** The requester withdraws a pending request, or a provider manager calls it off. */
export async function cancelRequest(deps: Deps, caller: Caller, id: string, input: { comment?: string }): Promise<AccessRequest> {
  const now = deps.clock.now();
  await inTransaction(deps, async (work) => {
    const { trx } = work;
    const row = await findVisibleRequest(trx, caller.user, id);
    const mayCancel =
      isProviderStaff(caller.user) && (row.requester_id === caller.user.id || hasRole(caller.user, "manager"));
    if (!mayCancel) throw forbidden("only the requester or a provider manager cancels a request");
    await applyTransition(work, {
      action: "cancel",
      row,
      now,
      actor: auditActor(caller),
      set: { ended_at: now.toISOString(), ended_by: personRef(caller.user), end_reason: "canceled", end_comment: input.comment ?? null },
      details: { comment: input.comment ?? null },
    });
  });
  return getRequest(deps.db, caller.user, id, now);
}
