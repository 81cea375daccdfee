import { inTransaction } from "../db/in-transaction.js";
import type { Deps } from "../deps.js";
import { AppError, forbidden, invalidField } from "../errors.js";
import { auditActor, type Caller, isTenantApprover } from "../identity/roles.js";
import type { AccessRequest } from "../requests/access-request.js";
import { effectiveStatus } from "../requests/request-lifecycle.js";
import { findVisibleRequest, getRequest } from "../requests/request-queries.js";
import { recordRequestEvent } from "../requests/transition-request.js";
import type { BreakGlassReview } from "./break-glass-view.js";

export type ReviewVerdict = BreakGlassReview["verdict"];

/**
 * The customer's after-the-fact review of a break-glass access (SPEC 17): its approvers say
 * whether they accept what the provider did without asking, or dispute it (with a reason, which
 * the provider admin reads in the disputed list). One review per request, whatever its status
 * now — the access may long be over. Compare-and-set on "not yet reviewed": of two racing
 * reviews one lands, the other is 409.
 */
export async function reviewBreakGlass(
  deps: Deps,
  caller: Caller,
  id: string,
  input: { verdict: ReviewVerdict; comment?: string | null },
): Promise<AccessRequest> {
  const now = deps.clock.now();
  const comment = input.comment?.trim() ? input.comment.trim() : null;
  await inTransaction(deps, async (work) => {
    const row = await findVisibleRequest(work.trx, caller.user, id);
    if (!isTenantApprover(caller.user, row.tenant_id)) throw forbidden("only the tenant's approvers review a break-glass access");
    if (row.break_glass !== 1) throw new AppError("conflict", "only a break-glass access is reviewed");
    if (input.verdict === "disputed" && comment === null) throw invalidField("comment", "say what you dispute");
    const review: BreakGlassReview = { by: { id: caller.user.id, name: caller.user.name }, at: now.toISOString(), verdict: input.verdict, comment };
    const res = await work.trx
      .updateTable("access_requests")
      .set({ review_verdict: input.verdict, review: JSON.stringify(review) })
      .where("id", "=", row.id)
      .where("break_glass", "=", 1)
      .where("review_verdict", "is", null)
      .executeTakeFirst();
    if (res.numUpdatedRows !== 1n) throw new AppError("already_decided", "this break-glass access has already been reviewed");
    await recordRequestEvent(work, row, "request.reviewed", now, auditActor(caller), {
      status: effectiveStatus(row, now),
      verdict: input.verdict,
      comment,
    });
  });
  return getRequest(deps.db, caller.user, id, now);
}
