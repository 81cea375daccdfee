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
  | "finish"
  | "auto_approve" // a customer's approval policy covers the request (src/policies/)
  | "break_glass"; // the second of two provider people confirms emergency access (src/break-glass/)

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
  "request.auto_approved",
  "request.break_glass_requested",
  "request.break_glass_granted",
  "request.reviewed",
  "request.question_asked",
  "request.question_answered",
  "request.extension_requested",
  "request.extension_approved",
  "request.extension_denied",
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
  /**
   * A counted step: its compare-and-set adds one to `approval_count`. When the count reaches
   * `required_approvals`, the named transition follows at once, in the same call and transaction,
   * and writes the step's one audit event instead of this one.
   */
  reaching?: RequestAction;
}

/**
 * How to add a transition: add its action to `RequestAction`, a row here (and its operation to
 * `requestStepOperations` if it is new), then call `applyTransition(work, { action, ... })` from
 * the use case (src/requests/transition-request.ts). Never update `status` anywhere else.
 */
export const transitions: Record<RequestAction, Transition> = {
  manager_approve: { from: ["pending_manager"], to: "pending_customer", operation: "request.manager_approved", when: "person" },
  manager_grant: { from: ["pending_manager"], to: "approved", operation: "request.manager_approved", when: "person" },
  reject: { from: ["pending_manager"], to: "rejected", operation: "request.rejected", when: "person" },
  customer_approve: {
    from: ["pending_customer"],
    to: "pending_customer",
    operation: "request.approved",
    when: "person",
    reaching: "customer_grant",
  },
  customer_grant: { from: ["pending_customer"], to: "approved", operation: "request.approved", when: "person" },
  deny: { from: ["pending_customer"], to: "denied", operation: "request.denied", when: "person" },
  cancel: { from: ["pending_manager", "pending_customer"], to: "canceled", operation: "request.canceled", when: "person" },
  expire: { from: ["pending_manager", "pending_customer"], to: "expired", operation: "request.expired", when: "clock" },
  revoke: { from: ["approved"], to: "revoked", operation: "request.revoked", when: "person" },
  release: { from: ["approved"], to: "completed", operation: "request.completed", when: "person" },
  finish: { from: ["approved"], to: "completed", operation: "request.completed", when: "clock" },
  auto_approve: { from: ["pending_customer"], to: "approved", operation: "request.auto_approved", when: "person" },
  break_glass: { from: ["pending_manager", "pending_customer"], to: "approved", operation: "request.break_glass_granted", when: "person" },
};

/** The column whose time closes each status's window; terminal statuses have none. */
export type DeadlineColumn = "decide_by" | "access_ends_at";
export const deadlineOf: Record<RequestStatus, DeadlineColumn | null> = {
  pending_manager: "decide_by",
  pending_customer: "decide_by",
  approved: "access_ends_at",
  rejected: null,
  denied: null,
  expired: null,
  canceled: null,
  revoked: null,
  completed: null,
};

/** The clock's transitions ("expire", "finish"): what time does to each status it ends. */
export const clockActions = (Object.keys(transitions) as RequestAction[]).filter((a) => transitions[a].when === "clock");

/** The clock's action that ends `status` once its window closes, if any. */
export function clockActionFor(status: RequestStatus): RequestAction | undefined {
  return clockActions.find((a) => transitions[a].from.includes(status));
}

/** Statuses whose window a deadline closes: the ones the sweeper and the read path watch. */
export const timedStatuses: readonly RequestStatus[] = requestStatuses.filter((s) => deadlineOf[s] !== null);

export interface Deadlines {
  status: string;
  decide_by: string;
  access_ends_at: string | null;
}

/** The deadline that closes the current status, if it has one. */
export function closesAt(r: Deadlines): string | null {
  const column = deadlineOf[r.status as RequestStatus];
  return column ? r[column] : null;
}

/** Whether the current status's window is still open at `now`. */
export function isOpen(r: Deadlines, now: Date): boolean {
  const end = closesAt(r);
  return end !== null && now.toISOString() < end;
}

/** The pure form of the compare-and-set applyTransition runs in SQL (see request-window-sql.ts). */
export function canApply(action: RequestAction, r: Deadlines, now: Date): boolean {
  const t = transitions[action];
  if (!t.from.includes(r.status as RequestStatus)) return false;
  if (closesAt(r) === null) return false;
  return t.when === "person" ? isOpen(r, now) : !isOpen(r, now);
}

/**
 * The status a reader must see: time is enforced where it is read, so a request never shows
 * `pending_*` after decideBy nor `approved` after accessEndsAt, whether or not the sweeper ran.
 */
export function effectiveStatus(r: Deadlines, now: Date): RequestStatus {
  const status = r.status as RequestStatus;
  if (closesAt(r) === null || isOpen(r, now)) return status;
  const action = clockActionFor(status);
  return action ? transitions[action].to : status;
}

// --- extensions: a sub-table of the same lifecycle (SPEC 17) -----------------------------------

/**
 * An extension of granted access has its own small lifecycle: pending until the customer's
 * approvers decide, and only while the request it extends is approved and its access has not
 * ended. `expired` is never stored: it is how a pending extension reads once that access is over.
 */
export const extensionStatuses = ["pending", "approved", "denied", "expired"] as const;
export type ExtensionStatus = (typeof extensionStatuses)[number];

export type ExtensionAction =
  | "extension_approve" // one approval short of the required number
  | "extension_grant" // the approval that reaches it: accessEndsAt moves
  | "extension_deny";

export interface ExtensionTransition {
  from: readonly ExtensionStatus[];
  to: ExtensionStatus;
  operation: RequestStepOperation;
  /** The request must be in one of these statuses, its window as `when` says. */
  requestIn: readonly RequestStatus[];
  when: "person";
  /** As in Transition: a counted approval, and the transition that follows once the count is reached. */
  reaching?: ExtensionAction;
}

export const extensionTransitions: Record<ExtensionAction, ExtensionTransition> = {
  extension_approve: {
    from: ["pending"],
    to: "pending",
    operation: "request.extension_approved",
    requestIn: ["approved"],
    when: "person",
    reaching: "extension_grant",
  },
  extension_grant: { from: ["pending"], to: "approved", operation: "request.extension_approved", requestIn: ["approved"], when: "person" },
  extension_deny: { from: ["pending"], to: "denied", operation: "request.extension_denied", requestIn: ["approved"], when: "person" },
};

export const isExtensionAction = (action: string): action is ExtensionAction => action in extensionTransitions;

/** What a reader sees: a pending extension of access that is over reads as expired. */
export function effectiveExtensionStatus(stored: string, request: Deadlines, now: Date): ExtensionStatus {
  if (stored !== "pending") return stored as ExtensionStatus;
  return effectiveStatus(request, now) === "approved" ? "pending" : "expired";
}
