import type { Kysely } from "kysely";

/**
 * Auto-approval policies and break-glass (SPEC 17).
 * - approval_policies: one row per version of a tenant's policy, keyed (id, version). A change
 *   writes a new version and marks the old one superseded, so the version an auto-approval names
 *   stays readable forever; a delete marks the current version deleted.
 * - tenants.break_glass_allowed / break_glass_max_minutes: emergency access is off by default.
 * - access_requests: the break-glass marker and its two people, the policy that approved a
 *   request, and the customer's review of a break-glass access.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("approval_policies")
    .addColumn("id", "text", (c) => c.notNull())
    .addColumn("version", "integer", (c) => c.notNull())
    .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id"))
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("services", "text", (c) => c.notNull()) // JSON string[]
    .addColumn("access_level", "text", (c) => c.notNull())
    .addColumn("max_minutes", "integer", (c) => c.notNull())
    .addColumn("reason_types", "text") // JSON string[] or null: any reason
    .addColumn("ticket_pattern", "text") // a glob, or null: any ticket
    .addColumn("hours_from", "integer") // UTC hour, with hours_to; null: any time
    .addColumn("hours_to", "integer")
    .addColumn("created_by", "text", (c) => c.notNull()) // JSON {id, name}
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("superseded_at", "text")
    .addColumn("deleted_at", "text")
    .addPrimaryKeyConstraint("approval_policies_pk", ["id", "version"])
    .execute();
  await db.schema.createIndex("approval_policies_tenant").on("approval_policies").columns(["tenant_id", "created_at"]).execute();

  await db.schema
    .alterTable("tenants")
    .addColumn("break_glass_allowed", "integer", (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable("tenants")
    .addColumn("break_glass_max_minutes", "integer", (c) => c.notNull().defaultTo(60))
    .execute();

  for (const [column, type] of [
    ["break_glass", "integer"], // 1 once granted by break-glass
    ["break_glass_first_id", "text"], // the first of the two people, for the compare-and-set
    ["break_glass_by", "text"], // JSON [{id, name, at}] of both people, in order
    ["auto_approved_by", "text"], // JSON {policyId, version, name}
    ["review_verdict", "text"], // accepted | disputed
    ["review", "text"], // JSON {by, at, verdict, comment}
  ] as const) {
    await db.schema
      .alterTable("access_requests")
      .addColumn(column, type, (c) => (column === "break_glass" ? c.notNull().defaultTo(0) : c))
      .execute();
  }
  await db.schema.createIndex("access_requests_review_verdict").on("access_requests").columns(["review_verdict", "created_at"]).execute();
}
