import type { SignedDecisionBody } from "../approvals/signed-decision-schemas.js";
import { verifySignedDecision } from "../approvals/verify-signed-decision.js";
import { inTransaction } from "../db/in-transaction.js";
import type { Deps } from "../deps.js";
import { AppError, forbidden } from "../errors.js";
import { auditActor, type Caller, hasRole, isProviderStaff, isTenantApprover } from "../identity/roles.js";
import { verificationDetails } from "../identity/step-up/step-up-policy.js";
import type { AccessRequest, Decision } from "./access-request.js";
import { findVisibleRequest, getRequest } from "./request-queries.js";
import { applyTransition, personRef } from "./transition-request.js";
import { requireDecisionComment } from "./require-decision-comment.js";

/**
 * Says no at the stage the request is in: a provider manager rejects at `pending_manager`; any
 * one of the tenant's approvers denies at `pending_customer`, and that is final.
 */
export async function denyRequest(deps: Deps, caller: Caller, id: string, input: { comment?: string } & SignedDecisionBody): Promise<AccessRequest> {
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
    // Only the customer signs (SPEC 15); provider staff are not the customer.
    const signed = provider ? undefined : await verifySignedDecision(work, caller, row, "deny", input, now);
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
      details: { comment: input.comment ?? null, ...verificationDetails(caller), ...(signed ? { signed } : {}) },
    });
  });
  return getRequest(deps.db, caller.user, id, now);
}
