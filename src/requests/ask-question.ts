import { inTransaction } from "../db/in-transaction.js";
import type { Deps } from "../deps.js";
import { AppError, forbidden, notFound } from "../errors.js";
import { newId } from "../ids.js";
import { auditActor, type Caller, isTenantApprover } from "../identity/roles.js";
import type { Question, RequestRow } from "./access-request.js";
import { effectiveStatus, terminalStatuses } from "./request-lifecycle.js";
import { findVisibleRequest, getRequest } from "./request-queries.js";
import { personRef, recordRequestEvent } from "./transition-request.js";

/** Questions are for requests still in play: once a request has ended there is nothing to decide. */
function requireOpen(row: RequestRow, now: Date): string {
  const status = effectiveStatus(row, now);
  if (terminalStatuses.includes(status)) throw new AppError("conflict", `the request is ${status}`, { status });
  return status;
}

/**
 * One of the customer's approvers asks the requester for more information (SPEC 17). The
 * decision clock does not stop: decideBy and accessEndsAt are untouched. Audited in the tenant's
 * chain with the question's text; mail and webhooks go out from the same transaction.
 */
export async function askQuestion(deps: Deps, caller: Caller, id: string, input: { text: string }): Promise<Question> {
  const now = deps.clock.now();
  const qid = newId();
  await inTransaction(deps, async (work) => {
    const row = await findVisibleRequest(work.trx, caller.user, id);
    if (!isTenantApprover(caller.user, row.tenant_id)) throw forbidden("only the tenant's approvers ask about a request");
    const status = requireOpen(row, now);
    await work.trx
      .insertInto("request_questions")
      .values({ id: qid, request_id: row.id, text: input.text, asked_by: personRef(caller.user), asked_at: now.toISOString(), answer: null, answered_by: null, answered_at: null })
      .execute();
    await recordRequestEvent(work, row, "request.question_asked", now, auditActor(caller), { status, questionId: qid, text: input.text });
  });
  return findQuestion(deps, caller, id, qid);
}

/**
 * The requester answers a question, once. The compare-and-set on the empty answer makes a second
 * answer (or two at once) a 409, never an overwrite.
 */
export async function answerQuestion(deps: Deps, caller: Caller, id: string, qid: string, input: { text: string }): Promise<Question> {
  const now = deps.clock.now();
  await inTransaction(deps, async (work) => {
    const row = await findVisibleRequest(work.trx, caller.user, id);
    const question = await work.trx.selectFrom("request_questions").select("id").where("id", "=", qid).where("request_id", "=", row.id).executeTakeFirst();
    if (!question) throw notFound("question");
    if (row.requester_id !== caller.user.id) throw forbidden("only the requester answers");
    const status = requireOpen(row, now);
    const answered = await work.trx
      .updateTable("request_questions")
      .set({ answer: input.text, answered_by: personRef(caller.user), answered_at: now.toISOString() })
      .where("id", "=", qid)
      .where("answer", "is", null)
      .executeTakeFirst();
    if (answered.numUpdatedRows !== 1n) throw new AppError("conflict", "the question is already answered", { status: "answered" });
    await recordRequestEvent(work, row, "request.question_answered", now, auditActor(caller), { status, questionId: qid, text: input.text });
  });
  return findQuestion(deps, caller, id, qid);
}

async function findQuestion(deps: Deps, caller: Caller, id: string, qid: string): Promise<Question> {
  const request = await getRequest(deps.db, caller.user, id, deps.clock.now());
  return request.questions.find((q) => q.id === qid)!;
}
