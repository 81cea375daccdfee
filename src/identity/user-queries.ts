import { sql } from "kysely";
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

/**
 * An email is unique within one org only: the provider's account with it comes first, then the
 * oldest. Sign-in looks at every account with the address (see sign-in.ts).
 */
export async function findUserRowByEmail(db: Queryable, email: string): Promise<UserTable | undefined> {
  return (await findUserRowsByEmail(db, email, 1))[0];
}

export async function findUserRowsByEmail(db: Queryable, email: string, limit: number): Promise<UserTable[]> {
  return db
    .selectFrom("users")
    .selectAll()
    .where("email", "=", email.toLowerCase())
    .orderBy(sql`case when tenant_id is null then 0 else 1 end`)
    .orderBy("created_at")
    .orderBy("id")
    .limit(limit)
    .execute();
}
