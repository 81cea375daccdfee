import type { SignedDecisionBody } from "../approvals/signed-decision-schemas.js";
import { verifySignedDecision } from "../approvals/verify-signed-decision.js";
import { inTransaction } from "../db/in-transaction.js";
import type { Deps } from "../deps.js";
import { forbidden } from "../errors.js";
import { auditActor, type Caller, hasRole, isProviderStaff, isTenantApprover } from "../identity/roles.js";
import { verificationDetails } from "../identity/step-up/step-up-policy.js";
import type { AccessRequest } from "./access-request.js";
import { findVisibleRequest, getRequest } from "./request-queries.js";
import { applyTransition, personRef } from "./transition-request.js";
import { requireDecisionComment } from "./require-decision-comment.js";

/**
 * Ends granted access early. The customer can always take back what it gave (a tenant
 * approver); on the provider side a manager or provider admin can cut access short.
 */
export async function revokeRequest(deps: Deps, caller: Caller, id: string, input: { comment?: string } & SignedDecisionBody): Promise<AccessRequest> {
  const now = deps.clock.now();
  await inTransaction(deps, async (work) => {
    const { trx } = work;
    const row = await findVisibleRequest(trx, caller.user, id);
    const mayRevoke = isProviderStaff(caller.user)
      ? hasRole(caller.user, "manager", "provider_admin")
      : isTenantApprover(caller.user, row.tenant_id);
    if (!mayRevoke) throw forbidden("your role cannot revoke access");
    await requireDecisionComment(trx, caller.user, row.tenant_id, input.comment);
    // Only the customer signs (SPEC 15); provider staff are not the customer.
    const signed = isProviderStaff(caller.user) ? undefined : await verifySignedDecision(work, caller, row, "revoke", input, now);
    await applyTransition(work, {
      action: "revoke",
      row,
      now,
      actor: auditActor(caller),
      set: { ended_at: now.toISOString(), ended_by: personRef(caller.user), end_reason: "revoked", end_comment: input.comment ?? null },
      details: { comment: input.comment ?? null, ...verificationDetails(caller), ...(signed ? { signed } : {}) },
    });
  });
  return getRequest(deps.db, caller.user, id, now);
}
