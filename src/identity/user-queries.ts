import type { Queryable, UserTable } from "../db/schema.js";
import type { Role, User } from "./roles.js";

export function toUser(row: UserTable): User {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    email: row.email,
    name: row.name,
    roles: JSON.parse(row.roles) as Role[],
    status: row.status,
    createdAt: row.created_at,
  };
}

export async function findUserById(db: Queryable, id: string): Promise<User | undefined> {
  const row = await db.selectFrom("users").selectAll().where("id", "=", id).executeTakeFirst();
  return row && toUser(row);
}

export async function findUserRowByEmail(db: Queryable, email: string): Promise<UserTable | undefined> {
  return db.selectFrom("users").selectAll().where("email", "=", email.toLowerCase()).executeTakeFirst();
}
