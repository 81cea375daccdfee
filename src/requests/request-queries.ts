import type { Queryable } from "../db/schema.js";
import { notFound } from "../errors.js";
import { isProviderStaff, type User } from "../identity/roles.js";
import { decodeCursor, type Page, toPage } from "../pagination.js";
import { type AccessRequest, type RequestRow, toAccessRequest } from "./access-request.js";
import type { RequestStatus } from "./request-lifecycle.js";
import { effectiveStatusPredicate } from "./request-window-sql.js";

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

/** The requests in their API form: approvals, questions and extensions read in one query each. */
export async function withApprovals(db: Queryable, rows: RequestRow[], now: Date): Promise<AccessRequest[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const approvals = await db.selectFrom("request_approvals").selectAll().where("request_id", "in", ids).execute();
  const questions = await db.selectFrom("request_questions").selectAll().where("request_id", "in", ids).execute();
  const extensions = await db.selectFrom("request_extensions").selectAll().where("request_id", "in", ids).execute();
  const extensionApprovals =
    extensions.length === 0
      ? []
      : await db.selectFrom("extension_approvals").selectAll().where("extension_id", "in", extensions.map((e) => e.id)).execute();
  const history = { questions, extensions, extensionApprovals };
  return rows.map((r) => toAccessRequest(r, approvals.filter((a) => a.request_id === r.id), now, history));
}

export async function getRequest(db: Queryable, user: User, id: string, now: Date): Promise<AccessRequest> {
  const [request] = await withApprovals(db, [await findVisibleRequest(db, user, id)], now);
  return request!;
}

export interface RequestFilter {
  status?: RequestStatus;
  tenantId?: string;
  ticket?: string;
  reasonType?: string;
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
  if (f.reasonType) q = q.where("r.reason_type", "=", f.reasonType);
  if (f.requester) q = q.where("r.requester_id", "=", f.requester);
  if (f.createdAfter) q = q.where("r.created_at", ">=", f.createdAfter);
  if (f.createdBefore) q = q.where("r.created_at", "<", f.createdBefore);
  const status = f.status;
  if (status) {
    q = q.where(effectiveStatusPredicate(status, at, "r"));
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
