import { type Kysely, sql } from "kysely";
import { isPostgres } from "../dialect.js";

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("tenants")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("auditing_enabled", "integer", (c) => c.notNull())
    .addColumn("lockbox_enabled", "integer", (c) => c.notNull())
    .addColumn("approval_window_minutes", "integer", (c) => c.notNull())
    .addColumn("max_access_minutes", "integer", (c) => c.notNull())
    .addColumn("required_approvals", "integer", (c) => c.notNull())
    .addColumn("protected_services", "text", (c) => c.notNull())
    .addColumn("notification_emails", "text", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("users")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("tenant_id", "text", (c) => c.references("tenants.id"))
    .addColumn("email", "text", (c) => c.notNull().unique())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("roles", "text", (c) => c.notNull())
    .addColumn("password_hash", "text")
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("users_tenant").on("users").columns(["tenant_id", "created_at"]).execute();

  await db.schema
    .createTable("sessions")
    .addColumn("id_hash", "text", (c) => c.primaryKey())
    .addColumn("user_id", "text", (c) => c.notNull().references("users.id"))
    .addColumn("csrf_token", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("expires_at", "text", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("api_tokens")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("user_id", "text", (c) => c.notNull().references("users.id"))
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("token_hash", "text", (c) => c.notNull().unique())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("expires_at", "text")
    .execute();

  await db.schema
    .createTable("invitations")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("user_id", "text", (c) => c.notNull().references("users.id"))
    .addColumn("token_hash", "text", (c) => c.notNull().unique())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("expires_at", "text", (c) => c.notNull())
    .addColumn("accepted_at", "text")
    .execute();

  await db.schema
    .createTable("services")
    .addColumn("key", "text", (c) => c.primaryKey())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("description", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("access_requests")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id"))
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("ticket", "text", (c) => c.notNull())
    .addColumn("reason", "text", (c) => c.notNull())
    .addColumn("services", "text", (c) => c.notNull())
    .addColumn("access_level", "text", (c) => c.notNull())
    .addColumn("requested_minutes", "integer", (c) => c.notNull())
    .addColumn("granted_minutes", "integer")
    .addColumn("requester_id", "text", (c) => c.notNull().references("users.id"))
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("decide_by", "text", (c) => c.notNull())
    .addColumn("required_approvals", "integer")
    .addColumn("approval_count", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("manager_decision", "text")
    .addColumn("customer_decision", "text")
    .addColumn("access_starts_at", "text")
    .addColumn("access_ends_at", "text")
    .addColumn("ended_at", "text")
    .addColumn("ended_by", "text")
    .addColumn("end_reason", "text")
    .execute();
  await db.schema.createIndex("requests_created").on("access_requests").columns(["created_at", "id"]).execute();
  await db.schema
    .createIndex("requests_tenant")
    .on("access_requests")
    .columns(["tenant_id", "created_at", "id"])
    .execute();
  // The sweeper's scan: open requests by their next deadline.
  await db.schema.createIndex("requests_open").on("access_requests").columns(["status", "decide_by"]).execute();
  await db.schema.createIndex("requests_active").on("access_requests").columns(["status", "access_ends_at"]).execute();

  await db.schema
    .createTable("request_approvals")
    .addColumn("request_id", "text", (c) => c.notNull().references("access_requests.id"))
    .addColumn("user_id", "text", (c) => c.notNull().references("users.id"))
    .addColumn("user_name", "text", (c) => c.notNull())
    .addColumn("at", "text", (c) => c.notNull())
    .addColumn("comment", "text")
    .addPrimaryKeyConstraint("request_approvals_pk", ["request_id", "user_id"])
    .execute();

  const pg = isPostgres(db);
  await db.schema
    .createTable("audit_events")
    .addColumn("pos", pg ? "bigserial" : "integer", (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn("chain", "text", (c) => c.notNull())
    .addColumn("seq", "integer", (c) => c.notNull())
    .addColumn("id", "text", (c) => c.notNull().unique())
    .addColumn("at", "text", (c) => c.notNull())
    .addColumn("operation", "text", (c) => c.notNull())
    .addColumn("actor", "text", (c) => c.notNull())
    .addColumn("actor_id", "text", (c) => c.notNull())
    .addColumn("target", "text", (c) => c.notNull())
    .addColumn("request_id", "text")
    .addColumn("details", "text", (c) => c.notNull())
    .addColumn("prev_hash", "text", (c) => c.notNull())
    .addColumn("hash", "text", (c) => c.notNull())
    .addUniqueConstraint("audit_chain_seq", ["chain", "seq"])
    .execute();
  await db.schema.createIndex("audit_request").on("audit_events").columns(["request_id", "pos"]).execute();
  await db.schema.createIndex("audit_chain_at").on("audit_events").columns(["chain", "at"]).execute();

  await db.schema
    .createTable("audit_heads")
    .addColumn("chain", "text", (c) => c.primaryKey())
    .addColumn("seq", "integer", (c) => c.notNull())
    .addColumn("hash", "text", (c) => c.notNull())
    .execute();

  // The audit log is append-only: the database itself refuses to change or remove an event.
  if (pg) {
    await sql`CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'audit_events is append-only'; END $$`.execute(db);
    await sql`CREATE TRIGGER audit_no_update BEFORE UPDATE OR DELETE ON audit_events
      FOR EACH ROW EXECUTE FUNCTION audit_append_only()`.execute(db);
    await sql`CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit_events
      FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()`.execute(db);
  } else {
    await sql`CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_events
      BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END`.execute(db);
    await sql`CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_events
      BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END`.execute(db);
  }
}
