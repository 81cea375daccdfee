import type { Queryable, WebhookTable } from "../db/schema.js";

/** The API form of a webhook endpoint; the secret is never part of it. */
export interface Webhook {
  id: string;
  tenantId: string | null;
  url: string;
  events: string[] | null;
  createdAt: string;
  disabledAt: string | null;
  disabledReason: string | null;
}

export const toWebhook = (row: WebhookTable): Webhook => ({
  id: row.id,
  tenantId: row.tenant_id,
  url: row.url,
  events: row.events === null ? null : (JSON.parse(row.events) as string[]),
  createdAt: row.created_at,
  disabledAt: row.disabled_at,
  disabledReason: row.disabled_reason,
});

/**
 * The live endpoints that want this event of this tenant: the provider's (which see every
 * tenant's request events) and the tenant's own, never another tenant's.
 */
export async function webhooksFor(db: Queryable, tenantId: string, operation: string): Promise<WebhookTable[]> {
  const rows = await db
    .selectFrom("webhooks")
    .selectAll()
    .where((eb) => eb.or([eb("tenant_id", "is", null), eb("tenant_id", "=", tenantId)]))
    .where("disabled_at", "is", null)
    .where("deleted_at", "is", null)
    .execute();
  return rows.filter((w) => w.events === null || (JSON.parse(w.events) as string[]).includes(operation));
}
