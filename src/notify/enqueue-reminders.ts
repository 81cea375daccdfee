import { addMinutes } from "../clock.js";
import { inTransaction } from "../db/in-transaction.js";
import type { Deps } from "../deps.js";
import { pendingStatuses } from "../requests/request-lifecycle.js";
import { openPredicate } from "../requests/request-window-sql.js";
import { composeReminderMail } from "./compose-email.js";
import { enqueueMessages, mailKey } from "./outbox.js";
import { managerEmails, tenantEmails, uniqueEmails } from "./recipients.js";
import { loadRequestSnapshot } from "./request-snapshot.js";

export const REMINDER_LEAD_MINUTES = 60;
const BATCH = 100;

/**
 * Enqueues one reminder per request per stage once its decideBy is within the hour. The
 * `notification_reminders` row is the claim: inserted with ON CONFLICT DO NOTHING in the same
 * transaction as the mails, so however often this runs, and on however many instances, a stage
 * is reminded once (a concurrent insert on PostgreSQL waits for the other and then does nothing).
 * Returns how many requests got a reminder.
 */
export async function enqueueReminders(deps: Deps, wake: () => void): Promise<number> {
  const now = deps.clock.now();
  const due = await deps.db
    .selectFrom("access_requests as r")
    .leftJoin("notification_reminders as n", (j) => j.onRef("n.request_id", "=", "r.id").onRef("n.stage", "=", "r.status"))
    .select(["r.id", "r.status", "r.tenant_id", "r.requester_id"])
    .where(openPredicate(now.toISOString(), "r", pendingStatuses))
    .where("r.decide_by", "<=", addMinutes(now, REMINDER_LEAD_MINUTES).toISOString())
    .where("n.request_id", "is", null)
    .limit(BATCH)
    .execute();
  let reminded = 0;
  for (const r of due) {
    const sent = await inTransaction(deps, async (work) => {
      const claim = await work.trx
        .insertInto("notification_reminders")
        .values({ request_id: r.id, stage: r.status, created_at: now.toISOString() })
        .onConflict((oc) => oc.columns(["request_id", "stage"]).doNothing())
        .executeTakeFirst();
      if (claim.numInsertedOrUpdatedRows !== 1n) return false;
      const request = await loadRequestSnapshot(work.trx, r.id, now);
      if (request.status !== r.status) return false; // moved on since the scan
      const tenant = await work.trx.selectFrom("tenants").select("name").where("id", "=", r.tenant_id).executeTakeFirstOrThrow();
      const recipients = uniqueEmails(
        r.status === "pending_manager" ? await managerEmails(work.trx, r.requester_id) : await tenantEmails(work.trx, r.tenant_id),
      );
      const mail = composeReminderMail(deps.config.publicUrl, request, tenant.name);
      const source = `reminder:${r.id}:${r.status}`;
      await enqueueMessages(
        work.trx,
        recipients.map((to) => ({ kind: "email" as const, idempotencyKey: mailKey(source, to), destination: to, payload: { ...mail, to } })),
        now,
      );
      if (recipients.length > 0) work.afterCommit(wake);
      return true;
    });
    if (sent) reminded += 1;
  }
  return reminded;
}
