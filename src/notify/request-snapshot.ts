import type { Queryable } from "../db/schema.js";
import type { AccessRequest } from "../requests/access-request.js";
import { withApprovals } from "../requests/request-queries.js";

/**
 * The request in its API form as it stands inside the caller's transaction. Notifications take
 * this snapshot when they are enqueued, so a webhook body or a mail describes the step that caused
 * it (and a retry sends the very same bytes), not whatever the request became later.
 */
export async function loadRequestSnapshot(db: Queryable, id: string, at: Date): Promise<AccessRequest> {
  const row = await db
    .selectFrom("access_requests as r")
    .innerJoin("users as u", "u.id", "r.requester_id")
    .selectAll("r")
    .select(["u.name as requester_name", "u.email as requester_email"])
    .where("r.id", "=", id)
    .executeTakeFirstOrThrow();
  const [request] = await withApprovals(db, [row], at);
  return request!;
}
