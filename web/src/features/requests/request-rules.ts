import type { AccessRequest, RequestStatus, User } from "../../api/types";

/** The status as of `now`: a page left open never shows a lapsed deadline as still pending. */
export function liveStatus(r: AccessRequest, now: number): RequestStatus {
  if ((r.status === "pending_manager" || r.status === "pending_customer") && Date.parse(r.decideBy) <= now) return "expired";
  if (r.status === "approved" && r.accessEndsAt && Date.parse(r.accessEndsAt) <= now) return "completed";
  return r.status;
}

export type RequestAction = "approve" | "deny" | "revoke" | "cancel" | "release";

/**
 * Which buttons to offer. The server decides (and refuses with a reason); this only hides what
 * the user's roles could never do, mirroring SPEC section 1 and the lifecycle of section 4.
 */
export function actionsFor(r: AccessRequest, user: User, now: number): RequestAction[] {
  const status = liveStatus(r, now);
  const mine = r.requester.id === user.id;
  const has = (...roles: string[]) => user.roles.some((x) => roles.includes(x));
  const actions: RequestAction[] = [];
  if (user.tenantId === null) {
    const manager = has("manager");
    if (status === "pending_manager" && manager && !mine) actions.push("approve", "deny");
    if ((status === "pending_manager" || status === "pending_customer") && (mine || manager)) actions.push("cancel");
    if (status === "approved" && mine) actions.push("release");
    if (status === "approved" && has("manager", "provider_admin")) actions.push("revoke");
  } else if (user.tenantId === r.tenantId && has("global_admin", "lockbox_approver")) {
    const approvedAlready = r.approvals.some((a) => a.by.id === user.id);
    if (status === "pending_customer" && !approvedAlready) actions.push("approve", "deny");
    if (status === "approved") actions.push("revoke");
  }
  return actions;
}

/** The last customer approval can shorten the access; only then is the duration offered. */
export function isFinalApproval(r: AccessRequest): boolean {
  return r.status === "pending_customer" && r.approvals.length + 1 >= (r.requiredApprovals ?? 1);
}

export const isActive = (r: AccessRequest, now: number) => liveStatus(r, now) === "approved";
export const isPending = (r: AccessRequest, now: number) => {
  const s = liveStatus(r, now);
  return s === "pending_manager" || s === "pending_customer";
};
