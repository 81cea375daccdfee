import type { AuditActor, AuditDetails } from "../audit/audit-event.js";
import type { Work } from "../db/in-transaction.js";
import type { AccessRequestTable } from "../db/schema.js";

/** A step in a request's life, as recorded in the audit (`operation` is the audit operation). */
export interface RequestEvent {
  operation: string;
  requestId: string;
  tenantId: string;
  /** The request's status after this step. */
  status: string;
  at: Date;
  actor: AuditActor;
  details: AuditDetails;
  /** The id of the audit event written for this step; a stable id for webhooks and mails. */
  auditEventId: string;
  /** The request row right after a status change, from its UPDATE … RETURNING (absent for other steps). */
  stored?: StoredRequest;
}

export type StoredRequest = Pick<
  AccessRequestTable,
  "id" | "requester_id" | "tenant_id" | "services" | "access_level" | "access_starts_at" | "access_ends_at" | "status" | "end_reason"
>;

/**
 * Features that react to request steps register here in createApp (e.g. the grant index, the
 * notification outbox). Listeners run inside the step's transaction: what they write commits
 * with the step, and `work.afterCommit` defers what must wait for the commit.
 */
export type RequestEventListener = (work: Work, event: RequestEvent) => Promise<void>;
