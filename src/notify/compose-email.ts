import type { AccessRequest } from "../requests/access-request.js";
import { reasonTypeLabels } from "../requests/reason-types.js";
import type { RequestEvent } from "../requests/request-events.js";
import type { EmailPayload } from "./outbox.js";

/**
 * Mail text for every notification. A mail links to the request in the admin center and nothing
 * else: never a token, never a link that signs anyone in — whoever follows it signs in as usual.
 */
interface MailParts {
  subject: string;
  intro: string;
  facts: [string, string][];
  link?: { url: string; label: string };
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/** "2026-01-05 21:00 UTC (2026-01-05T21:00:00.000Z)": readable, and exact for machines. */
export function formatUtc(isoTime: string): string {
  return `${isoTime.slice(0, 16).replace("T", " ")} UTC (${isoTime})`;
}

export const requestLink = (publicUrl: string, id: string) => `${publicUrl}/requests/${encodeURIComponent(id)}`;

function render(parts: MailParts): Omit<EmailPayload, "to"> {
  const width = Math.max(...parts.facts.map(([k]) => k.length));
  const text = [
    parts.intro,
    "",
    ...parts.facts.map(([k, v]) => `${`${k}:`.padEnd(width + 2)}${v}`),
    ...(parts.link ? ["", `${parts.link.label}: ${parts.link.url}`] : []),
    "",
    "-- ",
    "Lockbox. You receive this mail because of your role or because your address is on the notification list.",
    "",
  ].join("\n");
  const rows = parts.facts
    .map(([k, v]) => `<tr><th align="left" style="padding:2px 12px 2px 0">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`)
    .join("");
  const html = [
    "<!doctype html><html><body style=\"font-family:sans-serif\">",
    `<p>${escapeHtml(parts.intro)}</p>`,
    `<table>${rows}</table>`,
    parts.link ? `<p><a href="${escapeHtml(parts.link.url)}">${escapeHtml(parts.link.label)}</a></p>` : "",
    '<p style="color:#666;font-size:small">Lockbox. You receive this mail because of your role or because your address is on the notification list.</p>',
    "</body></html>",
  ].join("\n");
  return { subject: parts.subject, text, html };
}

function requestFacts(r: AccessRequest, tenantName: string): [string, string][] {
  const facts: [string, string][] = [
    ["Ticket", r.ticket],
    ["Tenant", tenantName],
    ["Services", r.services.join(", ")],
    ["Access", r.accessLevel],
    ["Duration", r.grantedMinutes !== null && r.grantedMinutes !== r.requestedMinutes
      ? `${r.grantedMinutes} minutes (requested ${r.requestedMinutes})`
      : `${r.requestedMinutes} minutes`],
    ["Requested by", `${r.requester.name} <${r.requester.email}>`],
    ["Reason", r.reason],
    ["Reason type", reasonTypeLabels[r.reasonType] ?? r.reasonType],
    ["Status", r.status],
  ];
  if (r.startAt) facts.push(["Scheduled start", formatUtc(r.startAt)]);
  if (r.status === "pending_manager" || r.status === "pending_customer") facts.push(["Decide by", formatUtc(r.decideBy)]);
  if (r.status === "approved" && r.accessEndsAt) facts.push(["Access ends", formatUtc(r.accessEndsAt)]);
  if (r.endedAt && r.status !== "approved") facts.push(["Ended", formatUtc(r.endedAt)]);
  return facts;
}

/** Who a mail is for: the same step reads differently for whoever must act and for the requester. */
export type MailAudience = "deciders" | "requester";

/** The headline of a request step, by audit operation and resulting status. */
function headline(event: RequestEvent, r: AccessRequest, tenantName: string, audience: MailAudience): { subject: string; intro: string } {
  const who = event.actor.name;
  const t = r.ticket;
  // The requester cannot approve its own request: it hears how far it got, not "Approval needed".
  if (audience === "requester" && event.operation === "request.manager_approved" && r.status === "pending_customer") {
    return {
      subject: `Your data access request ${t} passed the manager and waits for ${tenantName}`,
      intro: `${who} approved your request. ${tenantName}'s approvers decide next, before the deadline below; you will hear their decision.`,
    };
  }
  switch (event.operation) {
    case "request.created":
      return { subject: `New data access request ${t} for ${tenantName} needs a manager`, intro: `${who} asks for access to ${tenantName}'s data. A provider manager must approve or reject it before the deadline.` };
    case "request.manager_approved":
      return r.status === "pending_customer"
        ? { subject: `Approval needed: data access request ${t} to ${tenantName}'s data`, intro: `The provider asks for access to ${tenantName}'s data (manager approval by ${who}). Approve or deny it in Lockbox before the deadline; without a decision it expires.` }
        : { subject: `Data access request ${t} was approved`, intro: `${who} approved the request; no customer approval was required. Access is open now.` };
    case "request.approved":
      return event.details.final === true
        ? { subject: `Data access request ${t} was approved by ${tenantName}`, intro: `${who} gave the final customer approval. Access is open now.` }
        : { subject: `Data access request ${t} received an approval`, intro: `${who} approved the request (${String(event.details.approvals)} of ${String(event.details.requiredApprovals)} approvals needed).` };
    case "request.rejected":
      return { subject: `Data access request ${t} was rejected`, intro: `${who} rejected the request.` };
    case "request.denied":
      return { subject: `Data access request ${t} was denied by ${tenantName}`, intro: `${who} denied the request on behalf of ${tenantName}.` };
    case "request.canceled":
      return { subject: `Data access request ${t} was canceled`, intro: `${who} canceled the request.` };
    case "request.revoked":
      return { subject: `Access for request ${t} was revoked`, intro: `${who} revoked the access; it ended at once.` };
    case "request.expired":
      return { subject: `Data access request ${t} expired`, intro: "Nobody decided before the deadline, so the request expired. No access was granted." };
    case "request.completed":
      return event.actor.type === "system"
        ? { subject: `Access for request ${t} has ended`, intro: "The access window is over; access ended by itself." }
        : { subject: `Access for request ${t} has ended`, intro: `${who} released the access before its window ended.` };
    case "request.auto_approved":
      return { subject: `Data access request ${t} was approved by ${tenantName}'s approval policy`, intro: `${tenantName}'s ${who} covers this request, so it was approved at once without waiting for an approver. Access is open (or opens at its scheduled start). You can still revoke it in Lockbox.` };
    case "request.break_glass_requested":
      return { subject: `Break-glass requested for ${t} to ${tenantName}'s data: a second person must confirm`, intro: `${who} asks for emergency (break-glass) access for a production incident. A second, different manager or provider admin must confirm it in Lockbox.` };
    case "request.break_glass_granted":
      return { subject: `Emergency access to ${tenantName}'s data was granted for ${t} (break-glass)`, intro: `Two provider people (the second: ${who}) granted emergency access for a production incident without ${tenantName}'s approval, as ${tenantName}'s settings allow. Access is open now. ${tenantName}'s approvers must review it in Lockbox (accept or dispute); they can revoke it at once.` };
    case "request.reviewed":
      return event.details.verdict === "disputed"
        ? { subject: `${tenantName} disputed the break-glass access for ${t}`, intro: `${who} reviewed the emergency access and disputed it. Follow up with ${tenantName}.` }
        : { subject: `${tenantName} accepted the break-glass access for ${t}`, intro: `${who} reviewed the emergency access and accepted it.` };
    case "request.question_asked":
      return { subject: `${tenantName} asks a question about request ${t}`, intro: `${who} asks: "${String(event.details.text)}" Answer it in Lockbox; the decision deadline does not move.` };
    case "request.question_answered":
      return { subject: `The requester answered your question about request ${t}`, intro: `${who} answered: "${String(event.details.text)}"` };
    case "request.extension_requested":
      return { subject: `Approval needed: ${String(event.details.minutes)} more minutes for request ${t}`, intro: `${who} asks to extend the access by ${String(event.details.minutes)} minutes: "${String(event.details.reason)}". Approve or deny it in Lockbox before the access ends.` };
    case "request.extension_approved":
      return event.details.final === true
        ? { subject: `The extension of request ${t} was approved by ${tenantName}`, intro: `${who} gave the final approval: the access now ends at ${String(event.details.accessEndsAt)}.` }
        : { subject: `The extension of request ${t} received an approval`, intro: `${who} approved the extension (${String(event.details.approvals)} of ${String(event.details.requiredApprovals)} approvals needed).` };
    case "request.extension_denied":
      return { subject: `The extension of request ${t} was denied by ${tenantName}`, intro: `${who} denied the extension; the access ends as before.` };
    default:
      return { subject: `Data access request ${t}: ${event.operation}`, intro: `${who}: ${event.operation}.` };
  }
}

export function composeRequestMail(
  publicUrl: string,
  event: RequestEvent,
  r: AccessRequest,
  tenantName: string,
  audience: MailAudience = "deciders",
): Omit<EmailPayload, "to"> {
  const { subject, intro } = headline(event, r, tenantName, audience);
  const facts = requestFacts(r, tenantName);
  const comment = event.details.comment;
  if (typeof comment === "string" && comment.length > 0) facts.push(["Comment", comment]);
  return render({
    subject: `[Lockbox] ${subject}`,
    intro,
    facts,
    link: { url: requestLink(publicUrl, r.id), label: "Open the request in Lockbox" },
  });
}

export function composeReminderMail(publicUrl: string, r: AccessRequest, tenantName: string): Omit<EmailPayload, "to"> {
  const stage = r.status === "pending_manager" ? "a provider manager" : `${tenantName}'s approvers`;
  return render({
    subject: `[Lockbox] Reminder: request ${r.ticket} expires at ${r.decideBy.slice(11, 16)} UTC without a decision`,
    intro: `The data access request below is waiting for ${stage} and expires within the hour if nobody decides.`,
    facts: requestFacts(r, tenantName),
    link: { url: requestLink(publicUrl, r.id), label: "Open the request in Lockbox" },
  });
}

export function composeWebhookDisabledMail(
  hook: { id: string; url: string; tenantId: string | null },
  reason: string,
  at: string,
): Omit<EmailPayload, "to"> {
  return render({
    subject: `[Lockbox] Webhook to ${new URL(hook.url).host} was disabled`,
    intro: "Lockbox disabled a webhook endpoint because its deliveries kept failing for 24 hours. Fix the receiver, then register the endpoint again.",
    facts: [
      ["Endpoint", hook.url],
      ["Webhook id", hook.id],
      ["Owner", hook.tenantId === null ? "provider" : `tenant ${hook.tenantId}`],
      ["Disabled", formatUtc(at)],
      ["Last error", reason],
    ],
  });
}
