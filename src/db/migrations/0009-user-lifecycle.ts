import type { Kysely } from "kysely";

/**
 * People leave (SPEC 20) and decisions explain themselves:
 * - users.status gains "deactivated" and "removed" (text, no schema change needed). A removed
 *   user's row stays, because requests, approvals and sessions reference it by foreign key and
 *   the audit names it; it is hidden from every list and can never sign in again.
 * - access_requests.end_comment: the comment of the revoke, cancel or deny that ended a request,
 *   shown with the request (it was only in the audit log; requests ended before this migration
 *   keep theirs there only).
 * - tenants.require_decision_comment: a tenant may require a comment on deny and revoke.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("access_requests").addColumn("end_comment", "text").execute();
  await db.schema
    .alterTable("tenants")
    .addColumn("require_decision_comment", "integer", (c) => c.notNull().defaultTo(0))
    .execute();
}
