import type { ExpressionBuilder, UpdateObject } from "kysely";
import { appendAudit } from "../audit/append-audit.js";
import { type AuditActor, type AuditDetails, tenantChain } from "../audit/audit-event.js";
import type { Work } from "../db/in-transaction.js";
import type { Database, RequestExtensionTable, Tx } from "../db/schema.js";
import { AppError, notFound } from "../errors.js";
import type { PersonRef, RequestRow } from "./access-request.js";
import type { StoredRequest } from "./request-events.js";
import {
  effectiveStatus,
  type ExtensionAction,
  extensionTransitions,
  isExtensionAction,
  type RequestAction,
  type RequestStatus,
  transitions,
} from "./request-lifecycle.js";
import { transitionPredicate, windowPredicate } from "./request-window-sql.js";
import { newId } from "../ids.js";
import { grantColumns } from "../grants/grant-index.js";

type RequestUpdate = Omit<UpdateObject<Database, "access_requests">, "id" | "status" | "approval_count">;
/** Columns a transition sets with the status: plain values, or SQL built from the row's current values. */
export type TransitionSet = RequestUpdate | ((eb: ExpressionBuilder<Database, "access_requests">) => RequestUpdate);

type ExtensionSet = Partial<Omit<RequestExtensionTable, "id" | "request_id" | "status" | "approval_count">>;

/** A counted step's row right after its compare-and-set (see `Transition.reaching`). */
export interface Counted {
  approval_count: number;
  required_approvals: number | null;
  granted_minutes: number | null;
}

export interface TransitionInput {
  action: RequestAction | ExtensionAction;
  /** For an extension action: the extension it decides, and what to set on its row. */
  extension?: { id: string; set?: ExtensionSet };
  row: RequestRow;
  now: Date;
  actor: AuditActor;
  set?: TransitionSet;
  /** The audit event's details (beyond requestId, ticket and the new status); may use the counted row. */
  details?: AuditDetails | ((counted: Counted) => AuditDetails);
  /** Runs once the compare-and-set has claimed the row, before anything is recorded (may throw). */
  claimed?: (counted: Counted) => Promise<void>;
  /**
   * For a counted step: what the transition it reaches sets and records, given the counted row.
   * Required when the action's row names `reaching`.
   */
  reached?: (counted: Counted) => { set?: TransitionSet; details?: AuditDetails; extensionSet?: ExtensionSet };
}

export interface TransitionResult {
  /** The status the request is in now (for a counted step: the reached one if the count got there). */
  status: RequestStatus;
  counted: Counted;
}

/**
 * THE way a request changes status: applies one row of the lifecycle table (request-lifecycle.ts)
 * as a compare-and-set. The UPDATE names the statuses it may move from and the state of the
 * deadline (generated from the table by request-window-sql.ts), and must touch exactly one row.
 * Of concurrent decisions exactly one matches; the others see zero rows and get 409 with the
 * current status. Never read-then-write: `row` only supplies ids and text for the audit event,
 * which is written in the same transaction, so the change and its record commit together or not
 * at all. A counted step (`reaching`) adds one to the approval count in the same UPDATE (on
 * PostgreSQL the row stays locked until commit, so a racing decision waits and then finds the
 * status moved on); once the count reaches the required number the reached transition is applied
 * at once and writes the step's single audit event.
 */
export async function applyTransition(work: Work, input: TransitionInput): Promise<TransitionResult> {
  if (isExtensionAction(input.action)) return applyExtensionTransition(work, input, input.action);
  const { trx } = work;
  const t = transitions[input.action];
  const at = input.now.toISOString();
  const set = input.set;
  const counted = await trx
    .updateTable("access_requests")
    .set((eb) => ({
      ...(typeof set === "function" ? set(eb) : set),
      status: t.to,
      ...(t.reaching ? { approval_count: eb("approval_count", "+", 1) } : {}),
    }))
    .where("id", "=", input.row.id)
    .where(transitionPredicate(input.action, at))
    // With what the step's listeners need (the grant index), so none reads the row back.
    .returning(["approval_count", "required_approvals", "granted_minutes", ...storedColumns])
    .executeTakeFirst();
  if (!counted) throw await conflict(trx, input.row.id, input.now);
  await input.claimed?.(counted);
  if (t.reaching && counted.approval_count >= (counted.required_approvals ?? 1)) {
    if (!input.reached) throw new Error(`transition ${input.action} needs reached()`);
    const next = input.reached(counted);
    const result = await applyTransition(work, { ...input, action: t.reaching, set: next.set, details: next.details, claimed: undefined });
    return { status: result.status, counted };
  }
  const details = typeof input.details === "function" ? input.details(counted) : input.details;
  await recordRequestEvent(work, input.row, t.operation, input.now, input.actor, { status: t.to, ...details }, counted);
  return { status: t.to, counted };
}

/**
 * An extension's step (the sub-table in request-lifecycle.ts), by the same rules: compare-and-set
 * on the extension's status AND on its request being approved with its access not over, in one
 * UPDATE; counted approvals as above. The step that approves it also moves the request's
 * accessEndsAt (`set`), compare-and-set on the end it read, so two extensions approved at once
 * cannot both add to the same old end. The event is the request's, with its status unchanged.
 */
async function applyExtensionTransition(work: Work, input: TransitionInput, action: ExtensionAction): Promise<TransitionResult> {
  const { trx } = work;
  const t = extensionTransitions[action];
  const ext = input.extension;
  if (!ext) throw new Error(`transition ${action} needs the extension`);
  const at = input.now.toISOString();
  const counted = await trx
    .updateTable("request_extensions")
    .set((eb) => ({ ...ext.set, status: t.to, ...(t.reaching ? { approval_count: eb("approval_count", "+", 1) } : {}) }))
    .where("id", "=", ext.id)
    .where("request_id", "=", input.row.id)
    .where("status", "in", [...t.from])
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom("access_requests as ar")
          .select("ar.id")
          .whereRef("ar.id", "=", "request_extensions.request_id")
          .where(windowPredicate(t.requestIn, t.when, at, "ar")),
      ),
    )
    .returning(["approval_count", "required_approvals"])
    .executeTakeFirst();
  if (!counted) throw await extensionConflict(trx, input.row.id, ext.id, input.now);
  const asCounted: Counted = { ...counted, granted_minutes: input.row.granted_minutes };
  await input.claimed?.(asCounted);
  if (t.reaching && counted.approval_count >= counted.required_approvals) {
    if (!input.reached) throw new Error(`transition ${action} needs reached()`);
    const next = input.reached(asCounted);
    const result = await applyTransition(work, {
      ...input,
      action: t.reaching,
      extension: { id: ext.id, set: next.extensionSet },
      set: next.set,
      details: next.details,
      claimed: undefined,
    });
    return { status: result.status, counted: asCounted };
  }
  if (input.set) {
    const moved = await trx
      .updateTable("access_requests")
      .set(input.set)
      .where("id", "=", input.row.id)
      .where(windowPredicate(t.requestIn, t.when, at))
      .where("access_ends_at", "=", input.row.access_ends_at)
      .executeTakeFirst();
    if (moved.numUpdatedRows !== 1n) throw await conflict(trx, input.row.id, input.now);
  }
  const details = typeof input.details === "function" ? input.details(asCounted) : input.details;
  await recordRequestEvent(work, input.row, t.operation, input.now, input.actor, {
    status: "approved",
    extensionId: ext.id,
    extensionStatus: t.to,
    ...details,
  });
  return { status: "approved", counted: asCounted };
}

async function extensionConflict(trx: Tx, requestId: string, extensionId: string, now: Date): Promise<AppError> {
  const request = await conflict(trx, requestId, now);
  if ((request.details as { status?: string } | undefined)?.status !== "approved") return request;
  const ext = await trx.selectFrom("request_extensions").select("status").where("id", "=", extensionId).executeTakeFirst();
  if (!ext) return notFound("extension");
  return new AppError("conflict", `the extension is ${ext.status}`, { status: ext.status });
}

/**
 * The request's audit event, in its tenant's chain, with the ticket the customer knows it by,
 * and the registered listeners, in the same transaction. `details.status` is the new status.
 * The listeners run first and the append last, just before commit (SPEC §18): the append locks
 * the tenant's chain head until commit, and every statement after it would hold back every other
 * step of that tenant. The event's id is chosen up front so listeners can name it.
 */
export async function recordRequestEvent(
  work: Work,
  row: RequestRow,
  operation: string,
  now: Date,
  actor: AuditActor,
  details: AuditDetails & { status: string },
  stored?: StoredRequest,
): Promise<void> {
  const entry = {
    id: newId(),
    chain: tenantChain(row.tenant_id),
    at: now,
    operation,
    actor,
    target: { type: "request", id: row.id },
    requestId: row.id,
    details: { requestId: row.id, ticket: row.ticket, ...details },
  };
  const event = {
    operation,
    requestId: row.id,
    tenantId: row.tenant_id,
    status: details.status,
    at: now,
    actor,
    details: entry.details,
    auditEventId: entry.id,
    ...(stored ? { stored } : {}),
  };
  for (const listener of work.deps.requestListeners) await listener(work, event);
  await appendAudit(work.trx, entry);
}

/** The request's columns as a transition's UPDATE … RETURNING leaves them (RequestEvent.stored). */
const storedColumns = [...grantColumns, "end_reason"] as const;

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
