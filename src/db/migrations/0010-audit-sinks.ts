import type { Kysely } from "kysely";

/**
 * Audit streaming (SPEC 19): one row per SIEM sink with its own delivery cursor. The cursor is
 * the last seq of the sink's chain the sink acknowledged; delivery resumes after it, so a restart
 * or an outage never skips an event. The lease columns let one instance at a time deliver a sink.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("audit_sinks")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("tenant_id", "text", (c) => c.references("tenants.id")) // null: the provider's
    .addColumn("chain", "text", (c) => c.notNull())
    .addColumn("type", "text", (c) => c.notNull()) // splunk_hec | syslog | http
    .addColumn("url", "text", (c) => c.notNull())
    .addColumn("format", "text", (c) => c.notNull()) // ocsf | lockbox
    .addColumn("token", "text") // encrypted (AES-256-GCM), never returned
    .addColumn("tls", "text") // JSON {ca?, serverName?} or null
    .addColumn("created_by", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("deleted_at", "text")
    .addColumn("cursor_seq", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("last_delivered_at", "text")
    .addColumn("last_error", "text")
    .addColumn("last_error_at", "text")
    .addColumn("failures", "integer", (c) => c.notNull().defaultTo(0)) // consecutive
    .addColumn("failures_total", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("failing_since", "text")
    .addColumn("outage_reported_at", "text")
    .addColumn("next_attempt_at", "text")
    .addColumn("lease_until", "text")
    .addColumn("lease_token", "text")
    .execute();
  await db.schema.createIndex("audit_sinks_owner").on("audit_sinks").columns(["tenant_id", "created_at"]).execute();
  await db.schema.createIndex("audit_sinks_chain").on("audit_sinks").columns(["chain"]).execute();
}
