import type { Queryable } from "../db/schema.js";
import { AppError } from "../errors.js";
import type { Role } from "../identity/roles.js";

/**
 * Signed approvals can be required only when they can be given: at least `requiredApprovals` of
 * the tenant's active approvers (global admins and lockbox approvers) must hold a passkey, or
 * every request would expire undecided. Checked when the setting is turned on and whenever
 * `requiredApprovals` changes while it is on.
 */
export async function requireSigningApprovers(db: Queryable, tenantId: string, requiredApprovals: number): Promise<void> {
  const rows = await db
    .selectFrom("users")
    .innerJoin("passkeys", "passkeys.user_id", "users.id")
    .select(["users.id", "users.roles"])
    .distinct()
    .where("users.tenant_id", "=", tenantId)
    .where("users.status", "=", "active")
    .execute();
  const signers = rows.filter((r) => (JSON.parse(r.roles) as Role[]).some((role) => role === "global_admin" || role === "lockbox_approver"));
  if (signers.length < requiredApprovals) {
    throw new AppError(
      "not_enough_passkeys",
      `signed approvals need at least ${requiredApprovals} approvers with a passkey; ${signers.length} have one`,
      { approversWithPasskey: signers.length, requiredApprovals },
    );
  }
}
