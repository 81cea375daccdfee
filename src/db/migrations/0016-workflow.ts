import type { Kysely } from "kysely";

/**
 * The workflow, completed (SPEC 17), the request side:
 * - access_requests.reason_type: why the provider asks (customer_initiated_support for every
 *   request filed before); start_at: the scheduled start the requester asked for, if any.
 * - request_questions: an approver's question and the requester's answer, in the request's history.
 * - request_extensions and extension_approvals: more time on granted access, decided by the
 *   customer's approvers like a request (approvals from distinct people, counted on the row).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable("access_requests")
    .addColumn("reason_type", "text", (c) => c.notNull().defaultTo("customer_initiated_support"))
    .execute();
  await db.schema.alterTable("access_requests").addColumn("start_at", "text").execute();
  await db.schema.createIndex("access_requests_reason_type").on("access_requests").columns(["reason_type", "created_at"]).execute();

  await db.schema
    .createTable("request_questions")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("request_id", "text", (c) => c.notNull().references("access_requests.id"))
    .addColumn("text", "text", (c) => c.notNull())
    .addColumn("asked_by", "text", (c) => c.notNull()) // JSON {id, name}
    .addColumn("asked_at", "text", (c) => c.notNull())
    .addColumn("answer", "text")
    .addColumn("answered_by", "text") // JSON {id, name}
    .addColumn("answered_at", "text")
    .execute();
  await db.schema.createIndex("request_questions_request").on("request_questions").columns(["request_id", "asked_at"]).execute();

  await db.schema
    .createTable("request_extensions")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("request_id", "text", (c) => c.notNull().references("access_requests.id"))
    .addColumn("status", "text", (c) => c.notNull()) // pending | approved | denied
    .addColumn("minutes", "integer", (c) => c.notNull())
    .addColumn("reason", "text", (c) => c.notNull())
    .addColumn("requested_by", "text", (c) => c.notNull()) // JSON {id, name}
    .addColumn("requested_at", "text", (c) => c.notNull())
    .addColumn("required_approvals", "integer", (c) => c.notNull())
    .addColumn("approval_count", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("decision", "text") // JSON Decision of the final approval or the deny
    .addColumn("access_ends_at", "text") // the new end, once approved
    .execute();
  await db.schema.createIndex("request_extensions_request").on("request_extensions").columns(["request_id", "requested_at"]).execute();

  await db.schema
    .createTable("extension_approvals")
    .addColumn("extension_id", "text", (c) => c.notNull().references("request_extensions.id"))
    .addColumn("user_id", "text", (c) => c.notNull().references("users.id"))
    .addColumn("user_name", "text", (c) => c.notNull())
    .addColumn("at", "text", (c) => c.notNull())
    .addColumn("comment", "text")
    .addPrimaryKeyConstraint("extension_approvals_pk", ["extension_id", "user_id"])
    .execute();
}
