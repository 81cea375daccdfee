import type { Tx } from "../db/schema.js";

export interface EndedAccess {
  sessionsEnded: number;
  tokensDeleted: number;
  invitationsRevoked: number;
  /** Requests still waiting for the customer on which this person's approval no longer counts. */
  approvalsVoided: string[];
}

/**
 * Everything that lets a person act, ended in the caller's transaction: sessions, personal API
 * tokens and open invitations are deleted (authentication also refuses anyone not `active`, so
 * nothing works between the status change and this), and their approvals of requests still
 * waiting for the customer stop counting.
 *
 * An approval is voided by deleting its row and lowering the request's count with a
 * compare-and-set on `pending_customer`: a request that needed two approvals, one of them from
 * this person, needs two live ones again. Approvals of requests already decided stand — they were
 * valid when given — and every approval stays in the audit log as `request.approved`.
 */
export async function endUserAccess(trx: Tx, userId: string): Promise<EndedAccess> {
  const sessions = await trx.deleteFrom("sessions").where("user_id", "=", userId).executeTakeFirst();
  const tokens = await trx.deleteFrom("api_tokens").where("user_id", "=", userId).executeTakeFirst();
  const invitations = await trx
    .deleteFrom("invitations")
    .where("user_id", "=", userId)
    .where("accepted_at", "is", null)
    .executeTakeFirst();
  const pending = await trx
    .selectFrom("request_approvals as a")
    .innerJoin("access_requests as r", "r.id", "a.request_id")
    .select("a.request_id")
    .where("a.user_id", "=", userId)
    .where("r.status", "=", "pending_customer")
    .execute();
  const approvalsVoided: string[] = [];
  for (const { request_id } of pending) {
    const lowered = await trx
      .updateTable("access_requests")
      .set((eb) => ({ approval_count: eb("approval_count", "-", 1) }))
      .where("id", "=", request_id)
      .where("status", "=", "pending_customer")
      .where("approval_count", ">", 0)
      .executeTakeFirst();
    if (lowered.numUpdatedRows === 0n) continue;
    await trx.deleteFrom("request_approvals").where("request_id", "=", request_id).where("user_id", "=", userId).execute();
    approvalsVoided.push(request_id);
  }
  return {
    sessionsEnded: Number(sessions.numDeletedRows),
    tokensDeleted: Number(tokens.numDeletedRows),
    invitationsRevoked: Number(invitations.numDeletedRows),
    approvalsVoided,
  };
}
