import { forbidden, notFound } from "../errors.js";
import { hasRole, isProviderStaff, type User } from "../identity/roles.js";
import { tenantChain } from "./audit-event.js";

/**
 * Which chain a reader may read. A tenant's global admins and auditors read their own tenant's
 * chain (the default when they name none); provider admins read any chain, or all of them when
 * they name none (null). Another tenant's chain is 404, as if it did not exist.
 */
export function readableChain(user: User, requested: string | undefined): string | null {
  if (isProviderStaff(user)) {
    if (!hasRole(user, "provider_admin")) throw forbidden("only provider admins read the audit log");
    return requested ?? null;
  }
  if (!hasRole(user, "global_admin", "auditor")) throw forbidden("only global admins and auditors read the audit log");
  const own = tenantChain(user.tenantId!);
  if (requested !== undefined && requested !== own) throw notFound("chain");
  return own;
}
