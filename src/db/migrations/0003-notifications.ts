import type { Kysely } from "kysely";

/**
 * Notifications: the outbox (one row per message), webhook endpoints and their delivery log, and
 * the reminders already enqueued (so the reminder job is idempotent across runs and instances).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("outbox")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("kind", "text", (c) => c.notNull()) // "email" | "webhook"
    // Derived from the audit event (or reminder) and the destination: the writer can never
    // enqueue the same message twice, and every retry carries the same key.
    .addColumn("idempotency_key", "text", (c) => c.notNull().unique())
    .addColumn("destination", "text", (c) => c.notNull()) // email address or webhook id
    .addColumn("payload", "text", (c) => c.notNull()) // JSON, fixed at enqueue time
    .addColumn("status", "text", (c) => c.notNull()) // pending | sent | failed | canceled
    .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("next_attempt_at", "text", (c) => c.notNull())
    .addColumn("claimed_until", "text")
    .addColumn("claim_token", "text")
    .addColumn("last_error", "text")
    .addColumn("sent_at", "text")
    .execute();
  await db.schema.createIndex("outbox_due").on("outbox").columns(["status", "next_attempt_at"]).execute();

  await db.schema
    .createTable("webhooks")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("tenant_id", "text", (c) => c.references("tenants.id")) // null: the provider's
    .addColumn("url", "text", (c) => c.notNull())
    .addColumn("events", "text") // JSON string[] or null for every request event
    .addColumn("secret", "text", (c) => c.notNull())
    .addColumn("created_by", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("disabled_at", "text")
    .addColumn("disabled_reason", "text")
    .addColumn("deleted_at", "text")
    .execute();
  await db.schema.createIndex("webhooks_tenant").on("webhooks").columns(["tenant_id", "created_at"]).execute();

  await db.schema
    .createTable("webhook_deliveries")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("webhook_id", "text", (c) => c.notNull().references("webhooks.id"))
    .addColumn("outbox_id", "text", (c) => c.notNull())
    .addColumn("event_id", "text", (c) => c.notNull())
    .addColumn("event_type", "text", (c) => c.notNull())
    .addColumn("attempt", "integer", (c) => c.notNull())
    .addColumn("at", "text", (c) => c.notNull())
    .addColumn("ok", "integer", (c) => c.notNull())
    .addColumn("status_code", "integer")
    .addColumn("error", "text")
    .addColumn("duration_ms", "integer", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("webhook_deliveries_by_hook").on("webhook_deliveries").columns(["webhook_id", "at", "id"]).execute();

  await db.schema
    .createTable("notification_reminders")
    .addColumn("request_id", "text", (c) => c.notNull().references("access_requests.id"))
    .addColumn("stage", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("notification_reminders_pk", ["request_id", "stage"])
    .execute();
}
