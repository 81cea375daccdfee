import type { AccessRequest } from "../../requests/access-request.js";
import { localTime, minutes, paint, relative, type Style, table, when } from "./output.js";

const statusStyle: Record<string, Style> = {
  pending_manager: "yellow",
  pending_customer: "yellow",
  approved: "green",
  rejected: "red",
  denied: "red",
  revoked: "red",
  expired: "dim",
  canceled: "dim",
  completed: "dim",
};

export function statusText(status: string): string {
  return paint(statusStyle[status] ?? "bold", status);
}

/** What the request waits for, or how its access stands, in a few words. */
export function stateLine(r: AccessRequest): string {
  switch (r.status) {
    case "pending_manager":
      return `waiting for a provider manager until ${when(r.decideBy)}`;
    case "pending_customer": {
      const of = r.requiredApprovals ? `, ${r.approvals.length} of ${r.requiredApprovals} approvals` : "";
      return `waiting for the customer until ${when(r.decideBy)}${of}`;
    }
    case "approved":
      return `access until ${when(r.accessEndsAt)}`;
    default:
      return `ended ${endedText(r)}`;
  }
}

/** "2026-01-05 10:10 UTC (just now) by Adam (access window over)"; the reason only when it adds to the status. */
function endedText(r: AccessRequest): string {
  const by = r.endedBy ? ` by ${r.endedBy.name}` : "";
  const why = r.endReason && r.endReason !== r.status ? ` (${r.endReason.replaceAll("_", " ")})` : "";
  return `${when(r.endedAt)}${by}${why}`;
}

/**
 * When access really ended or ends: a revoke or an early release ends it before the window
 * closes, and after that the planned end is history, never "Access until … (in 59m)".
 */
function accessRows(r: AccessRequest): [string, string][] {
  if (!r.accessStartsAt || !r.accessEndsAt) return [];
  const endedEarly = r.endedAt !== null && r.endedAt < r.accessEndsAt;
  if (!endedEarly) return [["Access from", when(r.accessStartsAt)], [r.endedAt ? "Access ended" : "Access until", when(r.accessEndsAt)]];
  return [
    ["Access from", when(r.accessStartsAt)],
    ["Access ended", `${when(r.endedAt)} (${r.endReason === "released" ? "released" : (r.endReason ?? "ended")} early; planned until ${localTime(r.accessEndsAt)})`],
  ];
}

/** The deadline column of the list: when the current stage closes. */
function deadline(r: AccessRequest): string {
  if (r.status === "pending_manager" || r.status === "pending_customer") return `decide ${relative(r.decideBy)}`;
  if (r.status === "approved" && r.accessEndsAt) return `ends ${relative(r.accessEndsAt)}`;
  return "-";
}

export function requestTable(items: AccessRequest[]): string {
  return table(
    ["ID", "STATUS", "TICKET", "REASON TYPE", "TENANT", "REQUESTER", "SERVICES", "ACCESS", "DEADLINE"],
    items.map((r) => [
      r.id,
      statusText(r.status),
      r.ticket || "-",
      r.reasonType ?? "customer_initiated_support",
      r.tenantId,
      r.requester.name,
      r.services.join(","),
      `${r.accessLevel} ${minutes(r.grantedMinutes ?? r.requestedMinutes)}`,
      deadline(r),
    ]),
  );
}

const quoted = (comment: string | null) => (comment ? ` "${comment}"` : "");

/** `requests show`: every field a person needs to decide, one per line. */
export function requestSummary(r: AccessRequest): string {
  const rows: [string, string][] = [
    ["Request", r.id],
    ["Status", `${statusText(r.status)}: ${stateLine(r)}`],
    ["Tenant", r.tenantId],
    ["Ticket", r.ticket || "-"],
    ["Purpose", r.reasonType ?? "customer_initiated_support"],
    ["Reason", r.reason],
    ["Services", r.services.join(", ")],
    [
      "Access",
      `${r.accessLevel} for ${minutes(r.requestedMinutes)}${r.grantedMinutes !== null && r.grantedMinutes !== r.requestedMinutes ? ` (granted ${minutes(r.grantedMinutes)})` : ""}`,
    ],
    ["Requester", `${r.requester.name} <${r.requester.email}>`],
    ["Created", when(r.createdAt)],
  ];
  if (r.startAt) rows.push(["Scheduled start", when(r.startAt)]);
  if (r.status === "pending_manager" || r.status === "pending_customer") rows.push(["Decide by", when(r.decideBy)]);
  if (r.managerDecision) {
    const d = r.managerDecision;
    rows.push(["Manager", `${d.decision === "approve" ? "approved" : "rejected"} by ${d.by.name}, ${when(d.at)}${quoted(d.comment)}`]);
  }
  const needed = r.requiredApprovals ? ` (${r.approvals.length} of ${r.requiredApprovals})` : "";
  r.approvals.forEach((a, i) => rows.push([i === 0 ? `Approvals${needed}` : "", `${a.by.name}, ${when(a.at)}${quoted(a.comment)}`]));
  if (r.customerDecision && r.customerDecision.decision !== "approve") {
    const d = r.customerDecision;
    rows.push(["Customer", `denied by ${d.by.name}, ${when(d.at)}${quoted(d.comment)}`]);
  }
  rows.push(...accessRows(r));
  if (r.endedAt) rows.push(["Ended", endedText(r)]);
  // The deny comment is already on the Customer or Manager line.
  if (r.endComment && r.endReason !== "denied" && r.endReason !== "rejected") rows.push(["Comment", r.endComment]);
  for (const q of r.questions ?? []) {
    rows.push(["Question", `${q.askedBy.name}, ${when(q.askedAt)}: "${q.text}" (id ${q.id})`]);
    rows.push(["", q.answer === null ? "not answered yet" : `answered by ${q.answeredBy?.name ?? "?"}, ${when(q.answeredAt)}: "${q.answer}"`]);
  }
  for (const e of r.extensions ?? []) {
    const of = e.status === "pending" ? `, ${e.approvals.length} of ${e.requiredApprovals} approvals` : "";
    rows.push(["Extension", `+${minutes(e.minutes)} ${e.status}${of}, asked by ${e.requestedBy.name} ${when(e.requestedAt)}: "${e.reason}" (id ${e.id})`]);
  }
  return table(null, rows.map(([k, v]) => [paint("bold", k), v]));
}

/** After an action: the new status and what happens next, in one line. */
export function outcomeLine(r: AccessRequest): string {
  return `Request ${r.id} is ${statusText(r.status)}: ${stateLine(r)}`;
}
