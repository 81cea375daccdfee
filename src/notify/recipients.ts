import type { Queryable } from "../db/schema.js";
import type { Role } from "../identity/roles.js";

/**
 * Who hears about what. Every list is built from one org only: provider staff by role, or the
 * request's own tenant (its deciders plus its `notificationEmails`). Auditors are never on a list,
 * and no query here can reach another tenant's users.
 */
async function activeUsersWithRole(db: Queryable, tenantId: string | null, roles: Role[]): Promise<{ id: string; email: string }[]> {
  let q = db.selectFrom("users").select(["id", "email", "roles"]).where("status", "=", "active");
  q = tenantId === null ? q.where("tenant_id", "is", null) : q.where("tenant_id", "=", tenantId);
  const rows = await q.orderBy("created_at").execute();
  return rows.filter((u) => (JSON.parse(u.roles) as Role[]).some((r) => roles.includes(r)));
}

/** Provider managers who may decide the first stage: everyone but the requester. */
export async function managerEmails(db: Queryable, requesterId: string): Promise<string[]> {
  const managers = await activeUsersWithRole(db, null, ["manager"]);
  return managers.filter((m) => m.id !== requesterId).map((m) => m.email);
}

/** The tenant's deciders (global_admin, lockbox_approver) and its extra notification addresses. */
export async function tenantEmails(db: Queryable, tenantId: string): Promise<string[]> {
  const approvers = await activeUsersWithRole(db, tenantId, ["global_admin", "lockbox_approver"]);
  const tenant = await db.selectFrom("tenants").select("notification_emails").where("id", "=", tenantId).executeTakeFirst();
  const extra = tenant ? (JSON.parse(tenant.notification_emails) as string[]) : [];
  return [...approvers.map((a) => a.email), ...extra];
}

/** Who owns a webhook endpoint: the tenant's global admins, or the provider admins. */
export async function webhookOwnerEmails(db: Queryable, tenantId: string | null): Promise<string[]> {
  const owners = await activeUsersWithRole(db, tenantId, tenantId === null ? ["provider_admin"] : ["global_admin"]);
  return owners.map((o) => o.email);
}

/** The requester's address while they can still act on it: nobody mails a person who has left. */
export async function requesterEmail(db: Queryable, requesterId: string): Promise<string[]> {
  const row = await db.selectFrom("users").select(["email", "status"]).where("id", "=", requesterId).executeTakeFirst();
  return row?.status === "active" ? [row.email] : [];
}

/** Lower-cased, without duplicates, order kept. */
export function uniqueEmails(emails: string[]): string[] {
  return [...new Set(emails.map((e) => e.trim().toLowerCase()).filter((e) => e.length > 0))];
}
