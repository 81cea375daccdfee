import type { AccessRequest, User } from "../../api/types";
import { formatTime } from "../../ui/format";
import type { RequestAction } from "./request-rules";

/**
 * Sentences about a request for people: what an action just did, and where a request stands
 * now (told when someone else moved it first, e.g. from another tab).
 */

const at = (iso: string) => formatTime(iso);
const who = (name: string, viewer: User, id: string) => (id === viewer.id ? "You" : name);

function waitingForCustomer(r: AccessRequest): string {
  const left = (r.requiredApprovals ?? 1) - r.approvals.length;
  return left > 1 ? `it now waits for ${left} more customer approvals` : "it now waits for the customer";
}

/** "Maya Manager approved this at 2 Dec 2026, 11:02; it now waits for the customer." */
export function describeState(r: AccessRequest, viewer: User): string {
  const m = r.managerDecision;
  const c = r.customerDecision;
  const ender = r.endedBy ? who(r.endedBy.name, viewer, r.endedBy.id) : "Someone";
  const end = r.endedAt ? ` at ${at(r.endedAt)}` : "";
  switch (r.status) {
    case "pending_manager":
      return "It still waits for a provider manager.";
    case "pending_customer": {
      const last = r.approvals.at(-1);
      if (last) return `${who(last.by.name, viewer, last.by.id)} approved this at ${at(last.at)}; ${waitingForCustomer(r)}.`;
      return m ? `${who(m.by.name, viewer, m.by.id)} approved this at ${at(m.at)}; ${waitingForCustomer(r)}.` : `It ${waitingForCustomer(r).slice(3)}.`;
    }
    case "approved": {
      const last = r.approvals.at(-1) ?? m;
      const until = r.accessEndsAt ? ` until ${at(r.accessEndsAt)}` : "";
      return last ? `${who(last.by.name, viewer, last.by.id)} approved this at ${at(last.at)}; access is granted${until}.` : `Access is granted${until}.`;
    }
    case "rejected":
      return m ? `${who(m.by.name, viewer, m.by.id)} rejected this at ${at(m.at)}.` : "A provider manager rejected it.";
    case "denied":
      return c ? `${who(c.by.name, viewer, c.by.id)} denied this at ${at(c.at)}.` : "The customer denied it.";
    case "revoked":
      return `${ender} revoked access${end}.`;
    case "canceled":
      return `${ender} canceled the request${end}.`;
    case "completed":
      return r.endReason === "released" ? `${ender} released access early${end}.` : `Access ended${end}.`;
    case "expired":
      return `Nobody decided in time; it expired${end}.`;
  }
}

/** What a successful action did, e.g. "Approved — waiting for the customer." */
export function describeDone(action: RequestAction, r: AccessRequest, viewer: User): string {
  switch (action) {
    case "approve":
      if (r.status === "pending_customer") return r.approvals.length > 0 ? `Approved — ${waitingForCustomer(r).replace("it now waits", "waiting")}.` : "Approved — waiting for the customer.";
      if (r.status === "approved") return `Approved — access is granted${r.accessEndsAt ? ` until ${at(r.accessEndsAt)}` : ""}.`;
      return `Approved. ${describeState(r, viewer)}`;
    case "deny":
      return r.status === "rejected" ? "Rejected — the engineer is told; no access is granted." : "Denied — no access is granted.";
    case "revoke":
      return "Revoked — access has ended and the grant token no longer works.";
    case "cancel":
      return "Request canceled.";
    case "release":
      return "Access released — the grant token no longer works.";
  }
}
