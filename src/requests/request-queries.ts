import type { Queryable } from "../db/schema.js";
import { notFound } from "../errors.js";
import { isProviderStaff, type User } from "../identity/roles.js";
import { decodeCursor, type Page, toPage } from "../pagination.js";
import { type AccessRequest, type RequestRow, toAccessRequest } from "./access-request.js";
import type { RequestStatus } from "./request-lifecycle.js";

function selectRequests(db: Queryable) {
  return db
    .selectFrom("access_requests as r")
    .innerJoin("users as u", "u.id", "r.requester_id")
    .selectAll("r")
    .select(["u.name as requester_name", "u.email as requester_email"]);
}

/**
 * The request row if the user may see it: provider staff see every request, a tenant user only
 * its own tenant's. Anything else is 404, exactly like an id that does not exist.
 */
export async function findVisibleRequest(db: Queryable, user: User, id: string): Promise<RequestRow> {
  const row = await selectRequests(db).where("r.id", "=", id).executeTakeFirst();
  if (!row || (!isProviderStaff(user) && row.tenant_id !== user.tenantId)) throw notFound("request");
  return row;
}

async function withApprovals(db: Queryable, rows: RequestRow[], now: Date): Promise<AccessRequest[]> {
  if (rows.length === 0) return [];
  const approvals = await db
    .selectFrom("request_approvals")
    .selectAll()
    .where(
      "request_id",
      "in",
      rows.map((r) => r.id),
    )
    .execute();
  return rows.map((r) => toAccessRequest(r, approvals.filter((a) => a.request_id === r.id), now));
}

export async function getRequest(db: Queryable, user: User, id: string, now: Date): Promise<AccessRequest> {
  const [request] = await withApprovals(db, [await findVisibleRequest(db, user, id)], now);
  return request!;
}

export interface RequestFilter {
  status?: RequestStatus;
  tenantId?: string;
  ticket?: string;
  requester?: string;
  createdAfter?: string;
  createdBefore?: string;
  cursor?: string;
  limit: number;
}

/** Newest first. A status filter matches the effective status, deadlines included. */
export async function listRequests(db: Queryable, user: User, f: RequestFilter, now: Date): Promise<Page<AccessRequest>> {
  const at = now.toISOString();
  let q = selectRequests(db).orderBy("r.created_at", "desc").orderBy("r.id", "desc").limit(f.limit + 1);
  if (!isProviderStaff(user)) q = q.where("r.tenant_id", "=", user.tenantId!);
  if (f.tenantId) q = q.where("r.tenant_id", "=", f.tenantId);
  if (f.ticket) q = q.where("r.ticket", "=", f.ticket);
  if (f.requester) q = q.where("r.requester_id", "=", f.requester);
  if (f.createdAfter) q = q.where("r.created_at", ">=", f.createdAfter);
  if (f.createdBefore) q = q.where("r.created_at", "<", f.createdBefore);
  const status = f.status;
  if (status) {
    q = q.where((eb) => {
      switch (status) {
        case "pending_manager":
        case "pending_customer":
          return eb.and([eb("r.status", "=", status), eb("r.decide_by", ">", at)]);
        case "approved":
          return eb.and([eb("r.status", "=", status), eb("r.access_ends_at", ">", at)]);
        case "expired":
          return eb.or([
            eb("r.status", "=", status),
            eb.and([eb("r.status", "in", ["pending_manager", "pending_customer"]), eb("r.decide_by", "<=", at)]),
          ]);
        case "completed":
          return eb.or([
            eb("r.status", "=", status),
            eb.and([eb("r.status", "=", "approved"), eb("r.access_ends_at", "<=", at)]),
          ]);
        default:
          return eb("r.status", "=", status);
      }
    });
  }
  if (f.cursor) {
    const [created, id] = decodeCursor(f.cursor) as [string, string];
    q = q.where((eb) =>
      eb.or([eb("r.created_at", "<", created), eb.and([eb("r.created_at", "=", created), eb("r.id", "<", id)])]),
    );
  }
  const rows = await q.execute();
  const page = toPage(rows, f.limit, (r) => r, (r) => [r.created_at, r.id]);
  return { items: await withApprovals(db, page.items, now), nextCursor: page.nextCursor };
}
