import type { Work } from "../db/in-transaction.js";
import { openPredicate } from "../requests/request-window-sql.js";
import { applyTransition, personRef } from "../requests/transition-request.js";
import { auditActor, type Caller, type User } from "./roles.js";

/**
 * A provider engineer who leaves takes no access along: in the same transaction as the
 * deactivation (or removal), their open grants are revoked — the gateways and the access check
 * stop honouring the grant token they may still hold — and their pending requests are canceled,
 * so no approver decides for someone who is gone. Each is an ordinary `request.revoked` /
 * `request.canceled` step in the customer's chain, by the admin, with the reason as its comment.
 * Only requests still open now are touched (the same compare-and-set as any revoke or cancel).
 */
export async function endRequestsOfUser(work: Work, caller: Caller, target: User, now: Date, why: "deactivated" | "removed"): Promise<string[]> {
  if (target.tenantId !== null) return [];
  const at = now.toISOString();
  const rows = await work.trx
    .selectFrom("access_requests as r")
    .innerJoin("users as u", "u.id", "r.requester_id")
    .selectAll("r")
    .select(["u.name as requester_name", "u.email as requester_email"])
    .where("r.requester_id", "=", target.id)
    .where(openPredicate(at, "r"))
    .execute();
  const comment = `${target.name} was ${why} by ${caller.user.name}.`;
  for (const row of rows) {
    const approved = row.status === "approved";
    await applyTransition(work, {
      action: approved ? "revoke" : "cancel",
      row,
      now,
      actor: auditActor(caller),
      set: { ended_at: at, ended_by: personRef(caller.user), end_reason: approved ? "revoked" : "canceled", end_comment: comment },
      details: { comment },
    });
  }
  return rows.map((r) => r.id);
}
