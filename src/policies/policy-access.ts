import type { Queryable, TenantTable } from "../db/schema.js";
import { forbidden } from "../errors.js";
import { type Caller, hasRole, isProviderStaff } from "../identity/roles.js";
import { findVisibleTenant } from "../tenants/tenant-queries.js";

/**
 * Auto-approval policies are the customer's alone (SPEC 17): the provider never reads or writes
 * them — a provider that could see them could shape requests to slip through, and one that could
 * write them could approve itself. Another tenant's id is 404, like everywhere.
 */
export async function tenantForPolicies(db: Queryable, caller: Caller, tenantId: string, mode: "read" | "manage"): Promise<TenantTable> {
  if (isProviderStaff(caller.user)) throw forbidden("the provider never sees or manages a tenant's approval policies");
  const tenant = await findVisibleTenant(db, caller.user, tenantId);
  if (mode === "manage" && !hasRole(caller.user, "global_admin")) throw forbidden("only the tenant's global admin manages approval policies");
  if (mode === "read" && !hasRole(caller.user, "global_admin", "lockbox_approver", "auditor")) throw forbidden();
  return tenant;
}
