/**
 * The data access request lifecycle as data: every status, every action and the one transition
 * each action makes. Use cases consult this table; they never decide transitions on their own.
 */
export const requestStatuses = [
  "pending_manager",
  "pending_customer",
  "approved",
  "rejected",
  "denied",
  "expired",
  "canceled",
  "revoked",
  "completed",
] as const;
export type RequestStatus = (typeof requestStatuses)[number];

export const terminalStatuses: readonly RequestStatus[] = ["rejected", "denied", "expired", "canceled", "revoked", "completed"];
export const pendingStatuses: readonly RequestStatus[] = ["pending_manager", "pending_customer"];

export type RequestAction =
  | "manager_approve" // lockbox applies: on to the customer
  | "manager_grant" // lockbox off or no protected service: manager approval alone grants
  | "reject"
  | "customer_approve" // one approval short of the required number
  | "customer_grant" // the approval that reaches the required number
  | "deny"
  | "cancel"
  | "expire"
  | "revoke"
  | "release"
  | "finish";

/**
 * The audit operations of a request's steps: its creation and every transition below. They are
 * also the event types webhooks subscribe to.
 */
export const requestStepOperations = [
  "request.created",
  "request.manager_approved",
  "request.rejected",
  "request.approved",
  "request.denied",
  "request.canceled",
  "request.expired",
  "request.revoked",
  "request.completed",
] as const;
export type RequestStepOperation = (typeof requestStepOperations)[number];

export interface Transition {
  from: readonly RequestStatus[];
  to: RequestStatus;
  /** The audit operation the transition writes (exactly one per transition). */
  operation: RequestStepOperation;
  /**
   * "person": only while the current window is open (before decideBy or accessEndsAt);
   * "clock": only once that window has closed.
   */
  when: "person" | "clock";
}

export const transitions: Record<RequestAction, Transition> = {
  manager_approve: { from: ["pending_manager"], to: "pending_customer", operation: "request.manager_approved", when: "person" },
  manager_grant: { from: ["pending_manager"], to: "approved", operation: "request.manager_approved", when: "person" },
  reject: { from: ["pending_manager"], to: "rejected", operation: "request.rejected", when: "person" },
  customer_approve: { from: ["pending_customer"], to: "pending_customer", operation: "request.approved", when: "person" },
  customer_grant: { from: ["pending_customer"], to: "approved", operation: "request.approved", when: "person" },
  deny: { from: ["pending_customer"], to: "denied", operation: "request.denied", when: "person" },
  cancel: { from: ["pending_manager", "pending_customer"], to: "canceled", operation: "request.canceled", when: "person" },
  expire: { from: ["pending_manager", "pending_customer"], to: "expired", operation: "request.expired", when: "clock" },
  revoke: { from: ["approved"], to: "revoked", operation: "request.revoked", when: "person" },
  release: { from: ["approved"], to: "completed", operation: "request.completed", when: "person" },
  finish: { from: ["approved"], to: "completed", operation: "request.completed", when: "clock" },
};

export interface Deadlines {
  status: string;
  decide_by: string;
  access_ends_at: string | null;
}

/** The deadline that closes the current status, if it has one. */
export function closesAt(r: Deadlines): string | null {
  if (pendingStatuses.includes(r.status as RequestStatus)) return r.decide_by;
  if (r.status === "approved") return r.access_ends_at;
  return null;
}

/** Whether the current status's window is still open at `now`. */
export function isOpen(r: Deadlines, now: Date): boolean {
  const end = closesAt(r);
  return end !== null && now.toISOString() < end;
}

export function canApply(action: RequestAction, r: Deadlines, now: Date): boolean {
  const t = transitions[action];
  if (!t.from.includes(r.status as RequestStatus)) return false;
  return t.when === "person" ? isOpen(r, now) : !isOpen(r, now);
}

/**
 * The status a reader must see: time is enforced where it is read, so a request never shows
 * `pending_*` after decideBy nor `approved` after accessEndsAt, whether or not the sweeper ran.
 */
export function effectiveStatus(r: Deadlines, now: Date): RequestStatus {
  const status = r.status as RequestStatus;
  if (closesAt(r) === null || isOpen(r, now)) return status;
  return status === "approved" ? "completed" : "expired";
}
