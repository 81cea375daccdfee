import { inTransaction } from "../db/in-transaction.js";
import type { Deps } from "../deps.js";
import { AppError, forbidden } from "../errors.js";
import { auditActor, type Caller, hasRole, isProviderStaff, isTenantApprover } from "../identity/roles.js";
import type { AccessRequest, Decision } from "./access-request.js";
import { findVisibleRequest, getRequest } from "./request-queries.js";
import { applyTransition, personRef } from "./transition-request.js";
import { requireDecisionComment } from "./require-decision-comment.js";

/**
 * Says no at the stage the request is in: a provider manager rejects at `pending_manager`; any
 * one of the tenant's approvers denies at `pending_customer`, and that is final.
 */
export async function denyRequest(deps: Deps, caller: Caller, id: string, input: { comment?: string }): Promise<AccessRequest> {
  const now = deps.clock.now();
  await inTransaction(deps, async (work) => {
    const { trx } = work;
    const row = await findVisibleRequest(trx, caller.user, id);
    if (row.requester_id === caller.user.id) {
      throw new AppError("self_approval", "nobody decides their own request; cancel it instead");
    }
    const provider = isProviderStaff(caller.user);
    if (provider ? !hasRole(caller.user, "manager") : !isTenantApprover(caller.user, row.tenant_id)) throw forbidden();
    await requireDecisionComment(trx, caller.user, row.tenant_id, input.comment);
    const by = { id: caller.user.id, name: caller.user.name };
    const decision: Decision = { by, at: now.toISOString(), decision: provider ? "reject" : "deny", comment: input.comment ?? null };
    await applyTransition(work, {
      action: provider ? "reject" : "deny",
      row,
      now,
      actor: auditActor(caller),
      set: {
        [provider ? "manager_decision" : "customer_decision"]: JSON.stringify(decision),
        ended_at: now.toISOString(),
        ended_by: personRef(by),
        end_reason: provider ? "rejected" : "denied",
        end_comment: input.comment ?? null,
      },
      details: { comment: input.comment ?? null },
    });
  });
  return getRequest(deps.db, caller.user, id, now);
}
