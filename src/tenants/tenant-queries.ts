import type { Queryable, TenantTable } from "../db/schema.js";
import { notFound } from "../errors.js";
import { isProviderStaff, type User } from "../identity/roles.js";
import { settingsOf, type TenantSettings } from "./tenant-settings.js";

export interface Tenant {
  id: string;
  name: string;
  createdAt: string;
}

export const toTenant = (row: Pick<TenantTable, "id" | "name" | "created_at">): Tenant => ({
  id: row.id,
  name: row.name,
  createdAt: row.created_at,
});

/**
 * The tenant row if the user may see it. A tenant user asking for another tenant gets the same
 * answer as for a tenant that does not exist: 404, so ids cannot be probed.
 */
export async function findVisibleTenant(db: Queryable, user: User, tenantId: string): Promise<TenantTable> {
  const row = await db.selectFrom("tenants").selectAll().where("id", "=", tenantId).executeTakeFirst();
  if (!row || (!isProviderStaff(user) && user.tenantId !== tenantId)) throw notFound("tenant");
  return row;
}

export async function getTenantSettings(db: Queryable, user: User, tenantId: string): Promise<TenantSettings> {
  return settingsOf(await findVisibleTenant(db, user, tenantId));
}

export async function listTenants(db: Queryable, user: User): Promise<Tenant[]> {
  let query = db.selectFrom("tenants").select(["id", "name", "created_at"]).orderBy("name").orderBy("id");
  if (!isProviderStaff(user)) query = query.where("id", "=", user.tenantId!);
  return (await query.execute()).map(toTenant);
}
