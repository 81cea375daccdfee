import { inTransaction } from "../db/in-transaction.js";
import type { WebhookTable } from "../db/schema.js";
import type { Deps } from "../deps.js";
import { composeWebhookDisabledMail } from "./compose-email.js";
import { enqueueMessages, mailKey } from "./outbox.js";
import { uniqueEmails, webhookOwnerEmails } from "./recipients.js";

/**
 * An endpoint whose message kept failing for 24 hours is disabled, its other pending messages are
 * dropped, and its owners (the tenant's global admins, or the provider admins) are mailed through
 * the outbox — all in one transaction. The compare-and-set on `disabled_at` means that of several
 * failing messages (or servers) only one disables the endpoint and sends the mail.
 */
export async function disableFailingWebhook(deps: Deps, hook: WebhookTable, reason: string, wake: () => void): Promise<void> {
  const now = deps.clock.now();
  const at = now.toISOString();
  await inTransaction(deps, async (work) => {
    const { trx } = work;
    const changed = await trx
      .updateTable("webhooks")
      .set({ disabled_at: at, disabled_reason: reason.slice(0, 500) })
      .where("id", "=", hook.id)
      .where("disabled_at", "is", null)
      .executeTakeFirst();
    if (changed.numUpdatedRows !== 1n) return;
    await trx
      .updateTable("outbox")
      .set({ status: "canceled", last_error: "endpoint disabled" })
      .where("kind", "=", "webhook")
      .where("destination", "=", hook.id)
      .where("status", "=", "pending")
      .execute();
    const owners = uniqueEmails(await webhookOwnerEmails(trx, hook.tenant_id));
    const mail = composeWebhookDisabledMail({ id: hook.id, url: hook.url, tenantId: hook.tenant_id }, reason, at);
    await enqueueMessages(
      trx,
      owners.map((to) => ({
        kind: "email" as const,
        idempotencyKey: mailKey(`webhook-disabled:${hook.id}`, to),
        destination: to,
        payload: { ...mail, to },
      })),
      now,
    );
    work.afterCommit(wake);
  });
  deps.log.warn({ webhookId: hook.id, reason }, "webhook endpoint disabled after 24 h of failed deliveries");
}
