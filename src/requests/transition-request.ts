import { appendAudit } from "../audit/append-audit.js";
import { type AuditActor, type AuditDetails, tenantChain } from "../audit/audit-event.js";
import type { Work } from "../db/in-transaction.js";
import type { AccessRequestTable, Tx } from "../db/schema.js";
import { AppError } from "../errors.js";
import type { PersonRef, RequestRow } from "./access-request.js";
import { effectiveStatus, pendingStatuses, type RequestAction, transitions } from "./request-lifecycle.js";

export interface TransitionInput {
  action: RequestAction;
  row: RequestRow;
  now: Date;
  actor: AuditActor;
  set?: Partial<Omit<AccessRequestTable, "id" | "status">>;
  details?: AuditDetails;
}

/**
 * Applies one lifecycle transition as a compare-and-set: the UPDATE names the statuses it may
 * move from and the state of the deadline, and must touch exactly one row. Of concurrent
 * decisions exactly one matches; the others see zero rows and get 409 with the current status.
 * Never read-then-write: `row` only supplies ids and text for the audit event, which is written
 * in the same transaction, so the change and its record commit together or not at all.
 */
export async function applyTransition(work: Work, input: TransitionInput): Promise<void> {
  const { trx } = work;
  const t = transitions[input.action];
  const at = input.now.toISOString();
  const open = t.when === "person";
  const result = await trx
    .updateTable("access_requests")
    .set({ ...input.set, status: t.to })
    .where("id", "=", input.row.id)
    .where("status", "in", [...t.from])
    .where((eb) =>
      eb.or([
        eb.and([eb("status", "in", [...pendingStatuses]), eb("decide_by", open ? ">" : "<=", at)]),
        eb.and([eb("status", "=", "approved"), eb("access_ends_at", open ? ">" : "<=", at)]),
      ]),
    )
    .executeTakeFirst();
  if (result.numUpdatedRows !== 1n) throw await conflict(trx, input.row.id, input.now);
  await recordRequestEvent(work, input.row, t.operation, input.now, input.actor, { status: t.to, ...input.details });
}

/**
 * The request's audit event, in its tenant's chain, with the ticket the customer knows it by;
 * then the registered listeners, in the same transaction. `details.status` is the new status.
 */
export async function recordRequestEvent(
  work: Work,
  row: RequestRow,
  operation: string,
  now: Date,
  actor: AuditActor,
  details: AuditDetails & { status: string },
): Promise<void> {
  const audit = await appendAudit(work.trx, {
    chain: tenantChain(row.tenant_id),
    at: now,
    operation,
    actor,
    target: { type: "request", id: row.id },
    requestId: row.id,
    details: { requestId: row.id, ticket: row.ticket, ...details },
  });
  const event = {
    operation,
    requestId: row.id,
    tenantId: row.tenant_id,
    status: details.status,
    at: now,
    actor,
    details: audit.details,
    auditEventId: audit.id,
  };
  for (const listener of work.deps.requestListeners) await listener(work, event);
}

export async function conflict(trx: Tx, id: string, now: Date): Promise<AppError> {
  const current = await trx
    .selectFrom("access_requests")
    .select(["status", "decide_by", "access_ends_at"])
    .where("id", "=", id)
    .executeTakeFirstOrThrow();
  const status = effectiveStatus(current, now);
  return new AppError("conflict", `the request is ${status}`, { status });
}

export const personRef = (p: PersonRef): string => JSON.stringify({ id: p.id, name: p.name });
