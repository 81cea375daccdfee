import type { AccessRequestTable, RequestApprovalTable } from "../db/schema.js";
import { effectiveStatus, type RequestStatus } from "./request-lifecycle.js";

export interface PersonRef {
  id: string;
  name: string;
}

export interface Decision {
  by: PersonRef;
  at: string;
  decision: "approve" | "reject" | "deny";
  comment: string | null;
}

/** The API form of a data access request (SPEC section 4). */
export interface AccessRequest {
  id: string;
  tenantId: string;
  status: RequestStatus;
  ticket: string;
  reason: string;
  services: string[];
  accessLevel: "read" | "write";
  requestedMinutes: number;
  grantedMinutes: number | null;
  requester: { id: string; name: string; email: string };
  createdAt: string;
  decideBy: string;
  requiredApprovals: number | null;
  managerDecision: Decision | null;
  approvals: { by: PersonRef; at: string; comment: string | null }[];
  customerDecision: Decision | null;
  accessStartsAt: string | null;
  accessEndsAt: string | null;
  endedAt: string | null;
  endedBy: PersonRef | null;
  endReason: string | null;
  /** The comment of the revoke, cancel or deny that ended the request. */
  endComment: string | null;
}

export type RequestRow = AccessRequestTable & { requester_name: string; requester_email: string };

/** Why a request ended when the clock, not a person, ended it. */
export const clockEndReason = { expired: "decision_window_over", completed: "access_window_over" } as const;

const parse = <T>(json: string | null): T | null => (json === null ? null : (JSON.parse(json) as T));

export function toAccessRequest(row: RequestRow, approvals: RequestApprovalTable[], now: Date): AccessRequest {
  const status = effectiveStatus(row, now);
  // Past its deadline but not yet swept: show what the sweeper will record.
  const lapsed = status !== row.status;
  const endedAt = lapsed ? (status === "completed" ? row.access_ends_at : row.decide_by) : row.ended_at;
  return {
    id: row.id,
    tenantId: row.tenant_id,
    status,
    ticket: row.ticket,
    reason: row.reason,
    services: JSON.parse(row.services) as string[],
    accessLevel: row.access_level,
    requestedMinutes: row.requested_minutes,
    grantedMinutes: row.granted_minutes,
    requester: { id: row.requester_id, name: row.requester_name, email: row.requester_email },
    createdAt: row.created_at,
    decideBy: row.decide_by,
    requiredApprovals: row.required_approvals,
    managerDecision: parse<Decision>(row.manager_decision),
    approvals: approvals
      .sort((a, b) => a.at.localeCompare(b.at))
      .map((a) => ({ by: { id: a.user_id, name: a.user_name }, at: a.at, comment: a.comment })),
    customerDecision: parse<Decision>(row.customer_decision),
    accessStartsAt: row.access_starts_at,
    accessEndsAt: row.access_ends_at,
    endedAt,
    endedBy: lapsed ? null : parse<PersonRef>(row.ended_by),
    endReason: lapsed ? clockEndReason[status as keyof typeof clockEndReason] : row.end_reason,
    endComment: lapsed ? null : row.end_comment,
  };
}
