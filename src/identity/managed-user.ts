import type { AuditEntry } from "../audit/append-audit.js";
import { recordMembershipActivity } from "../audit/record-org-activity.js";
import { isPostgres } from "../db/dialect.js";
import type { Tx } from "../db/schema.js";
import { AppError, forbidden, notFound } from "../errors.js";
import { administeredOrg } from "./manage-users.js";
import type { Caller, Role, User } from "./roles.js";
import { findUserById } from "./user-queries.js";

/**
 * The user a caller manages, for a change to it: a tenant's global admin reaches its own tenant's
 * people, the provider admin reaches provider staff. Another tenant's user (and a removed one)
 * answers 404 like an unknown id; the provider reaching for a tenant's user is refused outright,
 * because it must never act for the customer.
 */
export async function findManagedUser(trx: Tx, caller: Caller, userId: string): Promise<{ org: string | null; target: User }> {
  const org = administeredOrg(caller);
  const target = await findUserById(trx, userId);
  if (!target || target.status === "removed") throw notFound("user");
  if (target.tenantId !== org) {
    if (org === null) throw forbidden("The provider cannot manage a tenant's users; the tenant's global admin does.");
    throw notFound("user");
  }
  return { org, target };
}

export const adminRoleOf = (org: string | null): Role => (org === null ? "provider_admin" : "global_admin");

/**
 * Refuses (409 `last_admin`) a change that would leave the org without an active admin.
 *
 * Race: two admins deactivating each other at once must not both succeed. On PostgreSQL the org's
 * active users are locked (FOR UPDATE, in id order so lockers never deadlock) before counting: the
 * second transaction waits, then re-reads the rows the first one changed and counts what is left.
 * SQLite runs one write transaction at a time, which gives the same guarantee. Every use case that
 * can take away an admin (deactivate, remove, role change) must count through here.
 */
export async function refuseLastAdmin(trx: Tx, org: string | null, target: User, action: string): Promise<void> {
  const adminRole = adminRoleOf(org);
  if (target.status !== "active" || !target.roles.includes(adminRole)) return;
  let q = trx.selectFrom("users").select(["id", "roles"]).where("status", "=", "active");
  q = org === null ? q.where("tenant_id", "is", null) : q.where("tenant_id", "=", org);
  q = q.orderBy("id");
  const rows = isPostgres(trx) ? await q.forUpdate().execute() : await q.execute();
  const admins = rows.filter((r) => (JSON.parse(r.roles) as Role[]).includes(adminRole));
  if (!admins.some((a) => a.id !== target.id)) {
    const who = org === null ? "provider admin" : "global admin of this organization";
    throw new AppError("last_admin", `Cannot ${action} the last active ${who}: make someone else ${adminRole} first.`);
  }
}

/**
 * People changes (deactivate, reactivate, remove, invitations) are recorded always: unlike other
 * admin activity they do not wait for the tenant's auditing switch, because who could act for the
 * customer, and when that ended, is part of every later decision. Leaving is witnessed like
 * joining (recordMembershipActivity): in the org's chain, and a tenant's also in the provider's.
 */
export async function recordPeopleChange(trx: Tx, org: string | null, entry: Omit<AuditEntry, "chain">): Promise<void> {
  await recordMembershipActivity(trx, org, entry);
}
