import type { AccessRequestTable, ExtensionApprovalTable, RequestApprovalTable, RequestExtensionTable, RequestQuestionTable } from "../db/schema.js";
import type { ReasonType } from "./reason-types.js";
import { type AutoApproval, autoApprovalOf, type BreakGlassInfo, breakGlassOf } from "../break-glass/break-glass-view.js";
import { effectiveExtensionStatus, effectiveStatus, type ExtensionStatus, type RequestStatus } from "./request-lifecycle.js";

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
  reasonType: ReasonType;
  startAt: string | null;
  questions: Question[];
  extensions: Extension[];
  /** Emergency access by two provider people and the customer's review of it (src/break-glass/). */
  breakGlass: BreakGlassInfo | null;
  /** The customer's approval policy (and its version) that approved the request, if one did. */
  autoApprovedBy: AutoApproval | null;
}

/** An approver's question and the requester's answer (SPEC 17), oldest first. */
export interface Question {
  id: string;
  text: string;
  askedBy: PersonRef;
  askedAt: string;
  answer: string | null;
  answeredBy: PersonRef | null;
  answeredAt: string | null;
}

/** A request for more time on granted access (SPEC 17). */
export interface Extension {
  id: string;
  requestId: string;
  status: ExtensionStatus;
  minutes: number;
  reason: string;
  requestedBy: PersonRef;
  requestedAt: string;
  requiredApprovals: number;
  approvals: { by: PersonRef; at: string; comment: string | null }[];
  decision: { by: PersonRef; at: string; decision: "approve" | "deny"; comment: string | null } | null;
  accessEndsAt: string | null;
}

/** The rows of a request's history beside the request itself. */
export interface RequestHistory {
  questions: RequestQuestionTable[];
  extensions: RequestExtensionTable[];
  extensionApprovals: ExtensionApprovalTable[];
}
const noHistory: RequestHistory = { questions: [], extensions: [], extensionApprovals: [] };

export type RequestRow = AccessRequestTable & { requester_name: string; requester_email: string };

/** Why a request ended when the clock, not a person, ended it. */
export const clockEndReason = { expired: "decision_window_over", completed: "access_window_over" } as const;

const parse = <T>(json: string | null): T | null => (json === null ? null : (JSON.parse(json) as T));

export function toAccessRequest(row: RequestRow, approvals: RequestApprovalTable[], now: Date, history: RequestHistory = noHistory): AccessRequest {
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
    reasonType: (row.reason_type ?? "customer_initiated_support") as ReasonType,
    startAt: row.start_at ?? null,
    questions: history.questions
      .filter((q) => q.request_id === row.id)
      .sort((a, b) => a.asked_at.localeCompare(b.asked_at) || a.id.localeCompare(b.id))
      .map((q) => ({
        id: q.id,
        text: q.text,
        askedBy: JSON.parse(q.asked_by) as PersonRef,
        askedAt: q.asked_at,
        answer: q.answer,
        answeredBy: parse<PersonRef>(q.answered_by),
        answeredAt: q.answered_at,
      })),
    extensions: history.extensions
      .filter((e) => e.request_id === row.id)
      .sort((a, b) => a.requested_at.localeCompare(b.requested_at) || a.id.localeCompare(b.id))
      .map((e) => ({
        id: e.id,
        requestId: e.request_id,
        status: effectiveExtensionStatus(e.status, row, now),
        minutes: e.minutes,
        reason: e.reason,
        requestedBy: JSON.parse(e.requested_by) as PersonRef,
        requestedAt: e.requested_at,
        requiredApprovals: e.required_approvals,
        approvals: history.extensionApprovals
          .filter((a) => a.extension_id === e.id)
          .sort((a, b) => a.at.localeCompare(b.at))
          .map((a) => ({ by: { id: a.user_id, name: a.user_name }, at: a.at, comment: a.comment })),
        decision: parse<Extension["decision"] & object>(e.decision),
        accessEndsAt: e.access_ends_at,
      })),
    breakGlass: breakGlassOf(row),
    autoApprovedBy: autoApprovalOf(row),
  };
}
