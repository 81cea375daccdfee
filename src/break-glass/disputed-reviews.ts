import type { Deps } from "../deps.js";
import { forbidden } from "../errors.js";
import { type Caller, hasRole, isProviderStaff } from "../identity/roles.js";
import type { AccessRequest } from "../requests/access-request.js";
import { getRequest } from "../requests/request-queries.js";

export const MAX_DISPUTED_LISTED = 100;

/**
 * The break-glass accesses customers disputed, newest first: the provider admin's to follow up
 * (SPEC 17). Only provider admins read it; a tenant sees its own reviews on its requests.
 */
export async function listDisputedReviews(deps: Deps, caller: Caller): Promise<AccessRequest[]> {
  if (!isProviderStaff(caller.user) || !hasRole(caller.user, "provider_admin")) {
    throw forbidden("only a provider admin reads the disputed break-glass reviews");
  }
  const now = deps.clock.now();
  const rows = await deps.db
    .selectFrom("access_requests")
    .select("id")
    .where("review_verdict", "=", "disputed")
    .orderBy("created_at", "desc")
    .orderBy("id", "desc")
    .limit(MAX_DISPUTED_LISTED)
    .execute();
  const out: AccessRequest[] = [];
  for (const r of rows) out.push(await getRequest(deps.db, caller.user, r.id, now));
  return out;
}
