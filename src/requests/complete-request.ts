import { inTransaction } from "../db/in-transaction.js";
import type { Deps } from "../deps.js";
import { forbidden } from "../errors.js";
import { auditActor, type Caller } from "../identity/roles.js";
import type { AccessRequest } from "./access-request.js";
import { findVisibleRequest, getRequest } from "./request-queries.js";
import { applyTransition, personRef } from "./transition-request.js";

/** The requester gives access back before its window ends. */
export async function completeRequest(deps: Deps, caller: Caller, id: string): Promise<AccessRequest> {
  const now = deps.clock.now();
  await inTransaction(deps, async (work) => {
    const { trx } = work;
    const row = await findVisibleRequest(trx, caller.user, id);
    if (row.requester_id !== caller.user.id) throw forbidden("only the requester releases its access");
    await applyTransition(work, {
      action: "release",
      row,
      now,
      actor: auditActor(caller),
      set: { ended_at: now.toISOString(), ended_by: personRef(caller.user), end_reason: "released" },
    });
  });
  return getRequest(deps.db, caller.user, id, now);
}
