import { tenantChain } from "../audit/audit-event.js";
import type { Queryable } from "../db/schema.js";
import type { RequestRow } from "../requests/access-request.js";
import { type DecisionStatement, statementDigest } from "./decision-statement.js";

/**
 * The `apv` claim of a grant token (SPEC 15): base64url SHA-256 of each signed approval statement
 * of the request and of each signed extension approval ("extend", SPEC 17), sorted, read from the request's audit events (where the statements live).
 * Undefined for a tenant without signed approvals, whose tokens carry no `apv`. A request that
 * reached `approved` without signatures gets an empty list, which no verifier that requires
 * signed approvals accepts.
 */
export async function approvalDigests(db: Queryable, row: Pick<RequestRow, "id" | "tenant_id">): Promise<string[] | undefined> {
  const tenant = await db.selectFrom("tenants").select("require_signed_approvals").where("id", "=", row.tenant_id).executeTakeFirst();
  if (tenant?.require_signed_approvals !== 1) return undefined;
  const events = await db
    .selectFrom("audit_events")
    .select("details")
    .where("chain", "=", tenantChain(row.tenant_id))
    .where("request_id", "=", row.id)
    .where("operation", "in", ["request.approved", "request.extension_approved"])
    .execute();
  return events
    .map((e) => (JSON.parse(e.details) as { signed?: { statement: DecisionStatement } }).signed?.statement)
    .filter((s): s is DecisionStatement => s !== undefined)
    .map(statementDigest)
    .sort();
}
