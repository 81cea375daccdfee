import type { Kysely } from "kysely";

/**
 * Approvals the customer signs (SPEC 15): one tenant setting, off for every tenant (new and old)
 * until its global admin turns it on. Nothing else is stored: statements and assertions live in
 * the decision's audit event, which is where an offline verifier reads them.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable("tenants")
    .addColumn("require_signed_approvals", "integer", (c) => c.notNull().defaultTo(0))
    .execute();
}
