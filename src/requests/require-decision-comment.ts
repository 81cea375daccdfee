import type { Queryable } from "../db/schema.js";
import { AppError } from "../errors.js";
import { isProviderStaff, type User } from "../identity/roles.js";

/**
 * A tenant may ask its own people to say why they deny or revoke (`requireDecisionComment`).
 * The rule binds the customer's decisions only: the provider's side keeps its own policy.
 */
export async function requireDecisionComment(db: Queryable, user: User, tenantId: string, comment: string | undefined): Promise<void> {
  if (isProviderStaff(user) || (comment !== undefined && comment.trim().length > 0)) return;
  const tenant = await db.selectFrom("tenants").select("require_decision_comment").where("id", "=", tenantId).executeTakeFirst();
  if (tenant?.require_decision_comment === 1) {
    throw new AppError("comment_required", "A comment is required: your organization asks for a reason on every deny and revoke.", [
      { field: "comment", message: "comment is required by your organization's settings" },
    ]);
  }
}
