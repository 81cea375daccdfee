import type { AuditSinkTable, Tx } from "../db/schema.js";
import { formatUtc } from "../notify/compose-email.js";
import { type EmailPayload, enqueueMessages, mailKey } from "../notify/outbox.js";
import { uniqueEmails, webhookOwnerEmails } from "../notify/recipients.js";

/** A sink failing this long is reported to its owners: long enough to ride out a restart. */
export const OUTAGE_REPORT_AFTER_MS = 5 * 60_000;

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

function composeSinkOutageMail(sink: AuditSinkTable, error: string, lag: number, publicUrl: string): Omit<EmailPayload, "to"> {
  const facts: [string, string][] = [
    ["Sink", `${sink.type} ${sink.url}`],
    ["Sink id", sink.id],
    ["Chain", sink.chain],
    ["Failing since", formatUtc(sink.failing_since ?? new Date(0).toISOString())],
    ["Last delivered seq", String(sink.cursor_seq)],
    ["Events waiting", String(lag)],
    ["Last error", error],
  ];
  const intro =
    "Lockbox cannot deliver audit events to your SIEM sink. Nothing is lost: delivery keeps retrying and resumes at the last delivered event once the receiver answers again. You get this mail once per outage.";
  const link = `${publicUrl}/settings`;
  const text = [intro, "", ...facts.map(([k, v]) => `${k}: ${v}`), "", `Audit streaming settings: ${link}`, ""].join("\n");
  const html = [
    '<!doctype html><html><body style="font-family:sans-serif">',
    `<p>${escapeHtml(intro)}</p>`,
    `<table>${facts.map(([k, v]) => `<tr><th align="left" style="padding:2px 12px 2px 0">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join("")}</table>`,
    `<p><a href="${escapeHtml(link)}">Audit streaming settings</a></p>`,
    "</body></html>",
  ].join("\n");
  return { subject: `[Lockbox] Audit streaming to ${new URL(sink.url).host} is failing`, text, html };
}

/**
 * Mails the sink's owners (the tenant's global admins, or the provider admins) once per outage:
 * the compare-and-set on `outage_reported_at` (cleared by the next successful delivery) makes
 * one instance, once, write the mails — into the outbox, in this transaction.
 */
export async function reportSinkOutage(trx: Tx, sink: AuditSinkTable, error: string, lag: number, now: Date, publicUrl: string): Promise<boolean> {
  const changed = await trx
    .updateTable("audit_sinks")
    .set({ outage_reported_at: now.toISOString() })
    .where("id", "=", sink.id)
    .where("outage_reported_at", "is", null)
    .executeTakeFirst();
  if (changed.numUpdatedRows !== 1n) return false;
  const owners = uniqueEmails(await webhookOwnerEmails(trx, sink.tenant_id));
  const mail = composeSinkOutageMail(sink, error, lag, publicUrl);
  await enqueueMessages(
    trx,
    owners.map((to) => ({
      kind: "email" as const,
      idempotencyKey: mailKey(`audit-sink-outage:${sink.id}:${sink.failing_since}`, to),
      destination: to,
      payload: { ...mail, to },
    })),
    now,
  );
  return true;
}
