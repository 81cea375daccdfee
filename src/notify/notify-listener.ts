import type { Tx } from "../db/schema.js";
import type { AccessRequest } from "../requests/access-request.js";
import type { RequestEvent, RequestEventListener } from "../requests/request-events.js";
import { composeRequestMail, type MailAudience } from "./compose-email.js";
import { enqueueMessages, mailKey, type OutboxMessage, webhookKey } from "./outbox.js";
import { managerEmails, requesterEmail, tenantEmails, uniqueEmails, webhookOwnerEmails } from "./recipients.js";
import { loadRequestSnapshot } from "./request-snapshot.js";
import { webhooksFor } from "./webhook-queries.js";

/**
 * Who is mailed for each request step (SPEC 7): managers on creation; the tenant's deciders and
 * notification addresses when the customer must decide (or when access opened without its
 * approval); the requester on every decision made by someone else; the tenant on revoke, expiry
 * and completion (and on a cancel it had been asked to decide). Auditors and other tenants never
 * appear: see recipients.ts.
 */
async function mailRecipients(trx: Tx, event: RequestEvent, r: AccessRequest): Promise<string[]> {
  const requester = event.actor.id === r.requester.id ? [] : await requesterEmail(trx, r.requester.id);
  switch (event.operation) {
    case "request.created":
      return managerEmails(trx, r.requester.id);
    case "request.manager_approved":
      // Either the customer must now decide, or (lockbox off, or no protected service) access
      // opened without its approval: the customer hears of it at once either way.
      return [...(await tenantEmails(trx, r.tenantId)), ...requester];
    case "request.approved":
    case "request.rejected":
    case "request.denied":
      return requester;
    case "request.canceled":
      // Past the manager, the customer was asked to decide: tell it there is nothing to decide.
      return r.managerDecision ? [...(await tenantEmails(trx, r.tenantId)), ...requester] : requester;
    case "request.revoked":
    case "request.expired":
    case "request.completed":
      return [...(await tenantEmails(trx, r.tenantId)), ...requester];
    case "request.auto_approved":
    case "request.break_glass_granted":
      // Access opened without a person of the customer deciding (SPEC 17): its approvers hear at once.
      return [...(await tenantEmails(trx, r.tenantId)), ...requester];
    case "request.break_glass_requested":
      // A second, different manager or provider admin must confirm.
      return [...(await managerEmails(trx, r.requester.id)), ...(await webhookOwnerEmails(trx, null))];
    case "request.reviewed":
      // A disputed break-glass is the provider admins' to follow up.
      return event.details.verdict === "disputed" ? webhookOwnerEmails(trx, null) : [];
    case "request.question_asked":
      // The requester must answer; the clock keeps running (SPEC 17).
      return requester;
    case "request.question_answered":
    case "request.extension_requested":
      // The customer's approvers read the answer / decide the extension.
      return tenantEmails(trx, r.tenantId);
    case "request.extension_approved":
    case "request.extension_denied":
      return requester;
    default:
      return [];
  }
}

/**
 * The outbox writer: runs inside the step's transaction (see request-events.ts), so the messages
 * commit with the step or not at all, and wakes the dispatcher only after the commit. One row per
 * recipient and per webhook endpoint, keyed by the audit event id: the same step can never
 * enqueue the same message twice.
 */
export function createNotifyListener(wake: () => void): RequestEventListener {
  return async (work, event) => {
    const { trx, deps } = work;
    const request = await loadRequestSnapshot(trx, event.requestId, event.at);
    const tenant = await trx.selectFrom("tenants").select("name").where("id", "=", event.tenantId).executeTakeFirstOrThrow();
    const messages: OutboxMessage[] = [];

    const recipients = uniqueEmails(await mailRecipients(trx, event, request));
    if (recipients.length > 0) {
      // Each person gets the mail written for them: the requester never gets the deciders' call
      // to act ("Approval needed") on a request it cannot decide.
      const mails = new Map<MailAudience, ReturnType<typeof composeRequestMail>>();
      const mailFor = (audience: MailAudience) =>
        mails.get(audience) ?? mails.set(audience, composeRequestMail(deps.config.publicUrl, event, request, tenant.name, audience)).get(audience)!;
      const requesterEmail = request.requester.email.toLowerCase();
      for (const to of recipients) {
        const mail = mailFor(to === requesterEmail ? "requester" : "deciders");
        messages.push({ kind: "email", idempotencyKey: mailKey(event.auditEventId, to), destination: to, payload: { ...mail, to } });
      }
    }

    const hooks = await webhooksFor(trx, event.tenantId, event.operation);
    if (hooks.length > 0) {
      const body = JSON.stringify({ id: event.auditEventId, type: event.operation, createdAt: event.at.toISOString(), data: request });
      for (const hook of hooks) {
        messages.push({
          kind: "webhook",
          idempotencyKey: webhookKey(event.auditEventId, hook.id),
          destination: hook.id,
          payload: { eventId: event.auditEventId, type: event.operation, body },
        });
      }
    }

    if (messages.length === 0) return;
    await enqueueMessages(trx, messages, event.at);
    work.afterCommit(wake);
  };
}
